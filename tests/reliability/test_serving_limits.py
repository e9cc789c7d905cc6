"""The real server (greenfactory serve, waitress) on a loopback port: stalled clients do not make it unreachable,
a document up to the documented limit is read, and every 413, the server's own included, is problem+json."""
from __future__ import annotations

import http.client
import json
import socket
import uuid

import pytest

from tests.reliability.served import HOST, NINGBO, Server, call, server_env, sqlite_url, token

STALLED = 120  # more than waitress's default connection limit of 100
ANSWER_SECONDS = 60  # "answers at all": a bound on a hang, not a measure of speed on a shared machine
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
MIB = 1024 * 1024


@pytest.fixture
def server(tmp_path):
    env = server_env(sqlite_url(tmp_path))
    running = Server(env, tmp_path / "server.log").start()
    yield running
    running.stop()


def _stall(port: int) -> socket.socket:
    """A connection that sent half a request (headers promising a body that never comes) and then nothing."""
    s = socket.create_connection((HOST, port), timeout=10)
    s.sendall(b"POST /api/v1/evaluations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              b"Content-Length: 100000\r\n\r\n{\"partial\": ")
    return s


def test_stalled_partial_requests_do_not_make_the_server_unreachable(server):
    stalled = []
    try:
        for _ in range(STALLED):
            stalled.append(_stall(server.port))
        status, _, body = call(server.port, "GET", "/healthz", timeout=ANSWER_SECONDS)
        assert (status, body["status"]) == (200, "ok"), server.log()
    finally:
        for s in stalled:
            s.close()


def _multipart(data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"region\"\r\n\r\n330212\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"audit.pdf\"\r\n"
            f"Content-Type: application/pdf\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def test_a_document_within_the_documented_limit_is_read_and_the_servers_refusals_are_problem_json(server):
    headers = token(server.env, "enterprise", "--enterprise", NINGBO)
    body, kind = _multipart(PDF + b"%" * (6 * MIB))  # over waitress's old 4 MiB, under the documented 10 MiB
    status, _, answer = call(server.port, "POST", "/api/v1/documents", body, {**headers, "Content-Type": kind})
    assert status == 201, answer
    body, kind = _multipart(PDF + b"%" * (10 * MIB + 1))  # one byte past the limit: the endpoint refuses it
    status, answered, answer = call(server.port, "POST", "/api/v1/documents", body, {**headers, "Content-Type": kind})
    assert (status, answered["Content-Type"], answer["code"]) == (413, "application/problem+json", "document.too_large")
    status, answered, answer = _claimed(server.port, 200 * MIB)  # past what the server reads at all
    assert (status, answered["Content-Type"], answer["code"]) == (413, "application/problem+json",
                                                                  "request.body.too_large")
    status, answered, answer = call(server.port, "GET", "/healthz", headers={"X-Padding": "a" * 100_000})
    assert (status, answered["Content-Type"], answer["code"]) == (431, "application/problem+json",
                                                                  "request.headers.too_large")


def _claimed(port: int, size: int):
    """A request whose Content-Length claims size bytes, none of them sent: the server answers from the headers."""
    conn = http.client.HTTPConnection(HOST, port, timeout=ANSWER_SECONDS)
    try:
        conn.putrequest("POST", "/api/v1/evaluations")
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Content-Length", str(size))
        conn.endheaders()
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), json.loads(response.read())
    finally:
        conn.close()


def test_the_serving_limits_come_from_the_settings():
    from service.config import Settings
    from service.serving import waitress_options

    env = {"GF_CONNECTION_LIMIT": "800", "GF_CHANNEL_TIMEOUT": "12", "GF_CLEANUP_INTERVAL": "3",
           "GF_TRUSTED_PROXY": "10.0.0.2", "GF_MAX_DOCUMENT_BYTES": str(20 * MIB)}
    options = waitress_options(Settings.from_env(env), threads=4)
    assert (options["connection_limit"], options["channel_timeout"], options["cleanup_interval"]) == (800, 12, 3)
    assert options["trusted_proxy"] == "10.0.0.2" and options["trusted_proxy_headers"] == {"x-forwarded-for",
                                                                                           "x-forwarded-proto"}
    assert options["max_request_body_size"] > 20 * MIB  # the server reads the largest document the settings allow
    assert "trusted_proxy" not in waitress_options(Settings.from_env({}), threads=4)  # no forwarded headers trusted
