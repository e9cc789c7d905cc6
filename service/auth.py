"""API tokens and who may do what.

A token is "gf_" + 43 random URL-safe characters, printed once; the database keeps its sha256 only. Every
view declares the roles it admits with @access (or is marked @public); a view that declares nothing admits
no one, so a forgotten declaration fails closed. Region and enterprise scope are data-dependent and are
checked where the data is read (Principal.may_read).
"""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Callable

from flask import Flask, current_app, g, request
from sqlalchemy import bindparam, select

from engine.submission import region_problem, uscc_problem

from . import throttle
from .errors import Forbidden, Unauthorized
from .models import Token

ENTERPRISE, REVIEWER, AUTHORITY, POLICY_ADMIN = "enterprise", "reviewer", "authority", "policy_admin"
ROLES = (ENTERPRISE, REVIEWER, AUTHORITY, POLICY_ADMIN)
REGIONAL = (REVIEWER, AUTHORITY)
PREFIX = "gf_"
_SHAPE = re.compile(r"gf_[A-Za-z0-9_-]{20,100}")
# flask-smorest's document, its Swagger UI page and the UI's files answer without a token
PUBLIC_ENDPOINTS = frozenset({"api-docs.openapi_json", "api-docs.openapi_swagger_ui", "docs_assets"})


@dataclass(frozen=True, slots=True)
class Principal:
    token_id: str
    role: str
    region: str | None = None
    enterprise: str | None = None

    def may_read(self, region: str, uscc: str) -> bool:
        """An enterprise reads its own evaluations; reviewers and authorities those of their region."""
        if self.role == ENTERPRISE:
            return uscc == self.enterprise
        if self.role in REGIONAL:
            return self.region is not None and region.startswith(region_prefix(self.region))
        return False


SYSTEM = Principal("system", "system")


def region_prefix(code: str) -> str:
    """The prefix a region code covers: 320000 (a province) covers 32xxxx, 320500 (a city) 3205xx."""
    while code.endswith("00") and len(code) > 2:
        code = code[:-2]
    return code


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def token_problems(role: str, region: str | None, enterprise: str | None) -> list[str]:
    """What is wrong with a token's role and bindings, one sentence each; empty when it can be created."""
    if role not in ROLES:
        return [f'"{role}" is not a role: use one of {", ".join(ROLES)}.']
    out = []
    if role == ENTERPRISE:
        if not enterprise:
            out.append("An enterprise token is bound to the enterprise's unified social credit code: give --enterprise.")
        elif uscc_problem(enterprise):
            out.append(uscc_problem(enterprise))
    elif enterprise:
        out.append("Only enterprise tokens are bound to an enterprise: drop --enterprise.")
    if role in REGIONAL:
        if not region:
            out.append(f"A {role} token is bound to a region code (e.g. 320000 for Jiangsu): give --region.")
        elif region_problem(region):
            out.append(region_problem(region))
    elif region:
        out.append("Only reviewer and authority tokens are bound to a region: drop --region.")
    return out


def new_token(role: str, region: str | None = None, enterprise: str | None = None, name: str = "") -> tuple[Token, str]:
    """A Token row and its secret; the caller stores the row and shows the secret once."""
    problems = token_problems(role, region, enterprise)
    if problems:
        raise ValueError(" ".join(problems))
    secret = PREFIX + secrets.token_urlsafe(32)
    row = Token(id="tok_" + secrets.token_hex(6), secret_sha256=secret_digest(secret), role=role,
                region=region or None, enterprise=enterprise or None, name=name)
    return row, secret


def access(*roles: str) -> Callable:
    """Admit these roles to the view (more checks by region or enterprise may follow inside it)."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {unknown}")

    def mark(view: Callable) -> Callable:
        view.gf_roles = frozenset(roles)
        view.__doc__ = (view.__doc__ or "").rstrip() + f"\n\nRoles: {', '.join(roles)}."
        return view

    return mark


def public(view: Callable) -> Callable:
    view.gf_public = True
    return view


def _authenticate() -> Principal:
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    challenge = {"WWW-Authenticate": 'Bearer realm="greenfactory"'}
    if not header:
        raise Unauthorized("auth.token.missing", "This address needs an API token: send Authorization: Bearer gf_…",
                           headers=challenge)
    throttle.check()  # before the lookup: an address that guesses is refused without touching the database
    secret = secret.strip()
    if scheme.lower() != "bearer" or not _SHAPE.fullmatch(secret):
        throttle.failed("auth.token.invalid")
        raise Unauthorized("auth.token.invalid", "The Authorization header is not Bearer followed by a gf_ token:"
                           " check how the token is sent.", headers=challenge)
    db = current_app.extensions["greenfactory"].db
    with db.engine.connect() as connection:  # a Core query: a third of an ORM session's cost, on every request
        row = connection.execute(_TOKEN_LOOKUP, {"digest": secret_digest(secret)}).first()
    if row is None or row.revoked_at is not None:
        throttle.failed("auth.token.invalid")
        raise Unauthorized("auth.token.invalid", "The token is unknown or revoked: ask for a new one.", headers=challenge)
    return Principal(row.id, row.role, row.region, row.enterprise)


_TOKEN_LOOKUP = (select(Token.__table__.c.id, Token.__table__.c.role, Token.__table__.c.region,
                        Token.__table__.c.enterprise, Token.__table__.c.revoked_at)
                 .where(Token.__table__.c.secret_sha256 == bindparam("digest")))


def _check_access() -> None:
    if request.endpoint in PUBLIC_ENDPOINTS or request.blueprint == "pages":
        return  # the pages sign in with a session cookie instead (service.pages.signin)
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    if view is not None and getattr(view, "gf_public", False):
        return
    g.principal = _authenticate()  # before routing errors: without a token, only the public addresses answer
    if view is None:
        return  # routing raises its 404 or 405 next
    if g.principal.role not in getattr(view, "gf_roles", ()):
        raise Forbidden("auth.role.forbidden", f"A {g.principal.role} token cannot do this: use a token of a role the"
                        " API documentation lists for it.")


def principal() -> Principal:
    return g.principal


def init_app(app: Flask) -> None:
    app.before_request(_check_access)
