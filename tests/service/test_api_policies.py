"""Policy versions over HTTP: reading (JSON, YAML, ETag), uploading drafts, publishing, immutability."""
from __future__ import annotations

import threading

import pytest

from tests.service.service_helpers import audit_actions, counts, mini_yaml

YAML = "application/yaml"
GF = "/api/v1/policies/green-factory/versions/2025.1"


def upload(client, tokens, body: bytes, policy_id: str = "mini"):
    return client.post(f"/api/v1/policies/{policy_id}/versions", data=body, content_type=YAML,
                       headers=tokens["policy_admin"])


def test_lists_the_bundled_policies(client, tokens):
    r = client.get("/api/v1/policies", headers=tokens["enterprise"])
    assert r.status_code == 200
    assert {(p["id"], p["latest"]) for p in r.json["items"]} == {("green-factory", "2026.1"), ("green-factory-js", "2026.1")}
    r = client.get("/api/v1/policies/green-factory/versions", headers=tokens["reviewer"])
    assert [(v["version"], v["status"], v["origin"]) for v in r.json["items"]] == [("2025.1", "published", "bundled"),
                                                                          ("2026.1", "published", "bundled")]


def test_a_version_in_json_names_its_id_version_and_digest(client, tokens):
    r = client.get(GF, headers=tokens["enterprise"])
    assert r.status_code == 200 and r.mimetype == "application/json"
    assert (r.json["id"], r.json["version"], r.json["status"]) == ("green-factory", "2025.1", "published")
    assert r.json["digest"].startswith("sha256:")
    assert r.headers["X-Policy-Id"] == "green-factory" and r.headers["X-Policy-Version"] == "2025.1"
    assert r.headers["X-Policy-Digest"] == r.json["digest"]
    assert r.json["document"]["id"] == "green-factory"


def test_yaml_accept_returns_the_text_with_its_comments(app, client, tokens):
    r = client.get(GF, headers={**tokens["enterprise"], "Accept": YAML})
    assert r.status_code == 200 and r.mimetype == YAML
    on_disk = (app.extensions["greenfactory"].settings.policies_dir / "green-factory" / "2025.1.yaml").read_text("utf-8")
    assert r.get_data(as_text=True) == on_disk
    assert r.get_data(as_text=True).startswith("# green-factory@2025.1")
    assert r.headers["X-Policy-Digest"].startswith("sha256:")


def test_etag_and_if_none_match_give_304(client, tokens):
    for accept in ("application/json", YAML):
        first = client.get(GF, headers={**tokens["reviewer"], "Accept": accept})
        etag = first.headers["ETag"]
        again = client.get(GF, headers={**tokens["reviewer"], "Accept": accept, "If-None-Match": etag})
        assert again.status_code == 304 and again.data == b""
    json_etag = client.get(GF, headers=tokens["reviewer"]).headers["ETag"]
    yaml_etag = client.get(GF, headers={**tokens["reviewer"], "Accept": YAML}).headers["ETag"]
    assert json_etag != yaml_etag  # two representations, two tags


def test_an_unacceptable_accept_is_406(client, tokens):
    r = client.get(GF, headers={**tokens["reviewer"], "Accept": "text/html"})
    assert r.status_code == 406 and r.json["code"] == "request.not_acceptable"


def test_upload_creates_a_draft_visible_only_to_policy_admins(client, tokens):
    r = upload(client, tokens, mini_yaml())
    assert r.status_code == 201
    assert (r.json["id"], r.json["version"], r.json["status"]) == ("mini", "2025.1", "draft")
    assert r.headers["Location"].endswith("/api/v1/policies/mini/versions/2025.1")
    assert client.get("/api/v1/policies/mini/versions/2025.1", headers=tokens["policy_admin"]).status_code == 200
    for name in ("enterprise", "reviewer", "authority"):
        # a policy with drafts only does not exist for them
        assert client.get("/api/v1/policies/mini/versions/2025.1", headers=tokens[name]).json["code"] == "policy.unknown"
        assert client.get("/api/v1/policies/mini/versions", headers=tokens[name]).status_code == 404


def test_a_bad_upload_is_422_with_every_issue_and_its_line_and_column(app, client, tokens):
    bad = mini_yaml().replace(b"points: 16", b"points: sixteen").replace(b"rounding:", b"roundin:")
    before = counts(app)
    r = upload(client, tokens, bad)
    assert r.status_code == 422 and r.mimetype == "application/problem+json"
    assert r.json["code"] == "policy.invalid"
    found = {(i["code"], i["path"], i["line"], i["col"]) for i in r.json["issues"]}
    assert ("policy.schema.unknown_key", "$.roundin", 10, 1) in found
    assert ("policy.schema.type", "$.pillars[0].points", 15, 55) in found
    assert any(code == "policy.schema.required" for code, *_ in found)
    assert counts(app) == before


def test_yaml_syntax_error_is_located(client, tokens):
    r = upload(client, tokens, b"id: mini\nversion: [unclosed\n")
    assert r.status_code == 422
    assert [(i["code"], i["line"] > 1) for i in r.json["issues"]] == [("policy.yaml.syntax", True)]


def test_the_paths_id_must_be_the_yamls(client, tokens):
    r = upload(client, tokens, mini_yaml(), policy_id="other")
    assert r.status_code == 422
    assert [i["code"] for i in r.json["issues"]] == ["policy.id.folder_mismatch"]
    r = client.put("/api/v1/policies/mini/versions/2025.9", data=mini_yaml(), content_type=YAML,
                   headers=tokens["policy_admin"])
    assert r.status_code == 404  # PUT replaces an existing draft only


def test_an_upload_must_be_a_draft(client, tokens):
    r = upload(client, tokens, mini_yaml().replace(b"status: draft", b"status: published"))
    assert r.status_code == 422
    assert [(i["code"], i["line"]) for i in r.json["issues"]] == [("policy.status.not_draft", 5)]


@pytest.mark.parametrize("path", ["/api/v1/policies/..%2Fetc/versions", "/api/v1/policies/Green/versions",
                                  "/api/v1/policies/green-factory/versions/..", "/api/v1/policies/a/versions/%2e%2e%2fx"])
def test_ids_and_versions_follow_the_catalog_patterns(client, tokens, path):
    r = client.get(path, headers=tokens["policy_admin"])
    assert r.status_code in (400, 404) and r.mimetype == "application/problem+json"


def test_publish_then_every_write_is_409(app, client, tokens):
    assert upload(client, tokens, mini_yaml()).status_code == 201
    draft = client.get("/api/v1/policies/mini/versions/2025.1", headers=tokens["policy_admin"]).json
    r = client.post("/api/v1/policies/mini/versions/2025.1/publish", headers=tokens["policy_admin"])
    assert r.status_code == 200 and r.json["status"] == "published" and r.json["published_by"].startswith("tok_")
    assert r.json["digest"] != draft["digest"]  # the text now says status: published
    text = client.get("/api/v1/policies/mini/versions/2025.1", headers={**tokens["enterprise"], "Accept": YAML})
    assert "status: published" in text.get_data(as_text=True) and "# A small policy" in text.get_data(as_text=True)

    before = counts(app)
    admin = tokens["policy_admin"]
    writes = [
        client.post("/api/v1/policies/mini/versions/2025.1/publish", headers=admin),
        client.put("/api/v1/policies/mini/versions/2025.1", data=mini_yaml(), content_type=YAML, headers=admin),
        client.put("/api/v1/policies/mini/versions/2025.1", data=b"not: [yaml", content_type=YAML, headers=admin),
        client.delete("/api/v1/policies/mini/versions/2025.1", headers=admin),
        upload(client, tokens, mini_yaml()),
        client.put(GF, data=b"x: 1", content_type=YAML, headers=admin),
        client.delete(GF, headers=admin),
    ]
    assert [w.status_code for w in writes] == [409] * len(writes)
    assert {w.json["code"] for w in writes} == {"policy.version.published"}
    assert counts(app) == before


def test_a_draft_can_be_replaced_and_deleted(client, tokens):
    admin = tokens["policy_admin"]
    assert upload(client, tokens, mini_yaml("2026.1")).status_code == 201
    assert upload(client, tokens, mini_yaml("2026.1")).json["code"] == "policy.version.exists"
    changed = mini_yaml("2026.1").replace(b"title: {zh: \xe6\xb5\x8b\xe8\xaf\x95\xe6\x94\xbf\xe7\xad\x96, en: Test policy}",
                                          b"title: {zh: \xe6\xb5\x8b\xe8\xaf\x95, en: Test}")
    r = client.put("/api/v1/policies/mini/versions/2026.1", data=changed, content_type=YAML, headers=admin)
    assert r.status_code == 200 and r.json["title"] == {"zh": "测试", "en": "Test"}
    assert client.delete("/api/v1/policies/mini/versions/2026.1", headers=admin).status_code == 204
    assert client.get("/api/v1/policies/mini/versions/2026.1", headers=admin).status_code == 404


def test_two_racing_publishers_exactly_one_wins(app, tokens):
    client = app.test_client()
    assert upload(client, tokens, mini_yaml()).status_code == 201
    barrier, statuses = threading.Barrier(4), []

    def publish():
        c = app.test_client()
        barrier.wait()
        statuses.append(c.post("/api/v1/policies/mini/versions/2025.1/publish", headers=tokens["policy_admin"]).status_code)

    threads = [threading.Thread(target=publish) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200, 409, 409, 409]
    assert audit_actions(app).count("policy.publish") == 1
