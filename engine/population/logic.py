"""Conditions over columns, with engine.scoring.condition's three-valued logic, row by row identical.

A result is an int8 array: F = 0, U = 1 (not reported: None), T = 2. Ordered so, Kleene's logic is
arithmetic: `all` is the minimum, `any` the maximum, `not` is 2 - x.

Each comparison follows engine.scoring.condition exactly, quirks included: a number is never equal to a boolean
(`x is True`), ordering a boolean or a text gives None, `present` compares (x is not None) with the value,
`in` matches numbers by value (1 = 1.0) and keeps booleans, numbers and texts apart.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Callable, NamedTuple

import numpy as np

from ..policy.model import AllOf, AnyOf, Compare, Condition, Not
from .exact import compare, tie_sign
from .frame import ABSENT, FLAG, NUMBER, TEXT

F, U, T = 0, 1, 2
Test = Callable[[Any], np.ndarray]


class View(NamedTuple):
    """A field over the rows: the kind of its value per row, and the value in the column of that kind."""

    kind: np.ndarray  # int8: ABSENT, FLAG, NUMBER, TEXT (anything else never occurs in a valid row)
    flag: np.ndarray
    number: np.ndarray
    codes: np.ndarray  # int: index into texts where kind == TEXT, else -1
    texts: tuple


def view(cols, field: str) -> View:
    """The field as engine.scoring.condition.getter reads it, cached per Columns."""
    got = cols._views.get(field)
    if got is None:
        got = cols._views[field] = _view(cols, field)
    return got


def _view(cols, field: str) -> View:
    n = cols.n
    if field.startswith("facts."):
        facts = cols.facts(field[6:])
        if facts is None:
            return _empty(n)
        if not (facts.kind == TEXT).any():  # yes/no or number answers only: no text to code, row by row
            return View(facts.kind, facts.flag, facts.number.value, np.full(n, -1), ())
        codes, texts = _codes(facts.text)
        return View(facts.kind, facts.flag, facts.number.value, codes, texts)
    if field.startswith("data.") or field in ("energy_use_tce", "output_value"):
        col = cols.numbers(field[5:]) if field.startswith("data.") else getattr(cols.frame, field)
        kind = np.where(col.present, NUMBER, ABSENT).astype(np.int8)
        return View(kind, np.zeros(n, bool), col.value, np.full(n, -1), ())
    codes, texts = _codes(getattr(cols.frame, field))  # sector, industry_code, region: always there
    return View(np.where(codes >= 0, TEXT, ABSENT).astype(np.int8), np.zeros(n, bool), np.zeros(n), codes, texts)


def _empty(n: int) -> View:
    return View(np.zeros(n, np.int8), np.zeros(n, bool), np.zeros(n), np.full(n, -1), ())


def _codes(values: list) -> tuple[np.ndarray, tuple]:
    index: dict = {}
    codes = np.array([index.setdefault(v, len(index)) if type(v) is str else -1 for v in values], dtype=np.int64)
    return codes, tuple(index)


def compile_test(cond: Condition) -> Test:
    if isinstance(cond, AllOf):
        tests = [compile_test(c) for c in cond.items]
        return lambda cols: np.minimum.reduce([t(cols) for t in tests])
    if isinstance(cond, AnyOf):
        tests = [compile_test(c) for c in cond.items]
        return lambda cols: np.maximum.reduce([t(cols) for t in tests])
    if isinstance(cond, Not):
        test = compile_test(cond.item)
        return lambda cols: (T - test(cols)).astype(np.int8)
    return _comparison(cond)


def _comparison(cond: Compare) -> Test:
    field, op, value = cond.field, cond.op, cond.value
    if op == "present":
        when_present, when_absent = T if (True == value) else F, T if (False == value) else F  # noqa: E712
        return lambda cols: np.where(view(cols, field).kind != ABSENT, when_present, when_absent).astype(np.int8)
    if op in ("lt", "le", "gt", "ge"):
        bound = Decimal(value)
        bf, ties = float(bound), tie_sign(bound)
        pick = {"lt": lambda s: s < 0, "le": lambda s: s <= 0, "gt": lambda s: s > 0, "ge": lambda s: s >= 0}[op]

        def order(cols) -> np.ndarray:
            v = view(cols, field)
            out = np.full(len(v.kind), U, dtype=np.int8)
            num = v.kind == NUMBER  # booleans and texts are not ordered: None
            out[num] = np.where(pick(compare(v.number[num], bf, ties)), T, F)
            return out
        return order
    members = value if op in ("in", "not_in") else (value,)
    want = op in ("in", "eq")
    flags = {m for m in members if isinstance(m, bool)}
    numbers = [Decimal(m) for m in members if isinstance(m, (int, Decimal)) and not isinstance(m, bool)]
    texts = {m for m in members if isinstance(m, str)}

    def match(cols) -> np.ndarray:
        v = view(cols, field)
        hit = (v.kind == FLAG) & np.isin(v.flag, list(flags)) if flags else np.zeros(len(v.kind), bool)
        for c in numbers:
            hit |= (v.kind == NUMBER) & (compare(v.number, float(c), tie_sign(c)) == 0)
        if texts:
            known = [i for i, t in enumerate(v.texts) if t in texts]
            hit |= (v.kind == TEXT) & np.isin(v.codes, known)
        return np.where(v.kind == ABSENT, U, np.where(hit == want, T, F)).astype(np.int8)
    return match
