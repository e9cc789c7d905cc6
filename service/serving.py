"""Serving with waitress, with bounds an operator can trust: how many connections are served at once, how long a
silent one is kept, the largest body read, and refusals at that level as problem+json like every other.

Waitress reads each request whole, headers and body, before a worker thread sees it, so a slow or stalled client
holds a connection but never a thread; what it can exhaust is the connection limit. The limit is set well above
waitress's 100, silent connections are closed after channel_timeout, and the sweep for them runs every
cleanup_interval seconds. A client that trickles bytes forever is the reverse proxy's to stop (docs/security.md).
"""
from __future__ import annotations

import json
from http import HTTPStatus

from flask import Flask
from waitress.channel import HTTPChannel
from waitress.server import create_server
from waitress.task import ErrorTask

from .config import Settings
from .errors import HTTP_CODES, PROBLEM
from .http import MULTIPART_SLACK

MAX_HEADER_BYTES = 64 * 1024  # request line and headers: ample for a bearer token and a session cookie


def body_limit(settings: Settings) -> int:
    """The largest body the server reads: the largest any endpoint takes (a document and its form), plus one form's
    slack, so the endpoint's own limit answers first, with its own code."""
    return max(settings.max_body_bytes, settings.max_document_bytes + MULTIPART_SLACK) + MULTIPART_SLACK


def waitress_options(settings: Settings, threads: int) -> dict:
    options = {
        "threads": threads, "ident": "greenfactory", "asyncore_use_poll": True,  # poll: no 1024-descriptor bound
        "connection_limit": settings.connection_limit, "channel_timeout": settings.channel_timeout,
        "cleanup_interval": settings.cleanup_interval, "max_request_header_size": MAX_HEADER_BYTES,
        "max_request_body_size": body_limit(settings), "clear_untrusted_proxy_headers": True,
    }
    if settings.trusted_proxy:  # only then do X-Forwarded-For and -Proto name the client and the scheme
        options.update(trusted_proxy=settings.trusted_proxy, trusted_proxy_count=1,
                       trusted_proxy_headers={"x-forwarded-for", "x-forwarded-proto"})
    return options


class _ProblemErrorTask(ErrorTask):
    """Waitress's own refusals (a body past max_request_body_size, headers too large, a malformed request) as
    problem+json, like the application's, instead of text/plain."""

    def execute(self):
        error = self.request.error
        title = HTTPStatus(error.code).phrase
        code, _zh, message = HTTP_CODES.get(error.code, (f"http.{error.code}", "", title))
        body = json.dumps({"type": f"urn:greenfactory:problem:{code}", "title": title,
                           "status": error.code, "code": code, "detail": message,
                           "instance": getattr(self.request, "path", "") or "", "request_id": None, "issues": []},
                          ensure_ascii=False).encode("utf-8")
        self.status = f"{error.code} {error.reason}"
        self.response_headers.append(("Content-Type", PROBLEM))
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class _Channel(HTTPChannel):
    error_task_class = _ProblemErrorTask


def serve(app: Flask, settings: Settings, host: str, port: int, threads: int) -> None:
    """Serve until interrupted."""
    server = create_server(app, host=host, port=port, **waitress_options(settings, threads))
    server.channel_class = _Channel
    server.print_listen("waitress serving on http://{}:{}")
    server.run()
