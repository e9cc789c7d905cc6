"""JSON Schema validation that reports every error as an Issue with a fix."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from ..issue import Issue, Location, did_you_mean

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"

Locator = Callable[[tuple, bool], Location | None]


@lru_cache(maxsize=None)
def validator(name: str) -> Draft202012Validator:
    schema = json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def schema_issues(name: str, data: Any, prefix: str, locate: Locator | None = None) -> list[Issue]:
    """All errors of data against schemas/<name>, as issues coded <prefix>.schema.<keyword>."""
    out: list[Issue] = []
    for error in validator(name).iter_errors(data):
        out.extend(_issues_for(error, prefix, locate))
    return out


def _issues_for(error: ValidationError, prefix: str, locate: Locator | None) -> list[Issue]:
    if error.validator in ("oneOf", "anyOf") and error.context:
        deepest = best_match(error.context)
        if deepest is not None and len(deepest.absolute_path) > len(error.absolute_path) or error.validator == "oneOf":
            # report the branch that got furthest, which names the actual mistake
            return _issues_for(_narrowest(error), prefix, locate)
    path = tuple(error.absolute_path)
    keyword = str(error.validator)
    code = f"{prefix}.schema.{keyword}"

    def at(p: tuple, key: bool = False) -> Location | None:
        return locate(p, key) if locate else None

    if "propertyNames" in error.relative_schema_path:  # the error is about a key: point at that key
        key = str(error.instance)
        return [Issue(code, f'The key "{key}" is not of the expected form ({_describe(error)}).', path + (key,),
                      at(path + (key,), True))]

    if keyword == "additionalProperties":
        allowed = list((error.schema.get("properties") or {}).keys())
        extras = [k for k in error.instance if k not in allowed] if isinstance(error.instance, dict) else []
        return [Issue(f"{prefix}.schema.unknown_key",
                      f'Unknown key "{k}" here.{did_you_mean(k, allowed) or " Allowed: " + ", ".join(allowed) + "."}',
                      path + (k,), at(path + (k,), True)) for k in extras]
    if keyword == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return [Issue(f"{prefix}.schema.required", f'Missing required key "{missing}": add it here.', path, at(path, True))]
    if keyword == "type":
        wanted = error.validator_value
        wanted = " or ".join(wanted) if isinstance(wanted, list) else wanted
        return [Issue(code, f"Expected {wanted} here, got {_kind(error.instance)}.", path, at(path))]
    if keyword == "enum":
        options = [str(o) for o in error.validator_value]
        return [Issue(code, f'"{error.instance}" is not allowed here; use one of: {", ".join(options)}.'
                      f"{did_you_mean(error.instance, options)}", path, at(path))]
    if keyword == "const":
        return [Issue(code, f'Must be "{error.validator_value}" here, not "{error.instance}".', path, at(path))]
    if keyword == "pattern":
        return [Issue(code, f'"{error.instance}" is not of the expected form ({_describe(error)}).', path, at(path))]
    if keyword in ("minItems", "maxItems", "minProperties", "minLength", "maxLength"):
        return [Issue(code, f"{_first_sentence(error.message)}: {_describe(error)}.", path, at(path))]
    if keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return [Issue(code, f"{error.instance} is out of range ({keyword} {error.validator_value}).", path, at(path))]
    return [Issue(code, f"{_first_sentence(error.message)}: {_describe(error)}.", path, at(path))]


def _narrowest(error: ValidationError) -> ValidationError:
    """Of a oneOf's failing branches, the one whose errors reach deepest, else the plainest."""
    def depth(e: ValidationError) -> tuple[int, int]:
        return (len(e.absolute_path), 0 if e.validator in ("required", "additionalProperties") else 1)
    return max(error.context, key=depth)


def _describe(error: ValidationError) -> str:
    text = error.schema.get("description") or error.parent and (error.parent.schema or {}).get("description")
    return (text or f"see the schema at {'/'.join(map(str, error.schema_path))}").rstrip(".")


def _first_sentence(message: str) -> str:
    return message.split("\n")[0].rstrip(".")[:200]


def _kind(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)) or type(value).__name__ == "Decimal":
        return "a number"
    if isinstance(value, str):
        return f'the text "{value[:40]}"'
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__
