"""Access at the level of data, with two enterprises in two regions (Ningbo, Zhejiang 330212; Kunshan, Jiangsu
320583), each with five existing national factories and one applicant in round 2026, and a standalone evaluation
per applicant. For every role: what it lists is exactly its scope, through every filter and page; what is outside
it is the same 404 as what does not exist; drafts are invisible and untouchable to everyone but policy admins.

tests/service/test_api_access.py walks the role x endpoint matrix (who may call what at all); this file checks
which rows each call answers with.
"""
from __future__ import annotations

from engine.policy import set_scalar
from service.auth import region_prefix

from tests.reliability.scoping_world import (  # noqa: F401  (headers and world are fixtures)
    APPLICANTS, KUNSHAN, NINGBO, READERS, REGIONAL, ROLES, every_page, factories, headers, in_scope, rows,
    stored_evaluations, world)
from tests.service.service_helpers import NINGBO_USCC, SUZHOU_USCC, mini_yaml, submission
from tests.support import ROOT

YAML = "application/yaml"


# -- evaluations ----------------------------------------------------------------------------------------------

def test_each_role_lists_reads_replays_and_compares_exactly_its_own_evaluations(app, client, headers, world):
    evaluations = stored_evaluations(app)
    assert {region for _, _, region in evaluations} == {NINGBO, KUNSHAN} and len(evaluations) == 14
    for name in READERS:
        mine = {eid for eid, uscc, region in evaluations if in_scope(name, uscc, region)}
        listed = every_page(client, "/api/v1/evaluations?limit=3", headers[name])
        assert {i["id"] for i in listed} == mine and len(listed) == len(mine), name
        for region in (NINGBO, KUNSHAN, "330000", "320000", "440000"):  # a filter narrows the scope, never widens it
            found = {i["id"] for i in every_page(client, f"/api/v1/evaluations?region={region}", headers[name])}
            assert found == {eid for eid, _, r in evaluations if eid in mine and r.startswith(region_prefix(region))}
        for uscc in (NINGBO_USCC, SUZHOU_USCC):
            found = {i["id"] for i in every_page(client, f"/api/v1/evaluations?uscc={uscc}", headers[name])}
            assert found == {eid for eid, u, region in evaluations if u == uscc and eid in mine}, (name, uscc)

        for eid, uscc, region in evaluations:
            expected = 200 if eid in mine else 404
            assert client.get(f"/api/v1/evaluations/{eid}", headers=headers[name]).status_code == expected, name
            replay = client.get(f"/api/v1/evaluations/{eid}/replay", headers=headers[name]).status_code
            assert replay == (403 if ROLES[name][0] == "enterprise" else expected), name
            if ROLES[name] != ROLES["guangdong_authority"]:
                compared = client.post("/api/v1/comparisons", json={"from": "green-factory@2025.1",
                                                                    "to": "green-factory@2026.1", "evaluation": eid},
                                       headers=headers[name])
                assert compared.status_code == expected, (name, compared.json)


def test_nobody_compares_another_scopes_submission_inline(client, headers, world):
    kunshan, ningbo = submission("general-plant-js.json"), submission()
    for name, other in (("ningbo_plant", kunshan), ("kunshan_plant", ningbo), ("zhejiang_reviewer", kunshan),
                        ("jiangsu_reviewer", ningbo), ("ningbo_authority", kunshan), ("jiangsu_authority", ningbo)):
        r = client.post("/api/v1/comparisons", json={"from": "green-factory@2025.1", "to": "green-factory@2026.1",
                                                     "submission": other}, headers=headers[name])
        assert r.status_code == 403 and r.json["code"] in ("auth.enterprise.mismatch", "auth.region.forbidden"), name


def test_an_impact_covers_only_the_callers_region(app, client, headers, world):
    versions = {"from": "green-factory@2025.1", "to": "green-factory@2026.1"}
    latest_per_enterprise = {NINGBO: 6, KUNSHAN: 6}
    for name in REGIONAL:
        regions = ROLES[name][3]
        r = client.post("/api/v1/impact", json=versions, headers=headers[name])
        assert r.status_code == 200, r.json
        assert r.json["population"]["rows"] == sum(latest_per_enterprise[g] for g in regions), name
        assert {m["region"] for m in r.json["movers"]} <= regions, name
        for other in {NINGBO, KUNSHAN} - regions:
            r = client.post("/api/v1/impact", json={**versions, "filter": {"region": other}}, headers=headers[name])
            assert r.status_code == 403 and r.json["code"] == "auth.region.forbidden", name
    r = client.post("/api/v1/impact", json=versions, headers=headers["policy_admin"])
    assert r.json["population"]["rows"] == 12
    for name in ("ningbo_plant", "kunshan_plant"):
        assert client.post("/api/v1/impact", json=versions, headers=headers[name]).status_code == 403


# -- factories, rounds, flags, approvals ------------------------------------------------------------------------

def test_factories_rounds_flags_and_approvals_stay_within_the_region(app, client, headers, world):
    everyone = factories(NINGBO, "宁波") + factories(KUNSHAN, "昆山")
    all_factories = [(f["uscc"], f["region"]) for f in everyone] + [(NINGBO_USCC, NINGBO), (SUZHOU_USCC, KUNSHAN)]
    for name in READERS:
        mine = {uscc for uscc, region in all_factories if in_scope(name, uscc, region)}
        assert {f["uscc"] for f in every_page(client, "/api/v1/factories", headers[name])} == mine, name
        for uscc, region in all_factories:
            expected = 200 if uscc in mine else 404
            assert client.get(f"/api/v1/factories/{uscc}", headers=headers[name]).status_code == expected, name
        for applicant in (NINGBO_USCC, SUZHOU_USCC):
            expected = 200 if applicant in mine else 404
            base = f"/api/v1/rounds/2026/factories/{applicant}"
            assert client.get(f"{base}/benchmark", headers=headers[name]).status_code == expected, name
            assert client.get(f"{base}/what-it-takes?target=next_grade",
                              headers=headers[name]).status_code == expected, name

    for name in REGIONAL:
        regions = ROLES[name][3]
        for listing in ("flags", "removals"):
            r = client.get(f"/api/v1/rounds/2026/{listing}", headers=headers[name])
            assert r.status_code == 200 and {i["region"] for i in r.json["items"]} <= regions, (name, listing)
        flags = client.get("/api/v1/rounds/2026/flags", headers=headers[name]).json["items"]
        assert {i["uscc"] for i in flags} == {u for u, region in APPLICANTS.items() if region in regions}, name

    before = rows(app)
    resolution = {"flag": "implausible_range:water_reuse_rate", "resolution": "confirmed"}
    for name, other in (("zhejiang_reviewer", SUZHOU_USCC), ("jiangsu_reviewer", NINGBO_USCC)):
        r = client.post(f"/api/v1/evaluations/{world[other]}/resolutions", json=resolution, headers=headers[name])
        assert r.status_code == 404, (name, r.json)
    for name, other in (("ningbo_authority", SUZHOU_USCC), ("jiangsu_authority", NINGBO_USCC),
                        ("guangdong_authority", NINGBO_USCC)):
        r = client.post("/api/v1/rounds/2026/approvals", json={"uscc": other, "approved": True}, headers=headers[name])
        assert r.status_code == 404, (name, r.json)
    for name, code in (("ningbo_authority", "320000"), ("jiangsu_authority", "330200"), ("zhejiang_reviewer", "320000")):
        assert client.get(f"/api/v1/authorities/{code}/rounds", headers=headers[name]).status_code == 404, name
    assert rows(app) == before, "no refused write left a row"
    assert client.get("/api/v1/authorities/320000/rounds", headers=headers["jiangsu_authority"]).status_code == 200


# -- drafts ------------------------------------------------------------------------------------------------------

def green_factory_draft() -> bytes:
    """green-factory@2027.1: a draft of a published policy, so that its versions list has something to hide."""
    text = (ROOT / "policies" / "green-factory" / "2026.1.yaml").read_text(encoding="utf-8")
    return set_scalar(set_scalar(text, ("version",), "2027.1"), ("status",), "draft").encode("utf-8")


def test_drafts_are_invisible_and_untouchable_to_everyone_but_policy_admins(app, client, headers):
    admin = headers["policy_admin"]
    for body, path in ((mini_yaml("2027.1"), "mini"), (green_factory_draft(), "green-factory")):
        r = client.post(f"/api/v1/policies/{path}/versions", data=body, content_type=YAML, headers=admin)
        assert r.status_code == 201, r.json
    before = rows(app)
    for name in READERS:
        h = headers[name]
        listed = {p["id"]: p for p in client.get("/api/v1/policies", headers=h).json["items"]}
        assert "mini" not in listed, name
        assert client.get("/api/v1/policies/mini/versions", headers=h).status_code == 404, name
        versions = [v["version"] for v in client.get("/api/v1/policies/green-factory/versions", headers=h).json["items"]]
        assert "2027.1" not in versions, name
        for path in ("mini/versions/2027.1", "green-factory/versions/2027.1"):
            assert client.get(f"/api/v1/policies/{path}", headers=h).status_code == 404, name
            assert client.get(f"/api/v1/policies/{path}", headers={**h, "Accept": YAML}).status_code == 404, name
        r = client.get("/api/v1/policies/diff?from=green-factory@2026.1&to=green-factory@2027.1", headers=h)
        assert r.status_code == 404, name
        sub = submission("general-plant-js.json" if name == "kunshan_plant" else "general-plant.json")
        r = client.post("/api/v1/evaluations", json={"policy": "green-factory@2027.1", "submission": sub}, headers=h)
        assert r.status_code in (403, 404), name
        r = client.post("/api/v1/comparisons", json={"from": "green-factory@2026.1", "to": "green-factory@2027.1",
                                                     "submission": sub}, headers=h)
        assert r.status_code in (403, 404), name
        if name in REGIONAL:
            r = client.post("/api/v1/impact", json={"from": "green-factory@2026.1", "to": "green-factory@2027.1"},
                            headers=h)
            assert r.status_code == 404, name
        # writing: create, replace, delete, publish
        assert client.post("/api/v1/policies/mini/versions", data=mini_yaml("2028.1"), content_type=YAML,
                           headers=h).status_code == 403, name
        assert client.put("/api/v1/policies/mini/versions/2027.1", data=mini_yaml("2027.1"), content_type=YAML,
                          headers=h).status_code == 403, name
        assert client.delete("/api/v1/policies/mini/versions/2027.1", headers=h).status_code == 403, name
        for path in ("mini/versions/2027.1", "green-factory/versions/2027.1"):
            assert client.post(f"/api/v1/policies/{path}/publish", headers=h).status_code == 403, name
    assert rows(app) == before
    for path in ("mini/versions/2027.1", "green-factory/versions/2027.1"):
        assert client.get(f"/api/v1/policies/{path}", headers=admin).json["status"] == "draft"
    latest = {p["id"]: p for p in client.get("/api/v1/policies", headers=headers["ningbo_plant"]).json["items"]}
    assert "2027.1" not in str(latest["green-factory"])
