"""The published contract, /api/v1/openapi.json, as a client generator reads it: every operation named by a stable
operationId, the outcome and the submission typed by the JSON Schemas in schemas/, path parameters with the patterns
the server enforces. The document does not depend on the database: SQLite only."""
from __future__ import annotations

import re

import pytest

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
