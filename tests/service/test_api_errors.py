"""Every refusal is problem+json with a stable code, and a refused request writes nothing."""
from __future__ import annotations

import json

import pytest

from service import evaluation

from tests.service.service_helpers import counts, evaluate, problem, sign_in_page, submission


def post_raw(client, headers, data, content_type="application/json"):
    return client.post("/api/v1/evaluations", data=data, content_type=content_type, headers=headers)


def test_malformed_json_is_400_with_line_and_column(app, client, tokens):
    before = counts(app)
    body = problem(post_raw(client, tokens["enterprise"], '{"policy": "green-factory@2025.1",\n "submission": {,}}'),
                          400, "request.json.malformed")
    assert [(i["line"], i["col"]) for i in body["issues"]] == [(2, 17)]
    assert counts(app) == before


def test_deeply_nested_json_is_400_not_500(client, tokens):
    problem(post_raw(client, tokens["enterprise"], "[" * 100_000 + "]" * 100_000), 400, "request.json.too_deep")


def test_a_body_that_is_not_utf8_is_400(client, tokens):
    problem(post_raw(client, tokens["enterprise"], b'{"policy": "\xff"}'), 400, "request.json.encoding")


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/yaml"])
def test_a_wrong_content_type_is_415(app, client, tokens, content_type):
    before = counts(app)
    data = json.dumps({"policy": "green-factory@2025.1", "submission": submission()})
    problem(post_raw(client, tokens["enterprise"], data, content_type), 415, "request.content_type")
    assert counts(app) == before


def test_a_policy_upload_must_be_yaml(client, tokens):
    r = client.post("/api/v1/policies/mini/versions", json={"id": "mini"}, headers=tokens["policy_admin"])
    problem(r, 415, "request.content_type")


@pytest.mark.parametrize(("ref", "status", "code"), [
    ("no-such-policy@2025.1", 404, "policy.unknown"),
    ("green-factory@1999.1", 404, "policy.version.unknown"),
])
def test_an_unknown_policy_or_version_is_404(app, client, tokens, ref, status, code):
    before = counts(app)
    problem(evaluate(client, tokens["enterprise"], policy=ref), status, code)
    assert counts(app) == before


def test_a_malformed_policy_reference_is_422(client, tokens):
    body = problem(evaluate(client, tokens["enterprise"], policy="../../etc/passwd"), 422, "request.invalid")
    assert [i["path"] for i in body["issues"]] == ["$.policy"]


def test_unknown_and_missing_fields_are_422_with_every_issue(client, tokens):
    r = client.post("/api/v1/evaluations", json={"submision": {}}, headers=tokens["enterprise"])
    body = problem(r, 422, "request.invalid")
    assert {i["path"] for i in body["issues"]} == {"$.policy", "$.submission", "$.submision"}


def test_a_body_over_the_limit_is_413_and_writes_nothing(make_app, tokens_for):
    app = make_app(max_body_bytes=2048)
    client, headers = app.test_client(), tokens_for(app)
    before = counts(app)
    big = submission()
    big["enterprise"]["name"] = "x" * 4000
    problem(evaluate(client, headers["enterprise"], big), 413, "request.body.too_large")
    r = client.post("/api/v1/policies/mini/versions", data=b"#" * 4096, content_type="application/yaml",
                    headers=headers["policy_admin"])
    problem(r, 413, "request.body.too_large")
    assert counts(app) == before


def test_the_default_limit_is_one_mebibyte(app):
    assert app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024


def test_unknown_addresses_and_methods(client, tokens):
    problem(client.get("/api/v1/nothing-here", headers=tokens["reviewer"]), 404, "request.not_found")
    r = client.patch("/api/v1/evaluations", headers=tokens["reviewer"])
    problem(r, 405, "request.method_not_allowed")
    assert "GET" in r.headers["Allow"]


def test_a_500_carries_a_request_id_and_no_internals(app, client, tokens, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("secret internals: /srv/db password=hunter2")

    monkeypatch.setattr(evaluation, "evaluate", explode)
    before = counts(app)
    r = evaluate(client, tokens["enterprise"], None)
    body = problem(r, 500, "internal")
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


def test_every_engine_error_has_one_refusal_in_the_table():
    from engine import EngineError, Issue, PolicyInvalid, SubmissionInvalid, UnknownPolicy
    from engine.backends import DurableBackendError, DurableUnavailable
    from service.errors import refusal_of

    issue = Issue("x.y", "A message.")
    cases = {
        PolicyInvalid((issue,)): (422, "policy.invalid"),
        SubmissionInvalid((issue,)): (422, "submission.invalid"),
        UnknownPolicy("policy.ref.malformed", "m"): (400, "policy.ref.malformed"),
        UnknownPolicy("policy.unknown", "m"): (404, "policy.unknown"),
        DurableUnavailable("m"): (503, "backend.durable.unavailable"),
        DurableBackendError("backend.durable.engine", "m"): (503, "backend.durable.engine"),
        EngineError("engine.other", "m"): (422, "engine.other"),
    }
    for error, expected in cases.items():
        assert isinstance(error, EngineError)
        refusal = refusal_of(error)
        assert (refusal.status, refusal.code) == expected, error


def test_a_page_and_the_api_refuse_the_same_request_alike(client, tokens):
    api = client.get("/api/v1/policies/no-such-policy/versions/2025.1", headers=tokens["reviewer"])
    sign_in_page(client, tokens["reviewer"])
    page = client.get("/policies/no-such-policy/versions/2025.1")
    assert api.status_code == page.status_code == 404
    assert api.mimetype == "application/problem+json" and page.mimetype == "text/html"
    assert f"<code>{api.json['code']}</code>" in page.get_data(as_text=True)
