"""Factories, rounds, baselines, benchmarks, what it takes, review flags, approvals and the authorities' view over
HTTP, on SQLite and PostgreSQL: role and region rules, all-or-nothing imports, the audit chain afterwards."""
from __future__ import annotations

import io
import json

import pytest

from engine.submission import with_check_digit

from tests.service.cohort_helpers import CSV, csv_body
from tests.service.cohort_helpers import plant as ningbo
from tests.service.cohort_helpers import run_cohort
from tests.service.service_helpers import NINGBO_USCC, counts

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def world(app, client, tokens):
    """Five existing national factories in Ningbo, a round with them and two applicants, run."""
    done = run_cohort(client, tokens)
    assert done["evaluated"] == 7 and done["existing"] == 5
    return done


def test_a_round_runs_new_and_existing_in_parallel(app, client, tokens, world):
    r = client.get("/api/v1/rounds/2026/baselines", headers=tokens["enterprise"])
    assert r.status_code == 200 and r.json["snapshot"] == world["snapshot"]
    (base,) = r.json["items"]
    assert (base["scope"], base["size"]) == ("region:330200", 5)
    mine = client.get(f"/api/v1/factories/{NINGBO_USCC}", headers=tokens["enterprise"]).json
    entry = mine["rounds"][0]
    assert entry["role"] == "applicant" and entry["flags"] == ["implausible_range:water_reuse_rate"]
    outcome = client.get(f"/api/v1/evaluations/{entry['evaluation']}", headers=tokens["enterprise"]).json["outcome"]
    assert outcome["decision"]["baseline"] == {"snapshot": world["snapshot"], "scope": "region:330200", "size": 5,
                                               "mean": base["mean"]}
    bench = client.get(f"/api/v1/rounds/2026/factories/{NINGBO_USCC}/benchmark", headers=tokens["enterprise"]).json
    assert bench["cohort_size"] == 6 and bench["grade"] in ("A+", "A", "B") and bench["gaps"]
    takes = client.get(f"/api/v1/rounds/2026/factories/{with_check_digit('91330212MA0000009')}/what-it-takes",
                       headers=tokens["reviewer"])
    assert takes.status_code == 200 and takes.json["about"]["snapshot"] == world["snapshot"]
    assert any(c["reachable"] for c in takes.json["changes"]) or takes.json["goal"] is None
    assert client.get(f"/api/v1/rounds/2026/factories/{NINGBO_USCC}/benchmark",
                      headers=tokens["other_enterprise"]).status_code == 404


def test_replay_and_audit_verify_after_a_run(app, client, tokens, world, database_url, capsys):
    from tools.cli import main

    mine = client.get(f"/api/v1/factories/{NINGBO_USCC}", headers=tokens["enterprise"]).json
    eid = mine["rounds"][0]["evaluation"]
    assert client.get(f"/api/v1/evaluations/{eid}/replay", headers=tokens["reviewer"]).json["matches"] is True
    assert main(["audit", "verify", "--database-url", database_url]) == 0
    assert "audit ok" in capsys.readouterr().out


def test_every_bad_row_is_reported_and_nothing_imported(app, client, tokens):
    before = counts(app)
    rows = [{"uscc": with_check_digit("91330212MA0000001"), "name": "ok", "region": "330212", "national_year": "2020"},
            {"uscc": "91330212MA00000010", "name": "bad code", "region": "330212"},
            {"uscc": with_check_digit("91330212MA0000002"), "name": "", "region": "99x"},
            {"uscc": with_check_digit("91320583MA0000003"), "name": "elsewhere", "region": "320583",
             "national_year": "20x"}]
    r = client.post("/api/v1/factories", data=csv_body(rows), content_type=CSV, headers=tokens["authority"])
    assert r.status_code == 422 and r.json["code"] == "import.invalid"
    found = {(i["code"], i["path"]) for i in r.json["issues"]}
    assert {("import.uscc.invalid", "$.rows[1].uscc"), ("import.name.missing", "$.rows[2].name"),
            ("import.region.invalid", "$.rows[2].region"), ("import.region.forbidden", "$.rows[3].region"),
            ("import.year.invalid", "$.rows[3].national_year")} <= found
    r = client.get("/api/v1/factories", headers=tokens["reviewer"])
    assert r.json["items"] == [] and counts(app) == before


def test_factories_import_from_xlsx(client, tokens):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["uscc", "name", "region", "sector", "national_year"])
    sheet.append([with_check_digit("91330212MA0000007"), "宁波工厂7", "330212", "general", 2022])
    body = io.BytesIO()
    book.save(body)
    r = client.post("/api/v1/factories", data=body.getvalue(), content_type=XLSX, headers=tokens["policy_admin"])
    assert r.status_code == 200 and r.json["added"] == 1
    listed = client.get("/api/v1/factories?region=330200", headers=tokens["authority"]).json["items"]
    assert [(f["level"], f["national_year"]) for f in listed] == [("national", 2022)]


def test_bad_submissions_are_reported_with_their_row_and_path(app, client, tokens):
    client.post("/api/v1/rounds", json={"id": "2026", "policy": "green-factory@2026.1"}, headers=tokens["policy_admin"])
    bad = ningbo(1, 80)
    bad["data"]["water_reuse_rate"] = 120
    r = client.post("/api/v1/rounds/2026/submissions", json={"rows": [{"submission": ningbo(0, 80)}, {"submission": bad}]},
                    headers=tokens["authority"])
    assert r.status_code == 422
    assert [(i["code"], i["path"]) for i in r.json["issues"]] == [("submission.data.range",
                                                                    "$.rows[1].submission.data.water_reuse_rate")]
    assert client.get("/api/v1/rounds", headers=tokens["reviewer"]).json["items"][0]["entries"] == 0
    r = client.post("/api/v1/rounds/2026/submissions", json={"rows": [{"submission": ningbo(0, 80)}]},
                    headers=tokens["enterprise"])
    assert r.status_code == 422 and r.json["issues"][0]["code"] == "import.submission.forbidden"


def test_a_round_without_submissions_does_not_run(app, client, tokens):
    admin = tokens["policy_admin"]
    assert client.post("/api/v1/rounds", json={"id": "2026", "policy": "green-factory@2026.1"},
                       headers=admin).status_code == 201
    before = counts(app)
    r = client.post("/api/v1/rounds/2026/run", headers=admin)
    assert r.status_code == 409 and r.json["code"] == "round.empty"
    assert counts(app) == before
    assert client.get("/api/v1/rounds", headers=admin).json["items"][0]["status"] == "open"


def test_approvals_flags_removals_and_the_authorities_view(app, client, tokens, world):
    flagged = client.get("/api/v1/rounds/2026/flags", headers=tokens["reviewer"]).json["items"]
    assert [f["uscc"] for f in flagged] == [NINGBO_USCC]
    assert client.get("/api/v1/rounds/2026/flags", headers=tokens["reviewer_elsewhere"]).json["items"] == []
    eid = flagged[0]["evaluation"]
    flag = "implausible_range:water_reuse_rate"
    body = {"flag": flag, "resolution": "confirmed", "note": "water balance checked"}
    assert client.post(f"/api/v1/evaluations/{eid}/resolutions", json=body,
                       headers=tokens["reviewer_elsewhere"]).status_code == 404
    r = client.post(f"/api/v1/evaluations/{eid}/resolutions", json=body, headers=tokens["reviewer"])
    assert r.status_code == 201 and r.json["resolution"] == "confirmed"
    assert client.post(f"/api/v1/evaluations/{eid}/resolutions", json=body, headers=tokens["reviewer"]).status_code == 409
    again = client.get("/api/v1/rounds/2026/flags", headers=tokens["reviewer"]).json["items"][0]
    assert again["resolutions"] == {flag: "confirmed"}

    recommended = [f for f in client.get("/api/v1/factories?region=330200", headers=tokens["authority"]).json["items"]
                   if f["level"] != "national"]
    decided = 0
    for f in recommended:
        entry = client.get(f"/api/v1/factories/{f['uscc']}", headers=tokens["authority"]).json["rounds"][0]
        r = client.post("/api/v1/rounds/2026/approvals", json={"uscc": f["uscc"], "approved": True},
                        headers=tokens["authority"])
        assert r.status_code == (201 if entry["recommended"] else 409)
        decided += entry["recommended"] is True
    view = client.get("/api/v1/authorities/330200/rounds", headers=tokens["authority"]).json
    (item,) = view["rounds"]
    assert item["applicants"] == 2 and item["approved"] == decided and item["existing"] == 5
    assert client.get("/api/v1/authorities/440000/rounds", headers=tokens["authority"]).status_code == 404
    assert client.get("/api/v1/rounds/2026/removals", headers=tokens["authority"]).status_code == 200
    assert client.post("/api/v1/rounds/2026/run", headers=tokens["policy_admin"]).json["code"] == "round.already_run"


@pytest.mark.slow
def test_demo_data_is_deterministic(tmp_path, capsys):
    from tools.cli import main

    for name in ("a.jsonl", "b.jsonl"):
        assert main(["demo-data", "--factories", "60", "--seed", "7", "--out", str(tmp_path / name)]) == 0
    first = (tmp_path / "a.jsonl").read_bytes()
    assert first == (tmp_path / "b.jsonl").read_bytes() and first.count(b'"factory"') == 60
    assert main(["demo-data", "--factories", "60", "--seed", "8", "--out", str(tmp_path / "c.jsonl")]) == 0
    assert (tmp_path / "c.jsonl").read_bytes() != first


def test_demo_data_loads_once_and_verifies(make_app, database_url, capsys):
    from service import demo
    from tools.cli import main

    app = make_app()
    store = app.extensions["greenfactory"].store
    done = demo.load(store, factories=120, seed=3, say=lambda _: None)
    assert done["factories"] == 120 and [r["round"] for r in done["rounds"]] == ["2023", "2024", "2025"]
    assert demo.load(store, factories=120, seed=3) is None  # idempotent: the database has factories
    assert main(["audit", "verify", "--database-url", database_url]) == 0
    assert json.loads(json.dumps(done))  # plain data


def test_large_submissions_are_queried_in_chunks(app, client, tokens, monkeypatch):
    """IN (...) lists go in slices: with slices of 2, a re-submission still replaces every entry and the
    flags still carry their resolutions (above the slice size these used to be skipped)."""
    from sqlalchemy import func, select

    from service import db
    from service.cohort_models import RoundEntry

    monkeypatch.setattr(db, "IN_LIST_CHUNK", 2)
    authority = tokens["authority"]
    rows = [{"submission": ningbo(n, 80 + 3 * n)} for n in range(5)] + [{"submission": ningbo(0, 99.5, uscc=NINGBO_USCC)}]
    run_cohort(client, tokens)
    with app.extensions["greenfactory"].db.read() as session:
        before = session.scalar(select(func.count()).select_from(RoundEntry))
    assert client.post("/api/v1/rounds", json={"id": "2027", "policy": "green-factory@2026.1"},
                       headers=tokens["policy_admin"]).status_code == 201
    for _ in range(2):  # the second time replaces the first time's entries
        r = client.post("/api/v1/rounds/2027/submissions", json={"rows": rows}, headers=authority)
        assert r.status_code == 200, r.json
    with app.extensions["greenfactory"].db.read() as session:
        assert session.scalar(select(func.count()).select_from(RoundEntry)) == before + len(rows)
    flagged = client.get("/api/v1/rounds/2026/flags", headers=tokens["reviewer"]).json["items"]
    eid = flagged[0]["evaluation"]
    body = {"flag": "implausible_range:water_reuse_rate", "resolution": "confirmed", "note": "checked"}
    assert client.post(f"/api/v1/evaluations/{eid}/resolutions", json=body, headers=tokens["reviewer"]).status_code == 201
    again = client.get("/api/v1/rounds/2026/flags", headers=tokens["reviewer"]).json["items"][0]
    assert again["resolutions"] == {"implausible_range:water_reuse_rate": "confirmed"}
