"""Errors at the edge: every failure becomes RFC 9457 problem+json with a stable code and its issues.

The engine raises values (PolicyInvalid, SubmissionInvalid, UnknownPolicy) and knows nothing of HTTP; the
service raises ApiError subclasses. One handler per base class maps them to statuses here, and nothing
else in the service builds an error response.
"""
from __future__ import annotations

import json
import logging
from typing import Iterable

from flask import Flask, Response, g, request
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from engine.catalog import UnknownPolicy
from engine.issue import Issue, IssueList, PolicyInvalid, SubmissionInvalid

PROBLEM = "application/problem+json"
log = logging.getLogger("greenfactory.service")


class ApiError(Exception):
    """A refusal with a status, a stable dotted code, one sentence saying what to do, and any issues."""

    status = 400

    def __init__(self, code: str, message: str, issues: Iterable[Issue | dict] = (), headers: dict | None = None,
                 extra: dict | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.issues = tuple(issues)
        self.headers = headers or {}
        self.extra = extra or {}  # RFC 9457 extension members beside the issues, e.g. issues_total


class BadRequest(ApiError):
    status = 400


class Unauthorized(ApiError):
    status = 401


class Forbidden(ApiError):
    status = 403


class NotFound(ApiError):
    status = 404


class NotAcceptable(ApiError):
    status = 406


class Conflict(ApiError):
    status = 409


class PayloadTooLarge(ApiError):
    status = 413


class UnsupportedMediaType(ApiError):
    status = 415


class Unprocessable(ApiError):
    status = 422


# werkzeug's own refusals (routing, methods, body size, webargs' 422), by status
HTTP_CODES = {
    400: ("request.malformed", "The request cannot be read: check its syntax."),
    404: ("request.not_found", "There is nothing at this address: check the path against /api/v1/openapi.json."),
    405: ("request.method_not_allowed", "This address does not accept that method: see the Allow header."),
    413: ("request.body.too_large", "The request body is larger than this service accepts: send a smaller body."),
    422: ("request.invalid", "The request body does not have the expected fields: see the issues."),
}


def problem(status: int, code: str, message: str, issues: Iterable[Issue | dict] = (),
            headers: dict | None = None, extra: dict | None = None) -> Response:
    body = {
        "type": f"urn:greenfactory:problem:{code}",
        "title": _title(status),
        "status": status,
        "code": code,
        "detail": message,
        "instance": request.path,
        "request_id": g.get("request_id"),
        "issues": [i.to_dict() if isinstance(i, Issue) else i for i in issues],
        **(extra or {}),
    }
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _title(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _on_api_error(exc: ApiError) -> Response:
    return problem(exc.status, exc.code, exc.message, exc.issues, exc.headers, exc.extra)


def _on_issue_list(exc: IssueList) -> Response:
    if isinstance(exc, PolicyInvalid):
        return problem(422, "policy.invalid", "The policy does not validate: fix every issue listed, then upload it again.",
                       exc.issues)
    if isinstance(exc, SubmissionInvalid):
        return problem(422, "submission.invalid", "The submission cannot be evaluated: fix every issue listed and submit"
                       " again.", exc.issues)
    return problem(422, "invalid", "The input is not valid: see the issues.", exc.issues)


def _on_unknown_policy(exc: UnknownPolicy) -> Response:
    return problem(400 if exc.code == "policy.ref.malformed" else 404, exc.code, exc.message)


def _on_http_exception(exc: HTTPException) -> Response:
    status = exc.code or 500
    code, message = HTTP_CODES.get(status, (f"http.{status}", exc.description or _title(status)))
    issues = _webargs_issues(getattr(exc, "data", None) or {})
    headers = {k: v for k, v in exc.get_headers() if k.lower() not in ("content-type", "content-length")}
    return problem(status, code, message, issues, headers)


def _webargs_issues(data: dict) -> list[dict]:
    """flask-smorest puts marshmallow's messages in exc.data["messages"]: {"json": {"field": ["..."]}}."""
    out: list[dict] = []

    def walk(node, path: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{path}[{key}]" if isinstance(key, int) else f"{path}.{key}")
        elif isinstance(node, list) and all(isinstance(m, str) for m in node):
            out.extend({"code": "request.field.invalid", "message": m, "path": path} for m in node)

    for location, messages in (data.get("messages") or {}).items():
        walk(messages, "$" if location == "json" else f"{location}:$")
    return out


def _on_unexpected(exc: Exception) -> Response:
    log.exception("request %s failed: %s %s", g.get("request_id"), request.method, request.path)
    return problem(500, "internal", "Something went wrong on our side; nothing was saved. Quote the request id if you"
                   " report it.")


DATABASE_UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout)  # connection lost or refused, pool exhausted


def log_unavailable(exc: Exception) -> None:
    cause = getattr(exc, "orig", None) or exc
    log.warning("request %s: database unavailable: %s %s: %s: %s", g.get("request_id"), request.method, request.path,
                type(cause).__name__, (str(cause).strip().splitlines() or [""])[0])


def _on_database_unavailable(exc: Exception) -> Response:
    """The database is down, restarting, or dropped the connection: the transaction was rolled back, and the pool
    reconnects (pool_pre_ping) once it is back, so the client only needs to try again."""
    log_unavailable(exc)
    return problem(503, "database.unavailable", "The database cannot be reached at the moment: try again in a few"
                   " seconds. A write cut off this way was rolled back, unless the connection broke just as it"
                   " committed: look for it before sending it again.", headers={"Retry-After": "5"})


def init_app(app: Flask) -> None:
    """Register after flask-smorest's Api, whose HTTPException handler this one replaces."""
    app.register_error_handler(ApiError, _on_api_error)
    app.register_error_handler(IssueList, _on_issue_list)
    app.register_error_handler(UnknownPolicy, _on_unknown_policy)
    app.register_error_handler(HTTPException, _on_http_exception)
    for lost in DATABASE_UNAVAILABLE:
        app.register_error_handler(lost, _on_database_unavailable)
    app.register_error_handler(Exception, _on_unexpected)
