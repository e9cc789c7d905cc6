"""Content digest of a policy: sha256 of a canonical JSON form that ignores comments and key order."""
from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any


def canonical_number(value: Decimal | int) -> str:
    """One spelling per number: 8, 8.0 and 8.00 are all "8"; no exponents."""
    d = Decimal(value)
    if d == d.to_integral_value():
        return str(int(d))
    return format(d.normalize(), "f")


def canonical(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return [canonical(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, Decimal)):
        return {"$n": canonical_number(value)}
    raise TypeError(f"not canonicalisable: {type(value).__name__}")


def jsonable(value: Any) -> Any:
    """value for JSON: Decimals as their exact strings (never floats), tuples as lists."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    return value


def digest(document: dict) -> str:
    text = json.dumps(canonical(document), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
