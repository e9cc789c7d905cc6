"""Every refusal is problem+json with a stable code, and a refused request writes nothing."""
from __future__ import annotations

import json

import pytest
from service_helpers import counts, evaluate, submission

from service import evaluation

PROBLEM = "application/problem+json"


def assert_problem(r, status: int, code: str) -> dict:
    assert r.status_code == status, r.get_data(as_text=True)
    assert r.mimetype == PROBLEM
    body = r.json
    assert (body["status"], body["code"]) == (status, code)
    assert body["type"] == f"urn:greenfactory:problem:{code}"
    assert body["title"] and body["detail"] and body["instance"] and isinstance(body["issues"], list)
    assert body["request_id"] == r.headers["X-Request-Id"]
    return body


def post_raw(client, headers, data, content_type="application/json"):
    return client.post("/api/v1/evaluations", data=data, content_type=content_type, headers=headers)


def test_malformed_json_is_400_with_line_and_column(app, client, tokens):
    before = counts(app)
    body = assert_problem(post_raw(client, tokens["enterprise"], '{"policy": "green-factory@2025.1",\n "submission": {,}}'),
                          400, "request.json.malformed")
    assert [(i["line"], i["col"]) for i in body["issues"]] == [(2, 17)]
    assert counts(app) == before


def test_deeply_nested_json_is_400_not_500(client, tokens):
    assert_problem(post_raw(client, tokens["enterprise"], "[" * 100_000 + "]" * 100_000), 400, "request.json.too_deep")


def test_a_body_that_is_not_utf8_is_400(client, tokens):
    assert_problem(post_raw(client, tokens["enterprise"], b'{"policy": "\xff"}'), 400, "request.json.encoding")


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/yaml"])
def test_a_wrong_content_type_is_415(app, client, tokens, content_type):
    before = counts(app)
    data = json.dumps({"policy": "green-factory@2025.1", "submission": submission()})
    assert_problem(post_raw(client, tokens["enterprise"], data, content_type), 415, "request.content_type")
    assert counts(app) == before


def test_a_policy_upload_must_be_yaml(client, tokens):
    r = client.post("/api/v1/policies/mini/versions", json={"id": "mini"}, headers=tokens["policy_admin"])
    assert_problem(r, 415, "request.content_type")


@pytest.mark.parametrize(("ref", "status", "code"), [
    ("no-such-policy@2025.1", 404, "policy.unknown"),
    ("green-factory@1999.1", 404, "policy.version.unknown"),
])
def test_an_unknown_policy_or_version_is_404(app, client, tokens, ref, status, code):
    before = counts(app)
    assert_problem(evaluate(client, tokens["enterprise"], policy=ref), status, code)
    assert counts(app) == before


def test_a_malformed_policy_reference_is_422(client, tokens):
    body = assert_problem(evaluate(client, tokens["enterprise"], policy="../../etc/passwd"), 422, "request.invalid")
    assert [i["path"] for i in body["issues"]] == ["$.policy"]


def test_unknown_and_missing_fields_are_422_with_every_issue(client, tokens):
    r = client.post("/api/v1/evaluations", json={"submision": {}}, headers=tokens["enterprise"])
    body = assert_problem(r, 422, "request.invalid")
    assert {i["path"] for i in body["issues"]} == {"$.policy", "$.submission", "$.submision"}


def test_a_body_over_the_limit_is_413_and_writes_nothing(make_app, tokens_for):
    app = make_app(max_body_bytes=2048)
    client, headers = app.test_client(), tokens_for(app)
    before = counts(app)
    big = submission()
    big["enterprise"]["name"] = "x" * 4000
    assert_problem(evaluate(client, headers["enterprise"], big), 413, "request.body.too_large")
    r = client.post("/api/v1/policies/mini/versions", data=b"#" * 4096, content_type="application/yaml",
                    headers=headers["policy_admin"])
    assert_problem(r, 413, "request.body.too_large")
    assert counts(app) == before


def test_the_default_limit_is_one_mebibyte(app):
    assert app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024


def test_unknown_addresses_and_methods(client, tokens):
    assert_problem(client.get("/api/v1/nothing-here", headers=tokens["reviewer"]), 404, "request.not_found")
    r = client.patch("/api/v1/evaluations", headers=tokens["reviewer"])
    assert_problem(r, 405, "request.method_not_allowed")
    assert "GET" in r.headers["Allow"]


def test_a_500_carries_a_request_id_and_no_internals(app, client, tokens, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("secret internals: /srv/db password=hunter2")

    monkeypatch.setattr(evaluation, "evaluate", explode)
    before = counts(app)
    r = evaluate(client, tokens["enterprise"], None)
    body = assert_problem(r, 500, "internal")
    text = r.get_data(as_text=True)
    assert "hunter2" not in text and "RuntimeError" not in text and "Traceback" not in text
    assert len(body["request_id"]) >= 8
    assert counts(app) == before


def test_a_failure_inside_the_write_rolls_everything_back(app, client, tokens, monkeypatch):
    from service import audit

    def broken_append(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(audit, "append", broken_append)
    before = counts(app)
    assert evaluate(client, tokens["enterprise"]).status_code == 500
    assert counts(app) == before


def test_a_client_request_id_is_echoed(client):
    r = client.get("/healthz", headers={"X-Request-Id": "trace-12345678"})
    assert r.headers["X-Request-Id"] == "trace-12345678"
    assert client.get("/healthz", headers={"X-Request-Id": "bad id <script>"}).headers["X-Request-Id"] != "bad id <script>"
