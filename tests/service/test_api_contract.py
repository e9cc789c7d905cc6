"""The published contract, /api/v1/openapi.json, as a client generator reads it: every operation named by a stable
operationId, the outcome and the submission typed by the JSON Schemas in schemas/, path parameters with the patterns
the server enforces. The document does not depend on the database: SQLite only."""
from __future__ import annotations

import json
import re

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import select

from service.models import Evaluation

from tests.service.service_helpers import NINGBO_USCC, evaluate
from tests.support import ROOT

METHODS = ("get", "put", "post", "delete", "patch")
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def operations(doc: dict):
    for path, item in doc["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


@pytest.fixture
def doc(client) -> dict:
    return client.get("/api/v1/openapi.json").json


def test_every_operation_has_a_unique_camel_case_operation_id(doc):
    ids = [op.get("operationId") for _, _, op in operations(doc)]
    assert len(ids) > 25 and None not in ids
    assert len(set(ids)) == len(ids), sorted(i for i in ids if ids.count(i) > 1)
    assert all(re.fullmatch(r"[a-z]+(?:[A-Z][a-z]+)*", i) for i in ids), ids
    named = {(path, method): op["operationId"] for path, method, op in operations(doc)}
    assert named[("/api/v1/evaluations", "post")] == "createEvaluation"
    assert named[("/api/v1/evaluations", "get")] == "listEvaluations"
    assert named[("/api/v1/evaluations/{evaluation_id}", "get")] == "getEvaluation"
    assert named[("/api/v1/evaluations/{evaluation_id}/replay", "get")] == "replayEvaluation"


def errors(name: str, data: dict) -> list[str]:
    """Where data breaks schemas/<name>.schema.json, the schema published in the document."""
    validator = Draft202012Validator(json.loads((ROOT / "schemas" / f"{name}.schema.json").read_text("utf-8")))
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(data)]


def test_every_stored_outcome_of_a_demo_population_has_the_published_shape(make_app):
    from service import demo

    app = make_app()
    demo.load(app.extensions["greenfactory"].store, factories=40, seed=5, say=lambda _: None)
    with app.extensions["greenfactory"].db.read() as session:
        outcomes = [json.loads(blob) for blob in session.execute(select(Evaluation.outcome)).scalars()]
    assert len(outcomes) > 40
    assert {o["decision"]["eligible"] for o in outcomes} >= {True, False}  # both branches of the decision
    assert [(n, e) for n, o in enumerate(outcomes) for e in errors("outcome", o)] == []


def test_every_response_carrying_an_outcome_has_the_published_shape(client, tokens):
    created = evaluate(client, tokens["enterprise"])
    assert created.status_code == 201
    read = client.get(f"/api/v1/evaluations/{created.json['id']}", headers=tokens["reviewer"])
    assert read.status_code == 200
    for body in (created.json, read.json):
        assert errors("outcome", body["outcome"]) == []
        assert errors("submission", body["submission"]) == []


def test_the_document_types_submissions_and_outcomes_by_the_published_schemas(doc):
    schemas = doc["components"]["schemas"]
    assert schemas["Evaluation"]["properties"]["outcome"]["allOf"] == [{"$ref": "#/components/schemas/Outcome"}]
    assert schemas["Evaluation"]["properties"]["submission"]["allOf"] == [{"$ref": "#/components/schemas/Submission"}]
    assert set(schemas["Outcome"]["required"]) >= {"policy", "policy_digest", "score", "decision", "gates", "rules"}
    assert schemas["OutcomeStep"]["properties"]["points"]["nullable"] is True
    refs = re.findall(r'"\$ref": "#/components/schemas/(\w+)"', json.dumps(doc))
    assert set(refs) <= set(schemas)  # every reference resolves


def test_every_path_parameter_has_the_pattern_the_server_checks(doc, client, tokens):
    parameters = [(path, p) for path, item in doc["paths"].items() for p in item.get("parameters", [])
                  if p["in"] == "path"]
    assert len(parameters) > 20 and all("pattern" in p["schema"] for _, p in parameters)
    # refused when outside the pattern: a malformed policy id and document key as 400, an unknown id as 404
    r = client.get("/api/v1/policies/Green_Factory/versions", headers=tokens["reviewer"])
    assert (r.status_code, r.json["code"]) == (400, "policy.ref.malformed")
    r = client.get("/api/v1/documents/00", headers=tokens["reviewer"])
    assert (r.status_code, r.json["code"]) == (400, "document.sha256.malformed")


def test_the_request_bodies_say_what_the_server_refuses(doc, client, tokens):
    schemas = doc["components"]["schemas"]
    assert schemas["ComparisonRequest"]["oneOf"] == [{"required": ["submission"]}, {"required": ["evaluation"]}]
    body = {"from": "green-factory@2025.1", "to": "green-factory@2026.1"}
    r = client.post("/api/v1/comparisons", json=body, headers=tokens["reviewer"])  # neither of the two
    assert (r.status_code, r.json["code"]) == (422, "request.comparison.subject")
    table = doc["paths"]["/api/v1/factories"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert table["oneOf"][0]["required"] == ["rows"] and table["oneOf"][1]["minItems"] == 1
    r = client.post("/api/v1/rounds/2026/approvals", json={"uscc": NINGBO_USCC, "approved": "yes"},
                    headers=tokens["authority"])  # a boolean is true or false, not "yes"
    assert (r.status_code, r.json["code"], r.json["issues"][0]["path"]) == (422, "request.invalid", "$.approved")
    r = client.post("/api/v1/impact", json={**body, "submissions": [], "movers": 2.5}, headers=tokens["reviewer"])
    assert (r.status_code, r.json["issues"][0]["path"]) == (422, "$.movers")
