"""Evaluations over HTTP: 201 with the policy stamp, reading within scope, listing, replay."""
from __future__ import annotations

from engine import Catalog

from tests.service.service_helpers import NINGBO_USCC, counts, evaluate, mini_yaml, submission


def test_201_stores_the_submission_and_the_outcome_with_its_trace(app, client, tokens):
    r = evaluate(client, tokens["enterprise"])
    assert r.status_code == 201
    body = r.json
    assert body["policy"]["id"] == "green-factory" and body["policy"]["version"] == "2025.1"
    digest = Catalog.from_dir(app.extensions["greenfactory"].settings.policies_dir).get("green-factory@2025.1").policy.digest
    assert body["policy"]["digest"] == digest == body["outcome"]["policy_digest"]
    assert (r.headers["X-Policy-Id"], r.headers["X-Policy-Version"], r.headers["X-Policy-Digest"]) == \
        ("green-factory", "2025.1", digest)
    assert body["submission"] == submission()
    assert body["outcome"]["trace"] and body["outcome"]["score"] == "64.82"
    assert r.headers["Location"] == f"/api/v1/evaluations/{body['id']}"

    again = client.get(r.headers["Location"], headers=tokens["enterprise"])
    assert again.status_code == 200
    assert again.json["outcome"] == body["outcome"] and again.json["submission"] == body["submission"]
    assert again.json["policy"] == body["policy"] and again.headers["X-Policy-Digest"] == digest


def test_a_bare_policy_id_means_its_latest_published_version(client, tokens):
    r = evaluate(client, tokens["enterprise"], policy="green-factory")
    assert r.status_code == 201 and r.json["policy"]["version"] == "2026.1"


def test_a_draft_cannot_be_evaluated_under(client, tokens):
    assert client.post("/api/v1/policies/mini/versions", data=mini_yaml(), content_type="application/yaml",
                       headers=tokens["policy_admin"]).status_code == 201
    r = evaluate(client, tokens["enterprise"], policy="mini@2025.1")
    assert r.status_code == 404 and r.json["code"] == "policy.unknown"  # drafts only: no such policy for enterprises
    assert client.post("/api/v1/policies/mini/versions/2025.1/publish", headers=tokens["policy_admin"]).status_code == 200
    assert client.post("/api/v1/policies/mini/versions", data=mini_yaml("2026.1"), content_type="application/yaml",
                       headers=tokens["policy_admin"]).status_code == 201
    r = evaluate(client, tokens["enterprise"], policy="mini@2026.1")
    assert r.status_code == 404 and r.json["code"] == "policy.version.unknown"


def test_an_invalid_submission_is_422_with_paths_in_the_request_body(app, client, tokens):
    sub = submission()
    sub["data"]["carbon_intensity"] = -1
    del sub["enterprise"]["name"]
    before = counts(app)
    r = evaluate(client, tokens["enterprise"], sub)
    assert r.status_code == 422 and r.json["code"] == "submission.invalid"
    assert {(i["code"], i["path"]) for i in r.json["issues"]} >= {
        ("submission.data.range", "$.submission.data.carbon_intensity")}
    assert any(i["path"].startswith("$.submission.enterprise") for i in r.json["issues"])
    assert counts(app) == before


def test_an_enterprise_submits_only_for_itself(app, client, tokens):
    before = counts(app)
    r = evaluate(client, tokens["other_enterprise"])
    assert r.status_code == 403 and r.json["code"] == "auth.enterprise.mismatch"
    assert counts(app) == before


def test_reading_is_scoped_by_enterprise_and_region(client, tokens):
    eid = evaluate(client, tokens["enterprise"]).json["id"]
    allowed = {"enterprise", "reviewer", "authority"}
    for name in ("enterprise", "other_enterprise", "reviewer", "reviewer_elsewhere", "authority", "authority_elsewhere"):
        r = client.get(f"/api/v1/evaluations/{eid}", headers=tokens[name])
        assert r.status_code == (200 if name in allowed else 404), name
        listed = client.get("/api/v1/evaluations", headers=tokens[name]).json["items"]
        assert [e["id"] for e in listed] == ([eid] if name in allowed else []), name
    assert client.get(f"/api/v1/evaluations/{eid}", headers=tokens["policy_admin"]).status_code == 403
    assert client.get("/api/v1/evaluations/no-such-id", headers=tokens["reviewer"]).json["code"] == "evaluation.unknown"


def test_listing_filters_and_pages(client, tokens):
    ids = [evaluate(client, tokens["enterprise"]).json["id"] for _ in range(3)]
    page = client.get("/api/v1/evaluations?limit=2", headers=tokens["reviewer"]).json
    assert [e["id"] for e in page["items"]] == ids[::-1][:2] and page["next"]
    rest = client.get(page["next"], headers=tokens["reviewer"]).json
    assert [e["id"] for e in rest["items"]] == ids[:1]
    assert page["items"][0]["uscc"] == NINGBO_USCC and page["items"][0]["policy"]["id"] == "green-factory"
    assert client.get("/api/v1/evaluations?region=330200", headers=tokens["reviewer"]).json["items"]
    assert not client.get("/api/v1/evaluations?region=330100", headers=tokens["reviewer"]).json["items"]
    assert not client.get("/api/v1/evaluations?policy=green-factory-js", headers=tokens["reviewer"]).json["items"]
    r = client.get("/api/v1/evaluations?limit=1000", headers=tokens["reviewer"])
    assert r.status_code == 422 and r.json["code"] == "request.invalid"


def test_replay_reproduces_the_stored_bytes(client, tokens):
    eid = evaluate(client, tokens["enterprise"]).json["id"]
    r = client.get(f"/api/v1/evaluations/{eid}/replay", headers=tokens["reviewer"])
    assert r.status_code == 200 and r.json["matches"] is True
    assert r.json["stored_sha256"] == r.json["replayed_sha256"]
    assert r.json["policy"]["id"] == "green-factory" and r.headers["X-Policy-Digest"] == r.json["policy"]["digest"]


def test_evaluating_under_a_newly_published_version(client, tokens):
    admin = tokens["policy_admin"]
    assert client.post("/api/v1/policies/mini/versions", data=mini_yaml(), content_type="application/yaml",
                       headers=admin).status_code == 201
    published = client.post("/api/v1/policies/mini/versions/2025.1/publish", headers=admin).json
    sub = submission()
    sub["data"], sub["cases"], sub["facts"], sub["evidence"] = {"energy_intensity_output": 30}, {}, {}, {}
    r = evaluate(client, tokens["enterprise"], sub, policy="mini@2025.1")
    assert r.status_code == 201, r.json
    assert r.json["policy"] == {"id": "mini", "version": "2025.1", "digest": published["digest"]}
    replayed = client.get(f"/api/v1/evaluations/{r.json['id']}/replay", headers=tokens["reviewer"]).json
    assert replayed["matches"] is True
