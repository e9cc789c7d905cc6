"""Who may call what: the whole role × endpoint matrix, and tokens that are missing, malformed or revoked."""
from __future__ import annotations

import io

from sqlalchemy import update

from service.models import Token, now

from tests.service.cohort_helpers import CSV, csv_body, ningbo_factories, plant, run_cohort
from tests.service.service_helpers import NINGBO_USCC, evaluate, mini_yaml, submission

YAML = "application/yaml"
EVERYONE = ("none", "enterprise", "other_enterprise", "reviewer", "reviewer_elsewhere", "authority",
            "authority_elsewhere", "policy_admin")
READ_POLICIES = {r: 200 for r in EVERYONE} | {"none": 401}
ADMIN_ONLY = {r: 403 for r in EVERYONE} | {"none": 401}


def expect(ok: int, **special) -> dict:
    """ok for the named roles in special's keys unless given otherwise; 403 for everyone else; 401 without token."""
    return {r: 403 for r in EVERYONE} | {"none": 401} | special | {k: ok for k, v in special.items() if v is None}


# (method, rule as in url_map, concrete path, body kind, expected status by role); run in this order,
# refused roles first, so that each endpoint's one successful write comes last.
def matrix(eid: str) -> list[tuple]:
    return [
        ("GET", "/healthz", "/healthz", None, {r: 200 for r in EVERYONE}),
        ("GET", "/api/v1/openapi.json", "/api/v1/openapi.json", None, {r: 200 for r in EVERYONE}),
        ("GET", "/api/v1/docs", "/api/v1/docs", None, {r: 200 for r in EVERYONE}),
        ("GET", "/api/v1/docs/assets/<path:filename>", "/api/v1/docs/assets/swagger-ui.css", None,
         {r: 200 for r in EVERYONE}),
        ("GET", "/api/v1/policies", "/api/v1/policies", None, READ_POLICIES),
        ("GET", "/api/v1/policies/<policy_id>/versions", "/api/v1/policies/green-factory/versions", None, READ_POLICIES),
        ("GET", "/api/v1/policies/<policy_id>/versions/<version>", "/api/v1/policies/green-factory/versions/2025.1",
         None, READ_POLICIES),
        ("POST", "/api/v1/policies/<policy_id>/versions", "/api/v1/policies/mini/versions", mini_yaml("2027.1"),
         ADMIN_ONLY | {"policy_admin": 201}),
        ("PUT", "/api/v1/policies/<policy_id>/versions/<version>", "/api/v1/policies/mini/versions/2025.1",
         mini_yaml("2025.1"), ADMIN_ONLY | {"policy_admin": 200}),
        ("POST", "/api/v1/policies/<policy_id>/versions/<version>/publish",
         "/api/v1/policies/mini/versions/2025.1/publish", None, ADMIN_ONLY | {"policy_admin": 200}),
        ("DELETE", "/api/v1/policies/<policy_id>/versions/<version>", "/api/v1/policies/mini/versions/2026.1", None,
         ADMIN_ONLY | {"policy_admin": 204}),
        ("POST", "/api/v1/evaluations", "/api/v1/evaluations", "evaluation",
         expect(201, enterprise=None, other_enterprise=403)),
        ("GET", "/api/v1/evaluations", "/api/v1/evaluations", None,
         expect(200, enterprise=None, other_enterprise=None, reviewer=None, reviewer_elsewhere=None, authority=None,
                authority_elsewhere=None)),
        ("GET", "/api/v1/evaluations/<evaluation_id>", f"/api/v1/evaluations/{eid}", None,
         expect(200, enterprise=None, other_enterprise=404, reviewer=None, reviewer_elsewhere=404, authority=None,
                authority_elsewhere=404)),
        ("GET", "/api/v1/evaluations/<evaluation_id>/replay", f"/api/v1/evaluations/{eid}/replay", None,
         expect(200, reviewer=None, reviewer_elsewhere=404, authority=None, authority_elsewhere=404)),
    ]


def cohort_matrix(flagged: str) -> list[tuple]:
    """Issue 6's endpoints, after run_cohort: round 2026 has run; 2027 is created, filled and run here."""
    regional = expect(200, reviewer=None, reviewer_elsewhere=None, authority=None, authority_elsewhere=None)
    mine = expect(200, enterprise=None, other_enterprise=404, reviewer=None, reviewer_elsewhere=404, authority=None,
                  authority_elsewhere=404)
    everyone = {r: 200 for r in EVERYONE} | {"none": 401}
    r26 = "/api/v1/rounds/2026"
    return [
        ("POST", "/api/v1/factories", "/api/v1/factories", ("csv", csv_body(ningbo_factories()[:1])),
         expect(200, authority=None, authority_elsewhere=422, policy_admin=None)),
        ("GET", "/api/v1/factories", "/api/v1/factories", None, expect(200, enterprise=None, other_enterprise=None, reviewer=None,
                                                                  reviewer_elsewhere=None, authority=None,
                                                                  authority_elsewhere=None)),
        ("GET", "/api/v1/factories/<uscc>", f"/api/v1/factories/{NINGBO_USCC}", None, mine),
        ("POST", "/api/v1/rounds", "/api/v1/rounds", ("json", {"id": "2027", "policy": "green-factory@2026.1"}),
         expect(201, policy_admin=None)),
        ("GET", "/api/v1/rounds", "/api/v1/rounds", None, everyone),
        ("POST", "/api/v1/rounds/<round_id>/submissions", "/api/v1/rounds/2027/submissions",
         ("json", {"rows": [{"submission": plant(0, 90, uscc=NINGBO_USCC)}]}),
         expect(200, enterprise=None, other_enterprise=422, authority=None, authority_elsewhere=422, policy_admin=None)),
        ("POST", "/api/v1/rounds/<round_id>/run", "/api/v1/rounds/2027/run", None, expect(200, policy_admin=None)),
        ("GET", "/api/v1/rounds/<round_id>/baselines", f"{r26}/baselines", None, everyone),
        ("GET", "/api/v1/rounds/<round_id>/factories/<uscc>/benchmark", f"{r26}/factories/{NINGBO_USCC}/benchmark",
         None, mine),
        ("GET", "/api/v1/rounds/<round_id>/factories/<uscc>/what-it-takes",
         f"{r26}/factories/{NINGBO_USCC}/what-it-takes?target=next_grade", None, mine),
        ("GET", "/api/v1/rounds/<round_id>/removals", f"{r26}/removals", None, regional),
        ("GET", "/api/v1/rounds/<round_id>/flags", f"{r26}/flags", None, regional),
        ("POST", "/api/v1/rounds/<round_id>/approvals", f"{r26}/approvals", ("json", {"uscc": NINGBO_USCC, "approved": True}),
         expect(201, authority=None, authority_elsewhere=404)),
        ("POST", "/api/v1/evaluations/<evaluation_id>/resolutions", f"/api/v1/evaluations/{flagged}/resolutions",
         ("json", {"flag": "implausible_range:water_reuse_rate", "resolution": "confirmed"}),
         expect(201, reviewer=None, reviewer_elsewhere=404)),
        ("GET", "/api/v1/authorities/<code>/rounds", "/api/v1/authorities/330200/rounds", None,
         expect(200, reviewer=None, reviewer_elsewhere=404, authority=None, authority_elsewhere=404, policy_admin=None)),
    ]


def comparison_matrix() -> list[tuple]:
    """Issue 5's endpoints: the diff of versions, one submission under two versions, a population under two."""
    versions = {"from": "green-factory@2025.1", "to": "green-factory-js@2025.1"}
    return [
        ("GET", "/api/v1/policies/diff", "/api/v1/policies/diff?from=green-factory@2025.1&to=green-factory@2026.1",
         None, READ_POLICIES),
        ("POST", "/api/v1/comparisons", "/api/v1/comparisons", ("json", {**versions, "submission": submission()}),
         expect(200, enterprise=None, reviewer=None, authority=None, policy_admin=None)),
        ("POST", "/api/v1/impact", "/api/v1/impact", ("json", {**versions, "filter": {"region": "330212"}}),
         expect(200, reviewer=None, authority=None, policy_admin=None)),
    ]


PDF = b"%PDF-1.4\n%%EOF\n"


def document_matrix(sha256: str) -> list[tuple]:
    """Issue 7's endpoints: sha256 is a document the enterprise (Ningbo, 330212) uploaded."""
    return [
        ("POST", "/api/v1/documents", "/api/v1/documents", ("multipart", PDF + b"matrix"),
         expect(201, enterprise=None, other_enterprise=None)),
        ("GET", "/api/v1/documents/<sha256>", f"/api/v1/documents/{sha256}", None,
         expect(200, enterprise=None, other_enterprise=404, reviewer=None, reviewer_elsewhere=404, authority=None,
                authority_elsewhere=404)),
    ]


def test_the_role_by_endpoint_matrix(app, client, tokens):
    admin = tokens["policy_admin"]
    for version in ("2025.1", "2026.1"):
        assert client.post("/api/v1/policies/mini/versions", data=mini_yaml(version), content_type=YAML,
                           headers=admin).status_code == 201
    eid = evaluate(client, tokens["enterprise"]).json["id"]
    run_cohort(client, tokens)
    history = client.get(f"/api/v1/factories/{NINGBO_USCC}", headers=tokens["enterprise"]).json
    document = client.post("/api/v1/documents", data={"file": (io.BytesIO(PDF), "audit.pdf"), "region": "330212"},
                           headers=tokens["enterprise"]).json["sha256"]
    cases = (matrix(eid) + cohort_matrix(history["rounds"][0]["evaluation"]) + comparison_matrix()
             + document_matrix(document))

    # the pages sign in with a session cookie, not a token: their roles are tested with the pages
    routes = {(method, rule.rule) for rule in app.url_map.iter_rules()
              if rule.endpoint != "static" and not rule.endpoint.startswith("pages.")
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes == {(method, rule) for method, rule, *_ in cases}, "every endpoint is in the matrix"

    wrong = []
    for method, rule, path, body, expected in cases:
        order = sorted(EVERYONE, key=lambda r: expected[r] < 300)  # refusals first, then successes
        for role in order:
            headers = {} if role == "none" else tokens[role]
            kwargs = {}
            if body == "evaluation":
                kwargs["json"] = {"policy": "green-factory@2025.1", "submission": submission()}
            elif isinstance(body, tuple) and body[0] == "multipart":
                kwargs["data"] = {"file": (io.BytesIO(body[1]), "evidence.pdf"), "region": "330212"}
            elif isinstance(body, tuple):
                kwargs.update(json=body[1]) if body[0] == "json" else kwargs.update(data=body[1], content_type=CSV)
            elif body is not None:
                kwargs.update(data=body, content_type=YAML)
            r = client.open(path, method=method, headers=headers, **kwargs)
            r.close()  # file responses (the docs' assets) hold their file open until closed
            if r.status_code != expected[role]:
                wrong.append(f"{method} {path} as {role}: {r.status_code}, expected {expected[role]}")
            if r.status_code in (401, 403):
                assert r.mimetype == "application/problem+json"
                assert r.json["code"] in ("auth.token.missing", "auth.role.forbidden", "auth.enterprise.mismatch",
                                          "auth.region.forbidden")
    assert wrong == []


def test_every_view_declares_who_may_call_it(app):
    from service.auth import PUBLIC_ENDPOINTS

    for endpoint, view in app.view_functions.items():
        if endpoint == "static" or endpoint in PUBLIC_ENDPOINTS or endpoint.startswith("pages."):
            continue  # pages are guarded by signin.page (a session, not a token) and tested with the pages
        assert getattr(view, "gf_public", False) or getattr(view, "gf_roles", None), endpoint


def test_without_a_token_only_health_and_the_document_answer(client):
    assert client.get("/healthz").status_code == 200
    assert client.get("/api/v1/openapi.json").status_code == 200
    for path in ("/api/v1/policies", "/api/v1/evaluations", "/api/v1/anything", "/anything"):
        r = client.get(path)
        assert r.status_code == 401 and r.json["code"] == "auth.token.missing"
        assert r.headers["WWW-Authenticate"].startswith("Bearer")
    # the pages sign in with a session instead: signed out, each sends the browser to the sign-in page
    for path in ("/", "/evaluations", "/policies", "/regions", "/benchmark", "/self-report"):
        r = client.get(path)
        assert r.status_code == 302 and r.headers["Location"].startswith("/signin"), path


def test_malformed_unknown_and_revoked_tokens_are_401(app, client, tokens):
    for header in ("Bearer nope", "Basic dXNlcjpwYXNz", "Bearer gf_" + "x" * 43, "gf_" + "x" * 43):
        r = client.get("/api/v1/policies", headers={"Authorization": header})
        assert r.status_code == 401 and r.json["code"] == "auth.token.invalid", header
    assert client.get("/api/v1/policies", headers=tokens["reviewer"]).status_code == 200
    with app.extensions["greenfactory"].db.write() as session:
        session.execute(update(Token).where(Token.name == "reviewer").values(revoked_at=now()))
    r = client.get("/api/v1/policies", headers=tokens["reviewer"])
    assert r.status_code == 401 and r.json["code"] == "auth.token.invalid"


def test_tokens_are_stored_hashed(app, tokens):
    from sqlalchemy import select

    secret = tokens["reviewer"]["Authorization"].split()[1]
    with app.extensions["greenfactory"].db.read() as session:
        stored = [(t.id, t.secret_sha256) for t in session.execute(select(Token)).scalars()]
    assert all(secret not in value for row in stored for value in row)
