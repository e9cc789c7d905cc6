"""Conditions over columns: the column test of a compiled condition's form (engine.scoring.condition).

What a condition means is defined once, there, in the form the CompiledPolicy holds: the kinds its constants are
split into, the kinds an order comparison decides (ORDERED) and its operator (ORDER), what `present` gives with the
field reported or not, and Kleene's order F < U < T. This module derives the column test from that form and adds
only the column mechanics: a field's view over the rows, numpy arrays, and exact decisions on float columns
(engine.population.exact). A result is an int8 array of ranks F, U, T: `all` is the minimum, `any` the maximum,
`not` is T - x.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..scoring.condition import ORDER, ORDERED, RANK, F, Form, Junction, Match, Negation, Order, Present, T, U
from ..submission.record import ABSENT, FLAG, NUMBER, TEXT
from .exact import compare, tie_sign

__all__ = ["F", "T", "U", "View", "truth", "view"]


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


def truth(cols, form: Form) -> np.ndarray:
    """The form's value per row of cols, as ranks F, U, T (int8)."""
    if isinstance(form, Junction):
        return (np.minimum if form.least else np.maximum).reduce([truth(cols, item) for item in form.items])
    if isinstance(form, Negation):
        return (T - truth(cols, form.item)).astype(np.int8)
    v = view(cols, form.field)
    if isinstance(form, Present):
        return np.where(v.kind != ABSENT, RANK[form.when_reported], RANK[form.when_absent]).astype(np.int8)
    if isinstance(form, Order):
        return _order(v, form)
    return _match(v, form)


def _order(v: View, form: Order) -> np.ndarray:
    """ORDER[op] on the exact sign of value - bound, for the rows of an ORDERED kind; U for the others."""
    out = np.full(len(v.kind), U, dtype=np.int8)
    decided = np.isin(v.kind, list(ORDERED))
    sign = compare(v.number[decided], float(form.bound), tie_sign(form.bound))
    out[decided] = np.where(ORDER[form.op](sign, 0), T, F)
    return out


def _match(v: View, form: Match) -> np.ndarray:
    """Match.holds per row, each kind against its own constants; U where the field is not reported."""
    hit = (v.kind == FLAG) & np.isin(v.flag, list(form.flags)) if form.flags else np.zeros(len(v.kind), bool)
    for c in form.numbers:
        hit |= (v.kind == NUMBER) & (compare(v.number, float(c), tie_sign(c)) == 0)
    if form.texts:
        known = [i for i, t in enumerate(v.texts) if t in form.texts]
        hit |= (v.kind == TEXT) & np.isin(v.codes, known)
    return np.where(v.kind == ABSENT, U, np.where(hit == form.want, T, F)).astype(np.int8)
