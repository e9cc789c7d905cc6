"""Each rule's scorer, specialised once per compiled policy where the rule has a common shape.

A rule with one unconditional metric (an input scored linearly or by bands, or a capped count of cases) gets a
closure that does engine.rulescore.score_rule's work with the lookups done at compile time and returns a Found
tuple; every other rule runs score_rule itself. Same numbers, digit for digit: tests/test_fastscore.py.
"""
from __future__ import annotations

from decimal import Decimal
from functools import partial
from typing import Callable, NamedTuple

from .arithmetic import ZERO, linear_share
from .compiler import CompiledMetric, CompiledPolicy, CompiledRule, Entry
from .rulescore import Scored, score_rule
from .submission import Submission

_new = tuple.__new__  # a NamedTuple from a ready tuple, without its Python-level __new__
COUNT_TABLE = 32  # points of 0 … 32 qualifying cases computed at compile time; more are computed when met


class Found(NamedTuple):
    """A Scored record as a tuple: several times cheaper to build, read the same way (the fields a specialised
    scorer cannot set are class-level defaults)."""

    status: str
    metric: CompiledMetric
    scope: str | None
    points: Decimal
    x: Decimal | None = None
    entry: Entry | None = None
    band: object | None = None
    counted: int = 0
    total_cases: int = 0
    tier = tier_value = None
    products = parts = missing = ()

    @property
    def share(self) -> Decimal | None:
        """A linear row's share of full points, computed exactly when read (a trace being rendered): the points
        were found without it (engine.fastpoints)."""
        if self.entry is None or self.entry.points is None:
            return None
        return linear_share(self.x, self.entry.row.baseline, self.entry.row.leading, self.metric.higher)


def make_scorer(cp: CompiledPolicy, cr: CompiledRule) -> Callable[[Submission], Scored | Found]:
    """Submission -> the rule's record: a specialised closure for the common shapes, else score_rule."""
    if cr.applies is None and len(cr.metrics) == 1 and cr.metrics[0].when is None:
        cm = cr.metrics[0]
        m = cm.metric
        if m.basis == "input" and m.tier is None and m.method in ("linear", "bands"):
            return _input(cp, cm)
        if m.basis == "cases" and m.method == "count":
            return _cases_count(cp, cr, cm)
    return partial(score_rule, cp, cr)


def _input(cp: CompiledPolicy, cm: CompiledMetric) -> Callable[[Submission], Found]:
    """One reported value, linear (Entry.points) or by bands, on the sector's row or the general one."""
    name = cm.metric.input
    general = cm.rows.get((None, None, None))
    by_sector = {key[0]: entry for key, entry in cm.rows.items() if key[0] is not None}  # no product, no tier here
    missing = Found("not_reported", cm, None, ZERO)  # a tuple: the same record serves every submission
    if cm.metric.method == "bands":
        tables = {sector: _band_table(cp, entry) for sector, entry in by_sector.items()}
        return partial(_banded, name, tables, _band_table(cp, general) if general else None, missing)

    def linear(sub: Submission) -> Found:
        x = sub.data.get(name)
        if x is None:
            return missing
        entry = by_sector.get(sub.sector, general)  # as cm.entry(sector, None, None)
        return _new(Found, ("scored", cm, entry.scope, entry.points(x), x, entry, None, 0, 0))

    return linear


def _band_table(cp: CompiledPolicy, entry: Entry) -> tuple:
    """A row's bands with their points rounded as engine.rulescore rounds them, and the points below every band."""
    q, mode = cp.quantum, cp.rounding
    return (entry, tuple((b.min, b.max, b, b.points.quantize(q, rounding=mode)) for b in entry.row.bands),
            ZERO.quantize(q, rounding=mode))


def _banded(name: str, by_sector: dict, general: tuple | None, missing: Found, sub: Submission) -> Found:
    x = sub.data.get(name)
    if x is None:
        return missing
    entry, bands, below = by_sector.get(sub.sector, general)
    for low, high, band, points in bands:  # arithmetic.band_points: min inclusive, max exclusive
        if x >= low and (high is None or x < high):
            return _new(Found, ("scored", missing.metric, entry.scope, points, x, entry, band, 0, 0))
    return _new(Found, ("scored", missing.metric, entry.scope, below, x, entry, None, 0, 0))


def _cases_count(cp: CompiledPolicy, cr: CompiledRule, cm: CompiledMetric) -> Callable[[Submission], Found]:
    """Qualifying cases (with evidence where the metric requires it) times points per case, capped at full points."""
    m = cm.metric
    name, requires, per_case, full, q, mode = m.input, m.requires_evidence, m.per_case, cr.rule.points, cp.quantum, cp.rounding
    table = tuple(min(per_case * n, full).quantize(q, rounding=mode) for n in range(COUNT_TABLE + 1))
    missing = Found("not_reported", cm, None, ZERO)

    def score(sub: Submission) -> Found:
        cases = sub.cases.get(name)
        if cases is None:
            return missing
        counted = len(cases)
        if requires:
            counted = 0
            for case in cases:
                if case.evidence:
                    counted += 1
        points = table[counted] if counted <= COUNT_TABLE else min(per_case * counted, full).quantize(q, rounding=mode)
        return _new(Found, ("scored", cm, "general", points, None, None, None, counted, len(cases)))

    return score
