"""Before publishing, over HTTP: the diff of two versions, one submission under two, a population under two."""
from __future__ import annotations

import copy
from decimal import Decimal

from engine import Catalog
from engine.policy import DEFAULT_ROOT
from engine.population import frame_of
from engine.versions import run_impact
from service import comparisons

from tests.service.cohort_helpers import plant
from tests.service.service_helpers import counts, evaluate, mini_yaml, problem, submission

YAML = "application/yaml"
GENERAL, JIANGSU = "green-factory@2025.1", "green-factory-js@2025.1"


def test_the_diff_of_two_versions_lists_each_change_with_its_lines(client, tokens):
    r = client.get(f"/api/v1/policies/diff?from={GENERAL}&to=green-factory@2026.1", headers=tokens["reviewer"])
    assert r.status_code == 200
    body = r.json
    assert body["from"]["policy"] == GENERAL and body["to"]["digest"].startswith("sha256:")
    assert body["counts"] == {"added": len(body["changes"])}
    change = body["changes"][0]
    assert {"kind", "category", "key", "old", "new", "from", "to"} <= set(change)
    assert change["to"]["file"] == "policies/green-factory/2026.1.yaml" and change["to"]["line"] > 0


def test_a_diff_of_drafts_is_for_policy_admins_only(client, tokens):
    admin = tokens["policy_admin"]
    for version in ("2025.1", "2026.1"):
        assert client.post("/api/v1/policies/mini/versions", data=mini_yaml(version), content_type=YAML,
                           headers=admin).status_code == 201
    path = "/api/v1/policies/diff?from=mini@2025.1&to=mini@2026.1"
    assert client.get(path, headers=admin).json["changes"] == []
    problem(client.get(path, headers=tokens["reviewer"]), 404, "policy.unknown")


def test_a_diff_of_an_unknown_version_is_404_and_a_bad_reference_422(client, tokens):
    problem(client.get(f"/api/v1/policies/diff?from={GENERAL}&to=green-factory@1999.1", headers=tokens["reviewer"]),
            404, "policy.version.unknown")
    problem(client.get("/api/v1/policies/diff?from=../etc&to=x", headers=tokens["reviewer"]), 422, "request.invalid")


def test_one_submission_under_two_versions(app, client, tokens):
    before = counts(app)
    r = client.post("/api/v1/comparisons", json={"from": GENERAL, "to": JIANGSU, "submission": submission()},
                    headers=tokens["enterprise"])
    assert r.status_code == 200
    body = r.json
    assert (body["from"]["policy"], body["to"]["policy"]) == (GENERAL, JIANGSU)
    assert Decimal(body["total_delta"]) == Decimal(body["to"]["total"]) - Decimal(body["from"]["total"])
    moved = [rule for rule in body["rules"] if rule["changed"]]
    assert moved and all(rule["from_reason"] or rule["to_reason"] for rule in moved)
    assert counts(app) == before  # nothing stored


def test_a_stored_evaluation_is_compared_within_the_callers_scope(client, tokens):
    eid = evaluate(client, tokens["enterprise"]).json["id"]
    request = {"from": GENERAL, "to": JIANGSU, "evaluation": eid}
    for who in ("enterprise", "reviewer", "authority", "policy_admin"):
        r = client.post("/api/v1/comparisons", json=request, headers=tokens[who])
        assert r.status_code == 200 and r.json["evaluation"] == eid, who
    for who in ("other_enterprise", "reviewer_elsewhere"):
        problem(client.post("/api/v1/comparisons", json=request, headers=tokens[who]), 404, "evaluation.unknown")


def test_a_comparison_refuses_what_intake_refuses_and_others_submissions(client, tokens):
    bad = copy.deepcopy(submission())
    bad["data"]["carbon_intensity"] = -1
    body = problem(client.post("/api/v1/comparisons", json={"from": GENERAL, "to": JIANGSU, "submission": bad},
                               headers=tokens["enterprise"]), 422, "submission.invalid")
    assert ("submission.data.range", "$.submission.data.carbon_intensity") in {(i["code"], i["path"]) for i in body["issues"]}
    problem(client.post("/api/v1/comparisons", json={"from": GENERAL, "to": JIANGSU, "submission": submission()},
                        headers=tokens["other_enterprise"]), 403, "auth.enterprise.mismatch")
    problem(client.post("/api/v1/comparisons", json={"from": GENERAL, "to": JIANGSU, "submission": submission()},
                        headers=tokens["reviewer_elsewhere"]), 403, "auth.region.forbidden")
    problem(client.post("/api/v1/comparisons", json={"from": GENERAL, "to": JIANGSU}, headers=tokens["policy_admin"]),
            422, "request.comparison.subject")
    problem(client.post("/api/v1/comparisons", json={"from": GENERAL, "to": "nope@1", "submission": submission()},
                        headers=tokens["policy_admin"]), 404, "policy.unknown")


def _stored_population(app, tokens, n: int = 8) -> list[dict]:
    """n Ningbo plants evaluated and stored, each with its own water reuse rate; the last one twice."""
    from service import evaluation
    from service.auth import Principal

    store = app.extensions["greenfactory"].store
    raws = [plant(k, 80 + 2.5 * k) for k in range(n)]
    for raw in raws + raws[-1:]:  # the last one twice: the latest of each enterprise and period counts once
        evaluation.create(store, Principal("tok_test", "enterprise", enterprise=raw["enterprise"]["uscc"]), GENERAL, raw)
    return raws


def test_impact_over_stored_submissions_is_the_engines(app, client, tokens):
    raws = _stored_population(app, tokens)
    r = client.post("/api/v1/impact", json={"from": GENERAL, "to": JIANGSU, "movers": 3}, headers=tokens["policy_admin"])
    assert r.status_code == 200
    body = r.json
    catalog = Catalog.from_dir(DEFAULT_ROOT)
    expected = run_impact(catalog.get(GENERAL), catalog.get(JIANGSU), frame_of(raws), movers=3).to_dict()
    assert body["population"]["rows"] == len(raws) == body["population"]["compared"]
    for part in ("score_delta", "flips", "grades", "rules", "by_sector", "by_authority"):
        assert body[part] == expected[part], part
    assert [m["delta"] for m in body["movers"]] == [m["delta"] for m in expected["movers"]]
    mover = body["movers"][0]
    link = mover["comparison"]
    assert link["method"] == "POST" and link["body"]["evaluation"] == mover["evaluation"]
    again = client.post(link["href"], json=link["body"], headers=tokens["policy_admin"])
    assert again.status_code == 200 and again.json["score_delta"] == mover["delta"]


def test_impact_is_scoped_to_the_callers_region(app, client, tokens):
    _stored_population(app, tokens, 3)
    request = {"from": GENERAL, "to": JIANGSU}
    assert client.post("/api/v1/impact", json=request, headers=tokens["reviewer"]).json["population"]["rows"] == 3
    assert client.post("/api/v1/impact", json=request, headers=tokens["reviewer_elsewhere"]).json["population"]["rows"] == 0
    problem(client.post("/api/v1/impact", json={**request, "filter": {"region": "330000"}}, headers=tokens["authority"]),
            403, "auth.region.forbidden")
    problem(client.post("/api/v1/impact", json=request, headers=tokens["enterprise"]), 403, "auth.role.forbidden")
    filtered = client.post("/api/v1/impact", json={**request, "filter": {"sector": "cement"}}, headers=tokens["policy_admin"])
    assert filtered.json["population"]["rows"] == 0 and filtered.json["movers"] == []


def test_impact_over_inline_submissions_counts_refused_rows_with_their_issues(client, tokens, monkeypatch):
    good = [plant(k, 85 + k) for k in range(4)]
    bad = copy.deepcopy(good[0])
    bad["data"]["water_reuse_rate"] = 101
    r = client.post("/api/v1/impact", json={"from": GENERAL, "to": JIANGSU, "submissions": good + [bad]},
                    headers=tokens["reviewer"])
    assert r.status_code == 200
    pop = r.json["population"]
    assert pop["rows"] == 5 and pop["compared"] == 4 and pop["refused"][GENERAL] == 1
    assert {(i["key"], i["issues"][0]["code"]) for i in pop["issues"]} == {("/submissions/4", "submission.data.range")}
    mover = r.json["movers"][0]
    assert mover["comparison"]["body"]["submission"] == good[mover["row"] - 1]
    monkeypatch.setattr(comparisons, "INLINE_LIMIT", 3)
    problem(client.post("/api/v1/impact", json={"from": GENERAL, "to": JIANGSU, "submissions": good},
                        headers=tokens["policy_admin"]), 422, "request.impact.too_many")


def test_a_stored_population_is_read_once_until_an_evaluation_is_added(app, client, tokens, monkeypatch):
    _stored_population(app, tokens, 3)
    built = []
    real = comparisons.frame_of
    monkeypatch.setattr(comparisons, "frame_of", lambda raws: built.append(len(raws)) or real(raws))
    request = {"from": GENERAL, "to": JIANGSU}
    for _ in range(2):
        assert client.post("/api/v1/impact", json=request, headers=tokens["policy_admin"]).json["population"]["rows"] == 3
    evaluate(client, tokens["enterprise"])
    assert client.post("/api/v1/impact", json=request, headers=tokens["policy_admin"]).json["population"]["rows"] == 4
    assert built == [3, 4]
