"""Sign-in for the pages, with the API's tokens and the API's role and region rules.

Signing in checks the token once and keeps only its id in Flask's signed session cookie (HttpOnly, SameSite=Lax);
every page request looks the id up again, so revoking a token signs its pages out too. Forms carry a per-session
CSRF token.
"""
from __future__ import annotations

import hmac
import secrets
from functools import wraps
from typing import Callable

from flask import (Blueprint, abort, current_app, g, redirect, render_template, request, session, url_for)
from sqlalchemy import select

from ..auth import ROLES, Principal, _SHAPE, secret_digest
from ..models import Token

CSRF_FIELD = "csrf_token"


def _lookup(**where) -> Token | None:
    db = current_app.extensions["greenfactory"].db
    with db.read() as s:
        column, value = next(iter(where.items()))
        row = s.execute(select(Token).where(getattr(Token, column) == value)).scalar_one_or_none()
        if row is None or row.revoked_at is not None:
            return None
        s.expunge(row)
        return row


def current() -> Principal | None:
    """The signed-in principal, or None (also when its token was revoked since)."""
    if "page_principal" not in g:
        token_id = session.get("token")
        row = _lookup(id=token_id) if token_id else None
        if token_id and row is None:
            session.pop("token", None)
        g.page_principal = Principal(row.id, row.role, row.region, row.enterprise) if row else None
    return g.page_principal


def page(*roles: str) -> Callable:
    """A page for these roles: the signed-out are sent to sign in and come back; other roles get 403."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {unknown}")

    def mark(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args, **kwargs):
            who = current()
            if who is None:
                return redirect(url_for("pages.signin", next=request.full_path.rstrip("?")))
            if who.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        guarded.gf_roles = frozenset(roles)
        return guarded

    return mark


def csrf_token() -> str:
    if CSRF_FIELD not in session:
        session[CSRF_FIELD] = secrets.token_urlsafe(24)
    return session[CSRF_FIELD]


def check_csrf() -> None:
    """Every page POST carries the session's token in a form field or the X-CSRF-Token header."""
    if request.method != "POST":
        return
    sent = request.form.get(CSRF_FIELD) or request.headers.get("X-CSRF-Token", "")
    if not sent or not hmac.compare_digest(sent, session.get(CSRF_FIELD, "")):
        abort(400, description="csrf")


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an absolute or protocol-relative address (open redirects)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("pages.home")


def register(blp: Blueprint) -> None:
    @blp.route("/signin", methods=["GET", "POST"])
    def signin():
        error = None
        if request.method == "POST":
            secret = (request.form.get("token") or "").strip()
            row = _lookup(secret_sha256=secret_digest(secret)) if _SHAPE.fullmatch(secret) else None
            if row is not None:
                lang = session.get("lang")
                session.clear()  # a new session on sign-in: nothing from before it carries over but the language
                if lang:
                    session["lang"] = lang
                session.permanent = True
                session["token"] = row.id
                return redirect(_safe_next(request.form.get("next")))
            error = "unknown"
        return render_template("signin.html", error=error, next=request.values.get("next", "")), (401 if error else 200)

    @blp.route("/signout", methods=["POST"])
    def signout():
        lang = session.get("lang")
        session.clear()
        if lang:
            session["lang"] = lang
        return redirect(url_for("pages.signin"))
