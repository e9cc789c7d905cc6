"""The JSON Schemas double as the authoring reference: every field is described."""
from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator

from tests.support import ROOT

SCHEMAS = sorted((ROOT / "schemas").glob("*.schema.json"))


def resolve(schema, ref):
    node = schema
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def described(schema, node) -> bool:
    """A description of its own, or a $ref to a described definition."""
    if "description" in node:
        return True
    return "$ref" in node and described(schema, resolve(schema, node["$ref"]))


def undescribed(node, path="#", schema=None):
    """Paths of fields without a description; if/then branches constrain fields, they are not fields."""
    schema = node if schema is None else schema
    out = []
    if isinstance(node, dict):
        for name, sub in (node.get("properties") or {}).items():
            if isinstance(sub, dict) and not described(schema, sub) and "/if" not in path and "/then" not in path:
                out.append(f"{path}/properties/{name}")
        for key, sub in node.items():
            out += undescribed(sub, f"{path}/{key}", schema)
    elif isinstance(node, list):
        for n, sub in enumerate(node):
            out += undescribed(sub, f"{path}/{n}", schema)
    return out


@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: p.name)
def test_schema_is_valid_2020_12_and_every_field_is_described(path):
    schema = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert undescribed(schema) == []


def test_the_published_schemas_exist():
    assert {p.name for p in SCHEMAS} >= {"policy.schema.json", "submission.schema.json", "outcome.schema.json"}
