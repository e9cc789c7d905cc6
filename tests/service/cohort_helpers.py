"""A small cohort for the API tests: five existing national factories in Ningbo and two applicants, run as round
2026 (the applicant NINGBO_USCC reports an implausible 99.5 % water reuse and scores best)."""
from __future__ import annotations

import copy
import csv
import io

from engine.submission import with_check_digit

from tests.service.service_helpers import NINGBO_USCC, submission

CSV = "text/csv"


def csv_body(rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def plant(n: int, rate: float, uscc: str | None = None) -> dict:
    """A Ningbo plant of general-plant.json with its own code and water reuse rate."""
    raw = copy.deepcopy(submission())
    raw["enterprise"]["uscc"] = uscc or with_check_digit(f"91330212MA{n:07d}")
    raw["data"]["water_reuse_rate"] = rate
    return raw


def ningbo_factories() -> list[dict]:
    return [{"uscc": with_check_digit(f"91330212MA{n:07d}"), "name": f"宁波工厂{n}", "region": "330212",
             "sector": "general", "national_year": "2021", "provincial_year": "2019"} for n in range(5)]


def run_cohort(client, tokens, round_id: str = "2026") -> dict:
    admin, authority = tokens["policy_admin"], tokens["authority"]
    r = client.post("/api/v1/factories", data=csv_body(ningbo_factories()), content_type=CSV, headers=authority)
    assert r.status_code == 200, r.json
    assert client.post("/api/v1/rounds", json={"id": round_id, "policy": "green-factory@2026.1"},
                       headers=admin).status_code == 201
    rows = [{"submission": plant(n, 80 + 3 * n)} for n in range(5)]
    rows.append({"submission": plant(0, 99.5, uscc=NINGBO_USCC)})
    rows.append({"submission": plant(9, 80)})
    r = client.post(f"/api/v1/rounds/{round_id}/submissions", json={"rows": rows}, headers=authority)
    assert r.status_code == 200, r.json
    r = client.post(f"/api/v1/rounds/{round_id}/run", headers=admin)
    assert r.status_code == 200, r.json
    return r.json
