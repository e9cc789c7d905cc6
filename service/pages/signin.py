"""Sign-in for the pages, with the API's tokens and the API's role and region rules.

Signing in checks the token once and opens a server-side session (service.models.PageSession); Flask's signed
cookie (HttpOnly, SameSite=Lax, Secure over HTTPS) holds only the session's random id. Every page request looks the
session and its token up again, so signing out (which deletes the session) or revoking the token ends it, even for
a copy of the cookie. Forms carry a per-session CSRF token.
"""
from __future__ import annotations

import hmac
import re
import secrets
from datetime import datetime, timezone
from functools import wraps
from typing import Callable
from urllib.parse import unquote, urlsplit

from flask import (Blueprint, abort, current_app, g, redirect, render_template, request, session, url_for)
from sqlalchemy import bindparam, delete, select

from .. import throttle
from ..auth import ROLES, Principal, _SHAPE, secret_digest
from ..models import PageSession, Token, now

CSRF_FIELD = "csrf_token"
SESSION_ID = "sid"  # the cookie's key for the server-side session id (service.models.PageSession)
_CONTROL = re.compile(r"[\x00-\x20\x7f]")  # controls and spaces: no local path here has one unencoded


def _lookup(**where) -> Token | None:
    db = current_app.extensions["greenfactory"].db
    with db.read() as s:
        column, value = next(iter(where.items()))
        row = s.execute(select(Token).where(getattr(Token, column) == value)).scalar_one_or_none()
        if row is None or row.revoked_at is not None:
            return None
        s.expunge(row)
        return row


def _session_token(sid: str):
    """The live token of a page session id: None once it was signed out, expired, or its token revoked."""
    db = current_app.extensions["greenfactory"].db
    with db.engine.connect() as connection:
        return connection.execute(_SESSION_LOOKUP, {"digest": secret_digest(sid), "now": now()}).first()


_SESSION_LOOKUP = (select(Token.id, Token.role, Token.region, Token.enterprise)
                   .join(PageSession, PageSession.token_id == Token.id)
                   .where(PageSession.id_sha256 == bindparam("digest"), PageSession.expires_at > bindparam("now"),
                          Token.revoked_at.is_(None)))


def _open_session(token_id: str) -> str:
    """A new server-side session for token_id, and its id for the cookie; expired sessions are swept here."""
    sid = secrets.token_urlsafe(32)
    started = datetime.now(timezone.utc)
    ends = started + current_app.permanent_session_lifetime
    with current_app.extensions["greenfactory"].db.write() as s:
        s.execute(delete(PageSession).where(PageSession.expires_at <= now()))
        s.add(PageSession(id_sha256=secret_digest(sid), token_id=token_id, created_at=now(),
                          expires_at=ends.strftime("%Y-%m-%dT%H:%M:%S.%fZ")))
    return sid


def _close_session(sid: str) -> None:
    with current_app.extensions["greenfactory"].db.write() as s:
        s.execute(delete(PageSession).where(PageSession.id_sha256 == secret_digest(sid)))


def current() -> Principal | None:
    """The signed-in principal, or None (also when the session was signed out or its token revoked since)."""
    if "page_principal" not in g:
        sid = session.get(SESSION_ID)
        row = _session_token(sid) if isinstance(sid, str) else None
        if sid and row is None:
            session.pop(SESSION_ID, None)
        g.page_principal = Principal(row.id, row.role, row.region, row.enterprise) if row else None
    return g.page_principal


def _fresh_session() -> None:
    """Nothing from the session before carries over but the language."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


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
    """Only a path on this site, else the home page. Browsers drop tabs and newlines from a Location and read a
    backslash as a slash, so "/\t/evil.example" or "/\\evil.example" would leave the site: any control character
    or backslash, a scheme or a host, raw or percent-decoded, sends the user home instead (a newline would also
    make the redirect itself fail)."""
    if not target:
        return url_for("pages.home")
    for form in (target, unquote(target)):
        parts = urlsplit(form)
        if (not form.startswith("/") or form.startswith("//") or "\\" in form or _CONTROL.search(form)
                or parts.scheme or parts.netloc):
            return url_for("pages.home")
    return target


def register(blp: Blueprint) -> None:
    @blp.route("/signin", methods=["GET", "POST"])
    def signin():
        error = None
        if request.method == "POST":
            throttle.check()
            secret = (request.form.get("token") or "").strip()
            row = _lookup(secret_sha256=secret_digest(secret)) if _SHAPE.fullmatch(secret) else None
            if row is not None:
                _fresh_session()
                session.permanent = True
                session[SESSION_ID] = _open_session(row.id)
                return redirect(_safe_next(request.form.get("next")))
            throttle.failed("page.signin.failed")
            error = "unknown"
        return render_template("signin.html", error=error, next=request.values.get("next", "")), (401 if error else 200)

    @blp.route("/signout", methods=["POST"])
    def signout():
        sid = session.get(SESSION_ID)
        if isinstance(sid, str):
            _close_session(sid)  # on the server: a copy of this cookie is refused from now on
        _fresh_session()
        return redirect(url_for("pages.signin"))
