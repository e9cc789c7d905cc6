"""The world the access tests run in: two enterprises in two regions (Ningbo, Zhejiang 330212; Kunshan, Jiangsu
320583), each with five existing national factories and one applicant in round 2026, a standalone evaluation per
applicant, and a token per role and region. Shared by test_access_scoping (what each role reads) and
test_write_scoping and test_write_matrix (what each role may change).
"""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.submission import with_check_digit
from service.auth import new_token
from service.models import Base, Evaluation

from tests.service.cohort_helpers import CSV, csv_body
from tests.service.service_helpers import NINGBO_USCC, SUZHOU_USCC, submission

NINGBO, KUNSHAN = "330212", "320583"
APPLICANTS = {NINGBO_USCC: NINGBO, SUZHOU_USCC: KUNSHAN}  # each flagged for 99.5 % water reuse in round 2026
# name: (role, region, enterprise, the regions whose data it reads; an enterprise reads its own rows only)
ROLES = {
    "ningbo_plant": ("enterprise", None, NINGBO_USCC, None),
    "kunshan_plant": ("enterprise", None, SUZHOU_USCC, None),
    "zhejiang_reviewer": ("reviewer", "330000", None, {NINGBO}),
    "jiangsu_reviewer": ("reviewer", "320000", None, {KUNSHAN}),
    "ningbo_authority": ("authority", "330200", None, {NINGBO}),
    "jiangsu_authority": ("authority", "320000", None, {KUNSHAN}),
    "guangdong_authority": ("authority", "440000", None, set()),
    "policy_admin": ("policy_admin", None, None, None),
}
READERS = [name for name, spec in ROLES.items() if spec[0] != "policy_admin"]
REGIONAL = [name for name, spec in ROLES.items() if spec[0] in ("reviewer", "authority")]


def in_scope(name: str, uscc: str, region: str) -> bool:
    role, _, enterprise, regions = ROLES[name]
    return uscc == enterprise if role == "enterprise" else region in (regions or ())


def plant(uscc: str, region: str, rate: float) -> dict:
    raw = submission()
    raw["enterprise"].update(uscc=uscc, region=region)
    raw["data"]["water_reuse_rate"] = rate
    return raw


def factories(region: str, city: str) -> list[dict]:
    return [{"uscc": with_check_digit(f"91{region}MA{n:07d}"), "name": f"{city}工厂{n}", "region": region,
             "sector": "general", "national_year": "2021", "provincial_year": "2019"} for n in range(5)]


@pytest.fixture
def headers(app) -> dict[str, dict]:
    with app.extensions["greenfactory"].db.write() as session:
        out = {}
        for name, (role, region, enterprise, _) in ROLES.items():
            row, secret = new_token(role, region, enterprise, name)
            session.add(row)
            out[name] = {"Authorization": f"Bearer {secret}"}
    return out


@pytest.fixture
def world(app, client, headers) -> dict:
    """Round 2026 run over both regions (each applicant flagged for an implausible 99.5 % water reuse), and one
    standalone evaluation per applicant. Returns the applicants' flagged round evaluations by uscc."""
    for region, city, authority in ((NINGBO, "宁波", "ningbo_authority"), (KUNSHAN, "昆山", "jiangsu_authority")):
        r = client.post("/api/v1/factories", data=csv_body(factories(region, city)), content_type=CSV,
                        headers=headers[authority])
        assert r.status_code == 200, r.json
    assert client.post("/api/v1/rounds", json={"id": "2026", "policy": "green-factory@2026.1"},
                       headers=headers["policy_admin"]).status_code == 201
    for region, city, authority, applicant in ((NINGBO, "宁波", "ningbo_authority", NINGBO_USCC),
                                               (KUNSHAN, "昆山", "jiangsu_authority", SUZHOU_USCC)):
        rows = [{"submission": plant(f["uscc"], region, 80 + 3 * n)} for n, f in enumerate(factories(region, city))]
        rows.append({"submission": plant(applicant, region, 99.5)})
        r = client.post("/api/v1/rounds/2026/submissions", json={"rows": rows}, headers=headers[authority])
        assert r.status_code == 200, r.json
    assert client.post("/api/v1/rounds/2026/run", headers=headers["policy_admin"]).status_code == 200
    for name, policy, example in (("ningbo_plant", "green-factory@2025.1", "general-plant.json"),
                                  ("kunshan_plant", "green-factory-js@2025.1", "general-plant-js.json")):
        r = client.post("/api/v1/evaluations", json={"policy": policy, "submission": submission(example)},
                        headers=headers[name])
        assert r.status_code == 201, r.json
    flagged = {}
    for uscc, authority in ((NINGBO_USCC, "ningbo_authority"), (SUZHOU_USCC, "jiangsu_authority")):
        history = client.get(f"/api/v1/factories/{uscc}", headers=headers[authority]).json
        flagged[uscc] = history["rounds"][0]["evaluation"]
    return flagged


def stored_evaluations(app) -> list[tuple[str, str, str]]:
    with app.extensions["greenfactory"].db.read() as session:
        return [tuple(r) for r in session.execute(select(Evaluation.id, Evaluation.uscc, Evaluation.region))]


def every_page(client, url: str, headers: dict) -> list[dict]:
    """Every item of a listing, following its next links."""
    items = []
    while url:
        r = client.get(url, headers=headers)
        assert r.status_code == 200, r.json
        items += r.json["items"]
        url = r.json.get("next")
    return items


def rows(app) -> dict[str, int]:
    with app.extensions["greenfactory"].db.read() as session:
        return {t.name: session.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}


def snapshot(app) -> dict[str, list[str]]:
    """Every row of every table, the audit head and log included: equal before and after means nothing was written."""
    with app.extensions["greenfactory"].db.read() as session:
        return {t.name: sorted(repr(tuple(r)) for r in session.execute(select(t))) for t in Base.metadata.sorted_tables}
