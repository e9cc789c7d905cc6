"""The JSON Schemas of schemas/ (draft 2020-12) as OpenAPI 3.0 components, so that the published document types the
submission and the outcome by the very schemas the engine validates against and the tests check outcomes with.

OpenAPI 3.0 takes a subset of JSON Schema: each schema's $defs become components of their own (Outcome's step is
OutcomeStep), its $refs point there, and a type list with "null" becomes the type with nullable. A keyword outside
that subset is a programming error here, not something to drop quietly.
"""
from __future__ import annotations

import json
from pathlib import Path

from .config import ROOT

SCHEMA_DIR = ROOT / "schemas"

PUBLISHED = {"Submission": "submission.schema.json", "Outcome": "outcome.schema.json"}
COMPONENTS = "#/components/schemas/"
DROPPED = {"$schema", "$id", "$defs", "title"}
KEYWORDS = {"type", "description", "properties", "additionalProperties", "required", "items", "enum", "pattern",
            "minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems", "maxProperties", "$ref"}


def component_name(owner: str, definition: str) -> str:
    return owner + "".join(part.capitalize() for part in definition.split("_"))


def _type(value) -> dict:
    if isinstance(value, str):
        return {"type": value}
    kinds = [k for k in value if k != "null"]
    out = {"type": kinds[0]} if len(kinds) == 1 else {"anyOf": [{"type": k} for k in kinds]}
    if "null" in value:
        out["nullable"] = True
    return out


def convert(node, owner: str):
    """One node of a 2020-12 schema as an OpenAPI 3.0 schema object; properties' names are data, not keywords."""
    if isinstance(node, list):
        return [convert(item, owner) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict = {}
    for key, value in node.items():
        if key in DROPPED:
            continue
        if key not in KEYWORDS:
            raise ValueError(f"{owner}: {key} has no OpenAPI 3.0 form")
        if key == "type":
            out.update(_type(value))
        elif key == "$ref":
            out[key] = COMPONENTS + component_name(owner, value.removeprefix("#/$defs/"))
        elif key == "properties":
            out[key] = {name: convert(sub, owner) for name, sub in value.items()}
        else:
            out[key] = convert(value, owner)
    return out


def components(root: Path = SCHEMA_DIR) -> dict[str, dict]:
    """Every published schema and each of its definitions, by component name."""
    out = {}
    for owner, filename in PUBLISHED.items():
        schema = json.loads((root / filename).read_text(encoding="utf-8"))
        out[owner] = convert(schema, owner)
        for name, definition in schema.get("$defs", {}).items():
            out[component_name(owner, name)] = convert(definition, owner)
    return out


def ref(name: str) -> dict:
    """A field's OpenAPI metadata that types it by a published schema (allOf: a $ref takes no siblings in 3.0)."""
    return {"allOf": [{"$ref": COMPONENTS + name}]}
