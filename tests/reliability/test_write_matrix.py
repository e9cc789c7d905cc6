"""The write matrix: every role (enterprise, reviewer, authority, policy_admin, as the tokens of scoping_world) x
every write endpoint of the API and the pages x a target in Ningbo (Zhejiang) and one in Kunshan (Jiangsu), on
SQLite and PostgreSQL. Each cell asserts the status, and that a refused write changed no row of any table (the
audit head and log included) while an accepted one appended to the audit log.

Every cell is run and the mismatches reported together, so that one failure shows the whole row of the matrix.
"""
from __future__ import annotations

import io
import itertools
from dataclasses import dataclass
from typing import Callable

from tests.reliability.scoping_world import (  # noqa: F401  (headers and world are fixtures)
    KUNSHAN, NINGBO, ROLES, factories, headers, plant, snapshot, world)
from tests.service.service_helpers import NINGBO_USCC, SUZHOU_USCC, filled, mini_yaml, sign_in_page, submission

YAML = "application/yaml"
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\n%%EOF\n"
# side: (region, the applicant registered there in round 2026, its example submission, the policy it is under)
SIDES = {"ningbo": (NINGBO, NINGBO_USCC, "general-plant.json", "green-factory@2025.1"),
         "kunshan": (KUNSHAN, SUZHOU_USCC, "general-plant-js.json", "green-factory-js@2025.1")}
OTHER = {"ningbo": "kunshan", "kunshan": "ningbo"}
CITY = {"ningbo": "宁波", "kunshan": "昆山"}
OK = (200, 201, 204, 303)


@dataclass(frozen=True, slots=True)
class Cell:
    """One write: how to send it (as role `name`, at a side's target) and the status it must get."""

    endpoint: str
    send: Callable  # (ctx, name, side) -> response
    expect: Callable  # (name, side) -> status
    sided: bool = True  # False: the endpoint names no region or enterprise; sent once per role
    undo: Callable | None = None  # (ctx, side): put back what an accepted write changed, for the cells after it


@dataclass
class Ctx:
    client: object
    headers: dict
    pages: dict  # name -> (a test client signed in to the pages, its CSRF token)
    world: dict  # the applicants' flagged round evaluations, by uscc
    serial: itertools.count


def role(name: str) -> str:
    return ROLES[name][0]


def covers(name: str, side: str) -> bool:
    """Whether the token's scope holds the side's target: its own enterprise, or a region its region covers."""
    kind, _, enterprise, regions = ROLES[name]
    region, uscc = SIDES[side][:2]
    if kind == "enterprise":
        return uscc == enterprise
    return kind == "policy_admin" or region in regions


def only(roles: tuple, then: Callable) -> Callable:
    """403 for the roles the endpoint does not admit, else what `then` says."""
    return lambda name, side: then(name, side) if role(name) in roles else 403


def scoped(yes: int, no: int) -> Callable:
    return lambda name, side: yes if covers(name, side) else no


def own_submission(side: str, region: str | None = None) -> dict:
    region_code, uscc, example, _ = SIDES[side]
    raw = submission(example)
    raw["enterprise"].update(uscc=uscc, region=region or region_code)
    return raw


# -- the writes ---------------------------------------------------------------------------------------------------

def factory_row(side: str, region: str | None = None) -> dict:
    row = factories(SIDES[side][0], CITY[side])[1]
    return {**row, "region": region or row["region"]}


def import_factory(ctx, name, side, region=None):
    return ctx.client.post("/api/v1/factories", json={"rows": [factory_row(side, region)]}, headers=ctx.headers[name])


def move_factory(ctx, name, side):
    return import_factory(ctx, name, side, SIDES[OTHER[side]][0])


def move_back(ctx, side):
    assert import_factory(ctx, "policy_admin", side).status_code == 200


def submit(ctx, name, side, region=None):
    row = {"submission": plant(SIDES[side][1], region or SIDES[side][0], 85)}  # under the round's policy
    return ctx.client.post("/api/v1/rounds/2027/submissions", json={"rows": [row]}, headers=ctx.headers[name])


def evaluate(ctx, name, side, region=None):
    policy = SIDES[side][3]
    return ctx.client.post("/api/v1/evaluations", json={"policy": policy, "submission": own_submission(side, region)},
                           headers=ctx.headers[name])


def approve(ctx, name, side):
    return ctx.client.post("/api/v1/rounds/2026/approvals", json={"uscc": SIDES[side][1], "approved": False},
                           headers=ctx.headers[name])


def resolve(ctx, name, side):
    return ctx.client.post(f"/api/v1/evaluations/{ctx.world[SIDES[side][1]]}/resolutions",
                           json={"flag": "implausible_range:water_reuse_rate", "resolution": "confirmed"},
                           headers=ctx.headers[name])


def document(ctx, side) -> dict:
    return {"file": (io.BytesIO(PDF + str(next(ctx.serial)).encode()), "audit.pdf"), "region": SIDES[side][0]}


def upload(ctx, name, side):
    return ctx.client.post("/api/v1/documents", data=document(ctx, side), headers=ctx.headers[name])


def page_form(ctx, name, side, region=None):
    client, csrf = ctx.pages[name]
    form = {**filled(csrf, own_submission(side, region)), "policy": SIDES[side][3]}
    return client.post("/self-report?lang=en", data=form)


def page_upload(ctx, name, side):
    client, csrf = ctx.pages[name]
    return client.post("/self-report/documents", data=document(ctx, side), headers={"X-CSRF-Token": csrf})


def create_round(ctx, name, side):
    return ctx.client.post("/api/v1/rounds", json={"id": f"2030.{next(ctx.serial)}", "policy": "green-factory@2026.1"},
                           headers=ctx.headers[name])


def run_round(ctx, name, side):
    return ctx.client.post("/api/v1/rounds/2027/run", headers=ctx.headers[name])


def create_draft(ctx, name, side):
    return ctx.client.post("/api/v1/policies/mini/versions", data=mini_yaml(f"2031.{next(ctx.serial)}"),
                           content_type=YAML, headers=ctx.headers[name])


def replace_draft(ctx, name, side):
    return ctx.client.put("/api/v1/policies/mini/versions/2027.1", data=mini_yaml("2027.1"), content_type=YAML,
                          headers=ctx.headers[name])


def delete_draft(ctx, name, side):
    return ctx.client.delete("/api/v1/policies/mini/versions/2027.2", headers=ctx.headers[name])


def publish_draft(ctx, name, side):
    return ctx.client.post("/api/v1/policies/mini/versions/2027.1/publish", headers=ctx.headers[name])


ADMIN = ("policy_admin",)
IMPORTERS = ("authority", "policy_admin")
SUBMITTERS = ("enterprise", "authority", "policy_admin")
CELLS = (
    Cell("POST /factories: a factory's name", import_factory, only(IMPORTERS, scoped(200, 422))),
    Cell("POST /factories: a factory moved to the other region", move_factory,
         only(IMPORTERS, lambda name, side: 200 if role(name) == "policy_admin" else 422), undo=move_back),
    Cell("POST /rounds/2027/submissions: in the registered region", submit, only(SUBMITTERS, scoped(200, 422))),
    Cell("POST /rounds/2027/submissions: declaring the other region",
         lambda ctx, name, side: submit(ctx, name, side, SIDES[OTHER[side]][0]), only(SUBMITTERS, lambda n, s: 422)),
    Cell("POST /evaluations: in the registered region", evaluate, only(("enterprise",), scoped(201, 403))),
    Cell("POST /evaluations: declaring the other region",
         lambda ctx, name, side: evaluate(ctx, name, side, SIDES[OTHER[side]][0]), only(("enterprise",), scoped(422, 403))),
    Cell("POST /rounds/2026/approvals", approve, only(("authority",), scoped(201, 404))),
    Cell("POST /evaluations/{id}/resolutions", resolve, only(("reviewer",), scoped(201, 404))),
    Cell("POST /documents: under a region", upload, only(("enterprise",), lambda name, side: 201
                                                          if SIDES[side][0] == registered(name) else 422)),
    Cell("page POST /self-report: in the registered region", page_form, only(("enterprise",), scoped(303, 403))),
    Cell("page POST /self-report: declaring the other region",
         lambda ctx, name, side: page_form(ctx, name, side, SIDES[OTHER[side]][0]), only(("enterprise",), scoped(422, 403))),
    Cell("page POST /self-report/documents: under a region", page_upload,
         only(("enterprise",), lambda name, side: 201 if SIDES[side][0] == registered(name) else 422)),
    Cell("POST /rounds", create_round, only(ADMIN, lambda n, s: 201), sided=False),
    Cell("POST /policies/mini/versions", create_draft, only(ADMIN, lambda n, s: 201), sided=False),
    Cell("PUT /policies/mini/versions/2027.1", replace_draft, only(ADMIN, lambda n, s: 200), sided=False),
    Cell("DELETE /policies/mini/versions/2027.2", delete_draft, only(ADMIN, lambda n, s: 204), sided=False),
    Cell("POST /policies/mini/versions/2027.1/publish", publish_draft, only(ADMIN, lambda n, s: 200), sided=False),
    Cell("POST /rounds/2027/run", run_round, only(ADMIN, lambda n, s: 200), sided=False),  # last: it closes 2027
)


def registered(name: str) -> str | None:
    """The region the enterprise's factory is registered in (each applicant of round 2026 is)."""
    return next((region for region, uscc, _, _ in SIDES.values() if uscc == ROLES[name][2]), None)


def signed_in(app, headers: dict) -> tuple:
    client = app.test_client()
    return client, sign_in_page(client, headers)


def test_every_role_writes_exactly_within_its_registered_scope(app, client, headers, world):
    admin = headers["policy_admin"]
    assert client.post("/api/v1/rounds", json={"id": "2027", "policy": "green-factory@2026.1"},
                       headers=admin).status_code == 201
    for version in ("2027.1", "2027.2"):
        assert client.post("/api/v1/policies/mini/versions", data=mini_yaml(version), content_type=YAML,
                           headers=admin).status_code == 201
    ctx = Ctx(client, headers, {name: signed_in(app, headers[name]) for name in ROLES}, world, itertools.count())
    wrong, state = [], snapshot(app)
    for cell in CELLS:  # endpoint by endpoint, so that the one-off writes (round run, publish) come last
        for name in ROLES:
            for side in SIDES if cell.sided else ("ningbo",):
                expected = cell.expect(name, side)
                response = cell.send(ctx, name, side)
                after = snapshot(app)
                if response.status_code != expected:
                    wrong.append((cell.endpoint, name, side, response.status_code, expected))
                elif expected in OK and after["audit_head"] == state["audit_head"]:
                    wrong.append((cell.endpoint, name, side, "accepted but not in the audit log"))
                elif expected not in OK and after != state:
                    wrong.append((cell.endpoint, name, side, "refused but rows changed"))
                if expected in OK and cell.undo is not None:
                    cell.undo(ctx, side)
                    after = snapshot(app)
                state = after
    assert wrong == [], "\n".join(map(str, wrong))
