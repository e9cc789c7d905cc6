"""Conditions compiled to closures with three-valued logic: True, False, or None (not reported)."""
from __future__ import annotations

import operator
from decimal import Decimal
from typing import Any, Callable, Iterator

from ..policy.model import AllOf, AnyOf, Compare, Condition, Not
from ..submission.record import Submission

Test = Callable[[Submission], "bool | None"]
Getter = Callable[[Submission], Any]

_ORDER = {"lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge}


def getter(field: str) -> Getter:
    """Reads one condition field from a submission; None when not reported."""
    if field.startswith("facts."):
        name = field[6:]
        return lambda s: s.facts.get(name)
    if field.startswith("data."):
        name = field[5:]
        return lambda s: s.data.get(name)
    return operator.attrgetter(field)  # energy_use_tce, output_value, sector, industry_code, region


def compile_condition(cond: Condition) -> Test:
    if isinstance(cond, AllOf):
        tests = tuple(compile_condition(c) for c in cond.items)
        return lambda s: _all(t(s) for t in tests)
    if isinstance(cond, AnyOf):
        tests = tuple(compile_condition(c) for c in cond.items)
        return lambda s: _any(t(s) for t in tests)
    if isinstance(cond, Not):
        test = compile_condition(cond.item)
        return lambda s: None if (r := test(s)) is None else not r
    return _compare(cond)


def comparisons(cond: Condition | None) -> Iterator[Compare]:
    """The comparisons of a condition, left to right, whatever all/any/not surround them."""
    if isinstance(cond, (AllOf, AnyOf)):
        for item in cond.items:
            yield from comparisons(item)
    elif isinstance(cond, Not):
        yield from comparisons(cond.item)
    elif isinstance(cond, Compare):
        yield cond


def fields_read(cond: Condition | None) -> tuple[str, ...]:
    """The fields a condition reads, in order, once each: what the trace lists as its inputs."""
    return tuple(dict.fromkeys(c.field for c in comparisons(cond)))


def describe(cond: Condition) -> str:
    """The condition as a formula, e.g. facts.deregistered = false."""
    if isinstance(cond, AllOf):
        return " and ".join(f"({describe(c)})" for c in cond.items)
    if isinstance(cond, AnyOf):
        return " or ".join(f"({describe(c)})" for c in cond.items)
    if isinstance(cond, Not):
        return f"not ({describe(cond.item)})"
    symbol = {"eq": "=", "ne": "≠", "lt": "<", "le": "≤", "gt": ">", "ge": "≥", "in": "in", "not_in": "not in",
              "present": "present ="}[cond.op]
    return f"{cond.field} {symbol} {show(cond.value)}"


def show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return "[" + ", ".join(show(v) for v in value) + "]"
    return str(value)


def _compare(cond: Compare) -> Test:
    op, value = cond.op, cond.value
    if cond.field.startswith(("facts.", "data.")):
        part, name = cond.field.split(".", 1)
        fast = _fast_item(part, name, op, value)
        if fast is not None:
            return fast
    return _generic(getter(cond.field), op, value)


def _fast_item(part: str, name: str, op: str, value: Any) -> Test | None:
    """facts.x / data.x against a boolean or a number, read inline: the gates run on every evaluation."""
    if op in ("eq", "ne") and isinstance(value, bool):
        same = op == "eq"
        # `is` keeps True apart from 1: a number is never equal to a boolean here
        if part == "facts":
            return lambda s: None if (x := s.facts.get(name)) is None else (x is value) == same
        return lambda s: None if (x := s.data.get(name)) is None else (x is value) == same
    if op in _ORDER:
        fn, bound = _ORDER[op], Decimal(value)
        if part == "facts":
            return lambda s: None if (x := s.facts.get(name)) is None or isinstance(x, (bool, str)) else fn(x, bound)
        return lambda s: None if (x := s.data.get(name)) is None else fn(x, bound)
    return None


def _generic(get: Getter, op: str, value: Any) -> Test:
    if op == "present":
        return lambda s: (get(s) is not None) == value
    if op in ("in", "not_in"):
        members = frozenset(_norm(v) for v in value)
        want = op == "in"
        return lambda s: None if (x := get(s)) is None else (_norm(x) in members) == want
    if op in _ORDER:
        fn, bound = _ORDER[op], Decimal(value)
        return lambda s: None if (x := get(s)) is None or isinstance(x, (bool, str)) else fn(x, bound)
    target = _norm(value)
    if op == "eq":
        return lambda s: None if (x := get(s)) is None else _norm(x) == target
    return lambda s: None if (x := get(s)) is None else _norm(x) != target


def _norm(value: Any) -> Any:
    """True is not 1: keep booleans apart from numbers when comparing."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, (int, Decimal)):
        return ("num", Decimal(value))
    return ("str", value)


def _all(results) -> bool | None:
    unknown = False
    for r in results:
        if r is False:
            return False
        unknown = unknown or r is None
    return None if unknown else True


def _any(results) -> bool | None:
    unknown = False
    for r in results:
        if r is True:
            return True
        unknown = unknown or r is None
    return None if unknown else False
