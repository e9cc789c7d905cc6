"""Server-rendered pages (Jinja2) for reviewers, policy staff, enterprises and authorities, in Chinese and
English, with every asset served from here (no CDN, no script from outside).

The blueprint holds the shared parts: sign-in (signin.py), language (i18n.py), the layout, HTML error pages and
CSRF. Each page module registers its views on `blp` and calls the same service functions as the API, so a page
can show nothing the API would refuse its role.
"""
from __future__ import annotations

import logging
import os
import secrets
from datetime import timedelta
from pathlib import Path

from flask import Blueprint, Flask, g, render_template, request
from werkzeug.exceptions import HTTPException

from engine import IssueList, UnknownPolicy

from ..errors import DATABASE_UNAVAILABLE, ApiError, log_unavailable
from . import i18n, signin

log = logging.getLogger("greenfactory.pages")
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
    # pages load only what this service serves; inline styles are used for the bars and charts
    response.headers.setdefault("Content-Security-Policy", "default-src 'self'; img-src 'self' data:;"
                                " style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def _error_page(status: int, code: str, message: str, issues=()):
    return render_template("error.html", status=status, code=code, message=message, issues=issues), status


@blp.errorhandler(ApiError)
def _on_api_error(exc: ApiError):
    return _error_page(exc.status, exc.code, exc.message, exc.issues)


@blp.errorhandler(UnknownPolicy)
def _on_unknown_policy(exc: UnknownPolicy):
    return _error_page(400 if exc.code == "policy.ref.malformed" else 404, exc.code, exc.message)


@blp.errorhandler(IssueList)
def _on_issues(exc: IssueList):
    return _error_page(422, "invalid", "The input is not valid: fix every issue listed.", exc.issues)


@blp.errorhandler(HTTPException)
def _on_http(exc: HTTPException):
    status = exc.code or 500
    if status == 400 and exc.description == "csrf":
        return _error_page(400, "page.csrf", "The form has expired or did not come from this site: open the page"
                           " again and resubmit.")
    return _error_page(status, f"http.{status}", exc.name)


def _on_database_unavailable(exc: Exception):
    log_unavailable(exc)
    body, status = _error_page(503, "database.unavailable", "The database cannot be reached at the moment: try again"
                               " in a few seconds.")
    return body, status, {"Retry-After": "5"}


for _lost in DATABASE_UNAVAILABLE:
    blp.register_error_handler(_lost, _on_database_unavailable)


@blp.errorhandler(Exception)
def _on_unexpected(exc: Exception):
    log.exception("page %s failed: %s %s", g.get("request_id"), request.method, request.path)
    return _error_page(500, "internal", f"Something went wrong on our side; nothing was saved. Quote request id"
                       f" {g.get('request_id')} if you report it.")


def _secret_key(app: Flask) -> str:
    """GF_SECRET_KEY, else a key kept in var/secret_key (made once, readable by this user only)."""
    if app.config.get("SECRET_KEY"):
        return app.config["SECRET_KEY"]
    if os.environ.get("GF_SECRET_KEY"):
        return os.environ["GF_SECRET_KEY"]
    path = Path(__file__).resolve().parents[2] / "var" / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
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
                      PERMANENT_SESSION_LIFETIME=timedelta(hours=8))
    app.jinja_env.globals.update(tr=i18n.tr, lang=i18n.lang, csrf_token=signin.csrf_token, principal=signin.current,
                                 NAV=NAV, VIEWS=app.view_functions, ROLE_NAMES=ROLE_NAMES)
    app.register_blueprint(blp)


def is_page_request() -> bool:
    return request.blueprint == "pages"
