"""Writes are scoped by what is registered, never by what the request claims (docs/security.md): each attack an
auditor with tokens of every role found, reproduced against the world of scoping_world, refused, and nothing
stored; on SQLite and PostgreSQL. test_write_matrix walks every role x write endpoint x own/other scope.
"""
from __future__ import annotations

import io
import json

from openpyxl import Workbook

from engine.submission import with_check_digit
from service.auth import new_token
from service.cohort_models import Factory

from tests.reliability.scoping_world import (  # noqa: F401  (headers and world are fixtures)
    KUNSHAN, NINGBO, every_page, factories, headers, plant, snapshot, world)
from tests.service.cohort_helpers import CSV, csv_body
from tests.service.service_helpers import NINGBO_USCC, SUZHOU_USCC, field_errors, filled, sign_in_page, submission

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SUZHOU = "320505"  # where the Jiangsu authority would move Ningbo's factories
FLAG = "implausible_range:water_reuse_rate"


def bodies(rows: list[dict]) -> list[tuple[str, bytes]]:
    """The same rows as CSV, XLSX and JSON."""
    book = Workbook()
    columns = list(dict.fromkeys(k for row in rows for k in row))
    book.active.append(columns)
    for row in rows:
        book.active.append([row.get(c) for c in columns])
    xlsx = io.BytesIO()
    book.save(xlsx)
    return [(CSV, csv_body([{c: row.get(c, "") for c in columns} for row in rows])), (XLSX, xlsx.getvalue()),
            ("application/json", json.dumps({"rows": rows}).encode("utf-8"))]


def issues(response) -> set[tuple[str, str]]:
    return {(i["code"], i["path"]) for i in response.json["issues"]}


def factory(client, headers, uscc: str, reader: str):
    return client.get(f"/api/v1/factories/{uscc}", headers=headers[reader])


def test_an_authority_cannot_move_another_regions_factory_into_its_own(app, client, headers, world):
    victim = factories(NINGBO, "宁波")[0]
    own = {"uscc": with_check_digit("91320583MA0000099"), "name": "昆山新厂", "region": KUNSHAN, "sector": "general"}
    rows = [own, {**victim, "region": SUZHOU}, {"uscc": NINGBO_USCC, "name": "宁波申请企业", "region": SUZHOU}]
    before = snapshot(app)
    for content_type, body in bodies(rows):
        r = client.post("/api/v1/factories", data=body, content_type=content_type, headers=headers["jiangsu_authority"])
        assert r.status_code == 422 and r.json["code"] == "import.invalid", (content_type, r.json)
        assert {("import.region.forbidden", "$.rows[1].uscc"), ("import.region.forbidden", "$.rows[2].uscc")} \
            <= issues(r), content_type
        assert snapshot(app) == before, content_type  # not even the row of its own region
    for uscc in (victim["uscc"], NINGBO_USCC):
        assert factory(client, headers, uscc, "zhejiang_reviewer").json["region"] == NINGBO
        assert factory(client, headers, uscc, "jiangsu_authority").status_code == 404
    r = client.post("/api/v1/rounds/2026/approvals", json={"uscc": NINGBO_USCC, "approved": True},
                    headers=headers["jiangsu_authority"])
    assert r.status_code == 404
    # the authority of its region changes it within its region, the ministry's admin anywhere
    r = client.post("/api/v1/factories", json={"rows": [{**victim, "name": "宁波工厂新名"}]},
                    headers=headers["ningbo_authority"])
    assert r.status_code == 200 and r.json["updated"] == 1
    r = client.post("/api/v1/factories", json={"rows": [{**victim, "region": SUZHOU}]}, headers=headers["policy_admin"])
    assert r.status_code == 200 and r.json["updated"] == 1
    assert factory(client, headers, victim["uscc"], "jiangsu_authority").json["region"] == SUZHOU


def open_round(client, headers) -> None:
    r = client.post("/api/v1/rounds", json={"id": "2027", "policy": "green-factory@2026.1"},
                    headers=headers["policy_admin"])
    assert r.status_code == 201, r.json


def submit(client, headers, name: str, *subs: dict):
    return client.post("/api/v1/rounds/2027/submissions", json={"rows": [{"submission": s} for s in subs]},
                       headers=headers[name])


def test_round_submissions_are_scoped_by_the_registered_factory(app, client, headers, world):
    open_round(client, headers)
    victim = factories(NINGBO, "宁波")[0]["uscc"]
    assert submit(client, headers, "ningbo_authority", plant(victim, NINGBO, 85)).status_code == 200
    before = snapshot(app)
    fresh = with_check_digit("91320583MA0000077")
    # another region's factory, declared in the attacker's region: neither submitted nor its entry replaced
    for name, rows in (("jiangsu_authority", [plant(fresh, KUNSHAN, 80), plant(victim, SUZHOU, 99)]),
                       ("jiangsu_authority", [plant(fresh, KUNSHAN, 80), plant(NINGBO_USCC, KUNSHAN, 99)]),
                       ("guangdong_authority", [plant(victim, "440300", 99)])):
        r = submit(client, headers, name, *rows)
        assert r.status_code == 422 and ("import.submission.forbidden", f"$.rows[{len(rows) - 1}].submission.enterprise") \
            in issues(r), (name, r.json)
        assert snapshot(app) == before, name
    # an enterprise for itself only, and in the region it is registered in
    r = submit(client, headers, "kunshan_plant", plant(SUZHOU_USCC, NINGBO, 80))
    assert r.status_code == 422 and issues(r) == {("submission.region.mismatch", "$.rows[0].submission.enterprise.region")}
    r = submit(client, headers, "kunshan_plant", plant(NINGBO_USCC, NINGBO, 80))
    assert r.status_code == 422 and issues(r) == {("import.submission.forbidden", "$.rows[0].submission.enterprise")}
    # the authority of the region, in a region its token covers but not the registered one
    r = submit(client, headers, "zhejiang_reviewer", plant(victim, NINGBO, 80))
    assert r.status_code == 403
    assert snapshot(app) == before
    assert submit(client, headers, "jiangsu_authority", plant(fresh, KUNSHAN, 80)).status_code == 200
    assert submit(client, headers, "kunshan_plant", plant(SUZHOU_USCC, KUNSHAN, 80)).status_code == 200


def enterprise_token(app, uscc: str) -> dict:
    with app.extensions["greenfactory"].db.write() as session:
        row, secret = new_token("enterprise", None, uscc, "unregistered")
        session.add(row)
    return {"Authorization": f"Bearer {secret}"}


def evaluate(client, headers: dict, uscc: str, region: str):
    sub = submission("general-plant-js.json")
    sub["enterprise"].update(uscc=uscc, region=region)
    return client.post("/api/v1/evaluations", json={"policy": "green-factory-js@2025.1", "submission": sub},
                       headers=headers)


def listed(client, headers, name: str) -> set[str]:
    return {i["id"] for i in every_page(client, "/api/v1/evaluations?limit=100", headers[name])}


def test_a_registered_enterprise_files_evaluations_in_its_registered_region(app, client, headers, world):
    before = snapshot(app)
    r = evaluate(client, headers["kunshan_plant"], SUZHOU_USCC, "330416")
    assert r.status_code == 422 and r.json["code"] == "submission.region.mismatch"
    assert issues(r) == {("submission.region.mismatch", "$.submission.enterprise.region")}
    assert snapshot(app) == before
    assert evaluate(client, headers["kunshan_plant"], SUZHOU_USCC, KUNSHAN).status_code == 201
    # one not registered yet files under the region it declares
    stranger = with_check_digit("91330416MA0000005")
    r = evaluate(client, enterprise_token(app, stranger), stranger, "330416")
    assert r.status_code == 201, r.json
    assert r.json["id"] in listed(client, headers, "zhejiang_reviewer") - listed(client, headers, "jiangsu_reviewer")


def test_a_flag_is_corrected_only_by_an_evaluation_the_reviewer_may_read(app, client, headers, world):
    # the ministry moves the Ningbo applicant to Kunshan, where it then files a corrected report
    r = client.post("/api/v1/factories", json={"rows": [{"uscc": NINGBO_USCC, "name": "宁波申请企业", "region": KUNSHAN}]},
                    headers=headers["policy_admin"])
    assert r.status_code == 200
    moved = evaluate(client, headers["ningbo_plant"], NINGBO_USCC, KUNSHAN)
    assert moved.status_code == 201, moved.json
    before = snapshot(app)
    body = {"flag": FLAG, "resolution": "corrected", "corrected_by": moved.json["id"]}
    r = client.post(f"/api/v1/evaluations/{world[NINGBO_USCC]}/resolutions", json=body, headers=headers["zhejiang_reviewer"])
    assert r.status_code == 404 and r.json["code"] == "evaluation.unknown"
    r = client.post(f"/api/v1/evaluations/{world[NINGBO_USCC]}/resolutions", json=body, headers=headers["jiangsu_reviewer"])
    assert r.status_code == 404
    assert snapshot(app) == before
    r = client.post(f"/api/v1/evaluations/{world[NINGBO_USCC]}/resolutions", json={"flag": FLAG, "resolution": "confirmed"},
                    headers=headers["zhejiang_reviewer"])
    assert r.status_code == 201


def test_the_self_report_page_files_under_the_registered_region_only(app, client, tokens):
    with app.extensions["greenfactory"].db.write() as session:
        session.add(Factory(uscc=NINGBO_USCC, name="宁波示例家具有限公司", region=NINGBO, authority="330200",
                            sector="general"))
    csrf = sign_in_page(client, tokens["enterprise"])
    before = snapshot(app)
    form = {**filled(csrf), "enterprise.region": KUNSHAN}
    response = client.post("/self-report?lang=en", data=form)
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True)) == {"enterprise.region": ["submission.region.mismatch"]}
    assert snapshot(app) == before
    assert client.post("/self-report?lang=en", data=filled(csrf)).status_code == 303
