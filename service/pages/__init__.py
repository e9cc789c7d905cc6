"""Server-rendered pages (Jinja2) for reviewers, policy staff, enterprises and authorities, in Chinese and
English, with every asset served from here (no CDN, no script from outside).

The blueprint holds the shared parts: sign-in (signin.py), language (i18n.py), the layout, HTML error pages and
CSRF. Each page module registers its views on `blp` and calls the same service functions as the API, so a page
can show nothing the API would refuse its role.
"""
from __future__ import annotations

import os
import secrets
from datetime import timedelta

from flask import Blueprint, Flask, Response, g, has_request_context, make_response, render_template, request
from flask.sessions import SecureCookieSessionInterface

from ..errors import Refusal
from ..http import protect_html
from . import i18n, signin

blp = Blueprint("pages", __name__, template_folder="templates", static_folder="static", static_url_path="/assets")
E, R, A, P = "enterprise", "reviewer", "authority", "policy_admin"
# the navigation: (endpoint, roles that see it, Chinese, English); a link shows once its page module exists
NAV = (
    ("pages.self_report", (E,), "自评填报", "Self-report"),
    ("pages.evaluations", (E, R, A), "评价结果", "Evaluations"),
    ("pages.benchmark", (E,), "行业对标", "Benchmark"),
    ("pages.regions", (R, A, P), "地区看板", "Regions"),
    ("pages.policies", (E, R, A, P), "评价政策", "Policies"),
)
ROLE_NAMES = {E: ("企业", "Enterprise"), R: ("审核员", "Reviewer"), A: ("主管部门", "Authority"),
              P: ("政策管理员", "Policy admin")}


@blp.before_request
def _before() -> None:
    i18n.lang()
    signin.check_csrf()


@blp.after_request
def _headers(response):
    return protect_html(response)


class _SessionInterface(SecureCookieSessionInterface):
    """Secure on the session cookie when the request came over HTTPS (behind a trusted proxy, as its
    X-Forwarded-Proto says), or always with the secure_cookies setting: a cookie set over HTTPS is never sent back
    over plain HTTP, where anyone on the path could read it."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or (has_request_context() and request.is_secure)


def error_page(found: Refusal) -> Response:
    """A refusal as an HTML page: the same Refusal the API would send as problem+json (service.errors)."""
    message = found.message_zh if i18n.lang() == "zh" and found.message_zh else found.message
    html = render_template("error.html", status=found.status, code=found.code, message=message, issues=found.issues,
                           request_id=g.get("request_id"))
    response = make_response(html, found.status)
    for name, value in found.headers.items():
        response.headers[name] = value
    return response


def _secret_key(app: Flask) -> str:
    """Flask's SECRET_KEY when given, else the settings' secret_key, else a key kept in the settings' file (made
    once, readable by this user only; by default in the user's state folder, not in the checkout)."""
    settings = app.extensions["greenfactory"].settings
    if app.config.get("SECRET_KEY"):
        return app.config["SECRET_KEY"]
    if settings.secret_key:
        return settings.secret_key
    path = settings.secret_key_file
    if path is None:
        raise RuntimeError("no secret key: set GF_SECRET_KEY or GF_SECRET_KEY_FILE")
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # written whole to a private temporary file, then linked into place: a process starting at the same time
        # either links first or reads the complete key of the one that did
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(temporary)
    return path.read_text().strip()


signin.register(blp)  # once, at import: a blueprint takes no new routes after its first app (tests make many)


def init_app(app: Flask) -> None:
    from . import home  # noqa: F401  (each page module registers its views on blp)
    from . import evaluations  # noqa: F401
    from . import cohort_pages  # noqa: F401
    from . import policies, policy_edit  # noqa: F401
    from . import self_report  # noqa: F401

    app.secret_key = _secret_key(app)
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_SECURE=app.extensions["greenfactory"].settings.secure_cookies,
                      PERMANENT_SESSION_LIFETIME=timedelta(hours=8))
    app.session_interface = _SessionInterface()
    app.jinja_env.globals.update(tr=i18n.tr, lang=i18n.lang, csrf_token=signin.csrf_token, principal=signin.current,
                                 NAV=NAV, VIEWS=app.view_functions, ROLE_NAMES=ROLE_NAMES)
    app.register_blueprint(blp)


def is_page_request() -> bool:
    return request.blueprint == "pages"
