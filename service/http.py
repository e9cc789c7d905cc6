"""Request plumbing shared by the views: request ids, declared body types, policy stamps, conditional GETs."""
from __future__ import annotations

import json
import re
import sys
import uuid
from typing import Callable

from flask import Flask, Response, current_app, g, request, url_for
from webargs import core
from webargs.flaskparser import FlaskParser

from .errors import BadRequest, NotAcceptable, PayloadTooLarge, UnsupportedMediaType
from .models import PolicyVersion

JSON = "application/json"
YAML = "application/yaml"
YAML_TYPES = (YAML, "application/x-yaml", "text/yaml", "text/x-yaml")
FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
# HTML answers (the pages, the API docs) load only what this service serves; inline styles draw bars and charts
PAGE_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none';"
            " form-action 'self'")


def protect_html(response: Response, csp: str = PAGE_CSP) -> Response:
    """The headers every HTML answer carries: its content policy, no framing, no referrer to other sites."""
    response.headers.setdefault("Content-Security-Policy", csp)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def body(kind: str) -> Callable:
    """Declare the body a view reads ("json" or "yaml"); checked before the view runs."""
    def mark(view: Callable) -> Callable:
        view.gf_body = kind
        return view

    return mark


MULTIPART_SLACK = 64 * 1024  # a form's boundaries, headers and small fields around its files


def upload(limit_of: Callable) -> Callable:
    """Declare a view that takes files: limit_of(settings) is its body limit instead of max_body_bytes. Applied
    before anything reads the body (the NUL and CSRF checks read forms)."""
    def mark(view: Callable) -> Callable:
        view.gf_upload_limit = limit_of
        return view

    return mark


def _upload_limit() -> None:
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    limit_of = getattr(view, "gf_upload_limit", None)
    if limit_of is None or request.method != "POST":
        return
    settings = current_app.extensions["greenfactory"].settings
    request.max_content_length = limit = limit_of(settings) + MULTIPART_SLACK
    if request.content_length is not None and request.content_length > limit:  # refused before reading any of it
        raise PayloadTooLarge("document.too_large", f"The request is {request.content_length} bytes; a document may"
                              f" have at most {settings.max_document_bytes}: send a smaller or compressed file.")


def _start() -> None:
    incoming = request.headers.get("X-Request-Id", "")
    g.request_id = incoming if _REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex


def _check_body() -> None:
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    kind = getattr(view, "gf_body", None)
    if kind is None:
        return
    mimetype = request.mimetype
    if kind == "json":
        if mimetype != JSON:
            raise UnsupportedMediaType("request.content_type", f"Send the body as {JSON}, not"
                                       f" {mimetype or 'without a Content-Type'}.")
        raw = request.get_data(cache=True)  # 413 past the configured limit, before anything is parsed
        try:
            # parsed once: BodyParser hands it to the view's schema. Decoded as UTF-8 first: json.loads would
            # also take UTF-16 and UTF-32 bytes, and JSON between systems is UTF-8 (RFC 8259)
            g.json_body = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise BadRequest("request.json.encoding", "The body is not UTF-8: send JSON as UTF-8.") from None
        except json.JSONDecodeError as exc:
            raise BadRequest("request.json.malformed", f"The body is not valid JSON ({exc.msg}): fix it at line"
                             f" {exc.lineno}, column {exc.colno}.",
                             [{"code": "request.json.malformed", "message": exc.msg, "path": "$",
                               "line": exc.lineno, "col": exc.colno}]) from None
        except RecursionError:
            raise BadRequest("request.json.too_deep", "The JSON is nested too deeply: flatten it.") from None
        except ValueError:  # what is left: an integer longer than Python converts (sys.get_int_max_str_digits)
            raise BadRequest("request.json.number_too_long", f"A number in the body has more than"
                             f" {sys.get_int_max_str_digits()} digits: report a number of sensible size.") from None
    elif kind == "yaml":
        if mimetype not in YAML_TYPES:
            raise UnsupportedMediaType("request.content_type", f"Send the policy as {YAML}, not"
                                       f" {mimetype or 'without a Content-Type'}.")
        request.get_data(cache=True)


def _nul_in(doc) -> str | None:
    """The JSON path of the first key or string holding a NUL character, or None; iterative, so any depth is safe."""
    stack = [("$", doc)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str) and "\x00" in value:
            return path
        if isinstance(value, dict):
            for key, item in value.items():
                if "\x00" in key:
                    return path
                stack.append((f"{path}.{key}", item))
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", item) for i, item in enumerate(value))
    return None


def _refuse_nul() -> None:
    """PostgreSQL's text holds no NUL character, and no id, code, filter or note here needs one: refused where it
    comes in (the path, the query string, form fields, any JSON body; tables.read_rows for CSV and XLSX), not as a
    500 later."""
    if "\x00" in request.path:
        raise BadRequest("request.path.nul", "The path holds a NUL character (%00): remove it.")
    for key, value in request.args.items(multi=True):
        if "\x00" in key or "\x00" in value:
            raise BadRequest("request.query.nul", f'The query parameter "{key.replace(chr(0), "")}" holds a NUL'
                             " character (%00): remove it.")
    if request.mimetype in FORMS:  # the pages' forms
        _refuse_unnamed_parts()
        for key, value in request.form.items(multi=True):
            if "\x00" in key or "\x00" in value:
                raise BadRequest("request.form.nul", f'The form field "{key.replace(chr(0), "")}" holds a NUL'
                                 " character: remove it.")
    if request.mimetype == JSON and b"u0000" in (raw := request.get_data(cache=True)):  # every JSON body, declared or not
        try:
            where = _nul_in(json.loads(raw))
        except (ValueError, RecursionError):  # not JSON: _check_body or the view refuses it, saying why
            return
        if where is not None:
            message = f"The text at {where} holds a NUL character (\\u0000): remove it."
            raise BadRequest("request.json.nul", message, [{"code": "request.json.nul", "message": message, "path": where}])


def _refuse_unnamed_parts() -> None:
    """A multipart part without a name (RFC 7578 requires one) is read by werkzeug under the key None, which no
    view expects: refused here rather than as a 500 wherever a view or check handles the key as text."""
    if request.mimetype == "multipart/form-data" and (None in request.form or None in request.files):
        raise BadRequest("request.form.unnamed", "A part of the multipart form has no name: give every part a name in"
                         ' its Content-Disposition (name="file").')


class BodyParser(FlaskParser):
    """webargs' parser, reading a JSON body from what _check_body parsed already rather than parsing it again."""

    def _raw_load_json(self, req):
        parsed = g.get("json_body", core.missing)
        return super()._raw_load_json(req) if parsed is core.missing else parsed


def _finish(response: Response) -> Response:
    response.headers["X-Request-Id"] = g.get("request_id", "")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def stamp(response: Response, version: PolicyVersion) -> Response:
    """Name the policy version a response depends on."""
    response.headers["X-Policy-Id"] = version.policy_id
    response.headers["X-Policy-Version"] = version.version
    response.headers["X-Policy-Digest"] = version.digest
    return response


def wants_yaml() -> bool:
    """YAML when the client prefers it; JSON by default; 406 if it accepts neither."""
    offered = [JSON, *YAML_TYPES]
    if not request.accept_mimetypes:
        return False
    best = request.accept_mimetypes.best_match(offered)
    if best is None:
        raise NotAcceptable("request.not_acceptable", f"This resource is available as {JSON} or {YAML}: accept one.")
    return best in YAML_TYPES


def conditional(response: Response) -> Response:
    """A strong ETag over the body; 304 when If-None-Match already has it."""
    response.add_etag()
    response.headers["Cache-Control"] = "private, no-cache"
    response.vary.add("Accept")
    return response.make_conditional(request)


def init_app(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_finish)


def init_body_checks(app: Flask) -> None:
    """After authentication: a refused caller learns nothing about bodies."""
    app.before_request(_upload_limit)
    app.before_request(_refuse_nul)
    app.before_request(_check_body)


def next_page(after: int | None, **values) -> str | None:
    """The address of a listing's next page: this request's, with the cursor moved to after; None on the last page."""
    if after is None:
        return None
    args = {k: v for k, v in request.args.items() if k != "after"}
    return url_for(request.endpoint, **values, **args, after=after)
