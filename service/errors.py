"""Errors at the edge: every failure becomes a Refusal, a status with a stable code, one sentence saying what to
do, and any issues. One table (REFUSALS) maps error classes to refusals; the API renders a Refusal as RFC 9457
problem+json and the pages render the same Refusal as an HTML page, so the two cannot drift apart.

The engine raises values (PolicyInvalid, SubmissionInvalid, UnknownPolicy) and knows nothing of HTTP; the
service raises ApiError subclasses. Nothing else in the service builds an error response.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Callable, Iterable

from flask import Flask, Response, g, request
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from engine import BackendError, EngineError, Issue, IssueList, PolicyInvalid, SubmissionInvalid, UnknownPolicy

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


class TooManyRequests(ApiError):
    status = 429


@dataclass(frozen=True, slots=True)
class Refusal:
    """What a refusal says, before it is rendered as JSON or as a page. message_zh is the Chinese sentence where
    the table has one; the API sends the English one as `detail`."""

    status: int
    code: str
    message: str
    message_zh: str = ""
    issues: tuple = ()
    headers: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)  # extension members of the problem+json body, e.g. issues_total


# werkzeug's own refusals (routing, methods, body size, webargs' 422), by status
HTTP_CODES = {
    400: ("request.malformed", "请求无法解析：请检查其语法。", "The request cannot be read: check its syntax."),
    404: ("request.not_found", "此地址没有内容：请对照 /api/v1/openapi.json 检查路径。",
          "There is nothing at this address: check the path against /api/v1/openapi.json."),
    405: ("request.method_not_allowed", "此地址不接受该方法：请查看 Allow 响应头。",
          "This address does not accept that method: see the Allow header."),
    413: ("request.body.too_large", "请求体超过本服务接受的大小：请发送更小的请求体。",
          "The request body is larger than this service accepts: send a smaller body."),
    422: ("request.invalid", "请求体缺少应有的字段：请查看问题列表。",
          "The request body does not have the expected fields: see the issues."),
    431: ("request.headers.too_large", "请求头过大：请减少或缩短请求头。",
          "The request's headers are too large: send fewer or shorter ones."),
}
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout)  # connection lost or refused, pool exhausted


def _api_error(exc: ApiError) -> Refusal:
    return Refusal(exc.status, exc.code, exc.message, issues=exc.issues, headers=exc.headers, extra=exc.extra)


_ISSUE_LISTS = {  # the code is the class's own (engine.issue); what to do next, in English and Chinese
    PolicyInvalid: ("The policy does not validate: fix every issue listed, then upload it again.",
                    "政策未通过校验：请逐条修正所列问题后重新上传。"),
    SubmissionInvalid: ("The submission cannot be evaluated: fix every issue listed and submit again.",
                        "该申报无法评价：请逐条修正所列问题后重新提交。"),
}


def _issue_list(exc: IssueList) -> Refusal:
    en, zh = _ISSUE_LISTS.get(type(exc), ("The input is not valid: see the issues.", "输入无效：请查看问题列表。"))
    return Refusal(422, exc.code, en, zh, exc.issues)


def _unknown_policy(exc: UnknownPolicy) -> Refusal:
    return Refusal(400 if exc.code == "policy.ref.malformed" else 404, exc.code, exc.message)


def _backend(exc: BackendError) -> Refusal:
    return Refusal(503, exc.code, exc.message or "This rules backend cannot run here: use the built-in one.",
                   "该规则后端无法在此运行：请使用内置后端。")


def _engine(exc: EngineError) -> Refusal:
    return Refusal(422, exc.code, exc.message)


def _http_exception(exc: HTTPException) -> Refusal:
    status = exc.code or 500
    if status == 400 and exc.description == "csrf":  # raised by the pages' CSRF check
        return Refusal(400, "page.csrf", "The form has expired or did not come from this site: open the page again"
                       " and resubmit.", "表单已过期或并非来自本站：请重新打开页面后再提交。")
    code, zh, en = HTTP_CODES.get(status, (f"http.{status}", "", exc.description or _title(status)))
    headers = {k: v for k, v in exc.get_headers() if k.lower() not in ("content-type", "content-length")}
    return Refusal(status, code, en, zh, tuple(_webargs_issues(getattr(exc, "data", None) or {})), headers)


def _database_unavailable(exc: Exception) -> Refusal:
    """The database is down, restarting, or dropped the connection: the transaction was rolled back, and the pool
    reconnects (pool_pre_ping) once it is back, so the client only needs to try again."""
    cause = getattr(exc, "orig", None) or exc
    log.warning("request %s: database unavailable: %s %s: %s: %s", g.get("request_id"), request.method, request.path,
                type(cause).__name__, (str(cause).strip().splitlines() or [""])[0])
    return Refusal(503, "database.unavailable", "The database cannot be reached at the moment: try again in a few"
                   " seconds. A write cut off this way was rolled back, unless the connection broke just as it"
                   " committed: look for it before sending it again.",
                   "暂时无法连接数据库：请几秒后重试。被中断的写入已回滚；若连接恰在提交时断开，请先查询是否已保存再重新发送。",
                   headers={"Retry-After": "5"})


def _unexpected(exc: Exception) -> Refusal:
    log.exception("request %s failed: %s %s", g.get("request_id"), request.method, request.path)
    return Refusal(500, "internal", "Something went wrong on our side; nothing was saved. Quote the request id if"
                   " you report it.", "服务内部出错，未保存任何内容。如需反馈，请提供请求编号。")


# error class -> its problem; the most specific class in the exception's MRO decides
REFUSALS: dict[type, Callable[..., Refusal]] = {
    ApiError: _api_error,
    EngineError: _engine,
    IssueList: _issue_list,
    UnknownPolicy: _unknown_policy,
    BackendError: _backend,
    HTTPException: _http_exception,
    **{lost: _database_unavailable for lost in DATABASE_UNAVAILABLE},
    Exception: _unexpected,
}


def refusal_of(exc: Exception) -> Refusal:
    """The refusal of the most specific class in the exception's MRO (Exception, last, covers every one)."""
    return next(REFUSALS[cls] for cls in type(exc).__mro__ if cls in REFUSALS)(exc)


def problem(status: int, code: str, message: str, issues: Iterable[Issue | dict] = (),
            headers: dict | None = None, extra: dict | None = None) -> Response:
    """A problem+json response; extra: RFC 9457 extension members beside the issues, e.g. issues_total."""
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
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


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


PageRenderer = Callable[[Refusal], Response]


def init_app(app: Flask, page: PageRenderer, is_page: Callable[[], bool]) -> None:
    """One handler for every error: the problem from the table, rendered as a page for the pages' requests and as
    problem+json for the rest. Register after flask-smorest's Api, whose HTTPException handler this replaces."""

    def handle(exc: Exception) -> Response:
        found = refusal_of(exc)
        if is_page():
            return page(found)
        return problem(found.status, found.code, found.message, found.issues, found.headers, found.extra)

    for cls in REFUSALS:
        app.register_error_handler(cls, handle)
