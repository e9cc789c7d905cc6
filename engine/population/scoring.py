"""Score every rule for every row at once: engine.scoring.rules.score_rule, column-wise.

Points are whole numbers of quanta (int64: 0.01 points when the policy rounds to 2 places). Metric choice,
tiers, threshold rows, bands and clamps are decided by exact comparisons (engine.population.exact); a
linear share strictly inside its band is computed in float64 with an error bound, and a row whose points
fall within that bound of a rounding jump is marked `unsafe`: the single evaluator scores it. Counts of
cases take few values, so their points come from engine.scoring.arithmetic itself, once per distinct count.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from . import logic
from ..scoring.arithmetic import ONE, ZERO, band_points, linear_share, points_of, weighted
from ..scoring.compiled import CompiledMetric, CompiledRule, Entry
from ..scoring.context import RANGE, SECTOR_BEST
from ..scoring.rules import EVIDENCE_MISSING, row_share
from ..submission.record import NUMBER
from .exact import UNIT, compare, quanta, round_safe, tie_sign, unsafe

SCORED, NOT_REPORTED, NOT_APPLICABLE, NO_METRIC = 0, 1, 2, 3
STATUSES = ("scored", "not_reported", "not_applicable", "no_metric")
FLAGS = (EVIDENCE_MISSING, RANGE, SECTOR_BEST)  # a rule's review flags, in the order assemble adds them: bits 1, 2, 4


@dataclass(eq=False)
class RuleScores:
    status: np.ndarray  # int8, STATUSES
    points: np.ndarray  # int64 quanta
    metric: np.ndarray  # int16 index into the rule's metrics, -1 for none
    scope: np.ndarray  # int32 index into Scopes, -1 for none
    counted: np.ndarray  # int32 cases counted (cases metrics), else 0
    flags: np.ndarray  # int8 bits of FLAGS


class Scopes:
    """Scope strings ("sector:cement", "product:a+b") by index, shared by every rule of a run."""

    def __init__(self):
        self.names: list[str] = []
        self._index: dict[str, int] = {}

    def __call__(self, name: str | None) -> int:
        if name is None:
            return -1
        found = self._index.get(name)
        if found is None:
            found = self._index[name] = len(self.names)
            self.names.append(name)
        return found


class Entries:
    """A metric's threshold rows as arrays, with the table that picks one per sector and product or tier.
    Built once per metric, sectors and keys (entries_for), as every chunk of a batch asks for the same."""

    def __init__(self, cm: CompiledMetric, sectors: tuple, keys: tuple, key_kind: str):
        entries: list[Entry] = []
        index: dict[int, int] = {}
        self.table = np.full((len(sectors), max(len(keys), 1)), -1, dtype=np.int64)
        for s, sector in enumerate(sectors):
            for k, key in enumerate(keys or (None,)):
                entry = cm.entry(sector, key if key_kind == "product" else None, key if key_kind == "tier" else None)
                if entry is not None:
                    self.table[s, k] = index.setdefault(id(entry), len(entries))
                    if len(entries) < len(index):
                        entries.append(entry)
        rows = [e.row for e in entries]
        linear = cm.metric.method != "bands"
        self.entries, self.bands = entries, [r.bands for r in rows]
        self.scope_names = [e.scope for e in entries]
        base = [_required(r.baseline) if linear else ZERO for r in rows]
        lead = [_required(r.leading) if linear else ZERO for r in rows]
        self.b, self.b_tie = np.array([float(v) for v in base]), np.array([tie_sign(v) for v in base], np.int8)
        self.l, self.l_tie = np.array([float(v) for v in lead]), np.array([tie_sign(v) for v in lead], np.int8)
        self.sign = np.array([(l > b) - (l < b) for b, l in zip(base, lead)], dtype=np.int8)
        # a band this narrow in float would make the share's error bound meaningless: score one by one
        self.narrow = np.array([b != l and float(b) == float(l) for b, l in zip(base, lead)], dtype=bool)

    def scope(self, scopes: Scopes) -> np.ndarray:
        """Each entry's scope as an index into this run's scopes."""
        return np.array([scopes(name) for name in self.scope_names], dtype=np.int64)


_ENTRIES: dict = {}  # (id of the metric, sectors, keys, kind) -> (the metric, its Entries); the metric kept alive
_ENTRIES_KEPT = 512  # a bound: emptied when full (policies are few; product key sets vary a little by chunk)


def entries_for(cm: CompiledMetric, sectors: tuple, keys: tuple, key_kind: str) -> Entries:
    key = (id(cm), sectors, keys, key_kind)
    found = _ENTRIES.get(key)
    if found is None or found[0] is not cm:
        if len(_ENTRIES) >= _ENTRIES_KEPT:
            _ENTRIES.clear()
        found = _ENTRIES[key] = (cm, Entries(cm, sectors, keys, key_kind))
    return found[1]


class Scorer:
    def __init__(self, cols, scopes: Scopes, sector_bests=None):
        self.cols, self.cp, self.n = cols, cols.cp, cols.n
        self.scopes = scopes
        self.bests = sector_bests or {}
        self.boundary = 0  # points recomputed in Decimal because the float lay within its error of a jump
        self.unsafe = np.zeros(self.n, dtype=bool)
        self.mode = self.cp.rounding

    def rule(self, cr: CompiledRule) -> RuleScores:
        n = self.n
        out = RuleScores(np.full(n, NO_METRIC, np.int8), np.zeros(n, np.int64), np.full(n, -1, np.int16),
                         np.full(n, -1, np.int64), np.zeros(n, np.int32), np.zeros(n, np.int8))
        todo = self.cols.valid.copy()
        if cr.applies is not None:
            off = todo & (logic.truth(self.cols, cr.applies.form) == logic.F)
            out.status[off] = NOT_APPLICABLE
            todo &= ~off
        for m, cm in enumerate(cr.metrics):
            basis = cm.metric.basis
            sel = todo.copy()
            if basis == "product":
                products = self._products(cm)
                sel &= products[0].any(axis=1)
            if cm.when is not None:
                sel &= logic.truth(self.cols, cm.when.form) == logic.T
            if not sel.any():
                continue
            out.metric[sel] = m
            if basis == "input":
                self._input(cr, cm, np.flatnonzero(sel), out)
            elif basis == "product":
                self._product(cr, cm, np.flatnonzero(sel), out, products)
            else:
                self._cases(cr, cm, np.flatnonzero(sel), out)
            todo &= ~sel
        return out

    # -- an input, maybe chosen by size tier ---------------------------------------------------------------
    def _input(self, cr: CompiledRule, cm: CompiledMetric, rows: np.ndarray, out: RuleScores) -> None:
        col = self.cols.numbers(cm.metric.input)
        present = col.present[rows]
        tier = np.zeros(len(rows), dtype=np.int64)
        keys: tuple = ()
        if cm.metric.tier is not None:
            keys = tuple(t.id for t in cm.metric.tier.tiers)
            tier = self._tiers(cm, rows)
            present &= tier >= 0
        reported, missing = rows[present], rows[~present]
        out.status[missing] = NOT_REPORTED
        entries = entries_for(cm, self.cols.sectors, keys, "tier")
        e = entries.table[self.cols.sector[reported], tier[present]]
        self._value(cr, cm, entries, reported, col.value[reported], e, out)
        scored = reported[out.status[reported] == SCORED]
        out.flags[scored] |= self._plausibility(cm, scored, col.value[scored])

    def _plausibility(self, cm: CompiledMetric, rows: np.ndarray, x: np.ndarray) -> np.ndarray:
        """engine.cohort.plausibility.flags_for on a scored input: bit 2 outside the plausible range, bit 4
        better than the sector's best existing factory by more than the policy's margin."""
        bits = np.zeros(len(rows), dtype=np.int8)
        name, margin = cm.metric.input, self.cp.policy.plausibility_margin
        low, high = self.cp.plausible.get(name, (None, None))
        if low is not None:
            bits[compare(x, float(low), tie_sign(low)) < 0] = 2
        if high is not None:
            bits[compare(x, float(high), tie_sign(high)) > 0] = 2
        if margin is None:
            return bits
        sectors = self.cols.sectors
        for sector, best in self.bests.items():
            top = best.best.get(name)
            if top is None or sector not in sectors:
                continue
            allowance = margin * abs(top)  # the same Decimal expressions as beyond_best, once per sector
            bar = top + allowance if cm.higher else top - allowance
            side = compare(x, float(bar), tie_sign(bar))
            beyond = (side > 0) if cm.higher else (side < 0)
            bits[(self.cols.sector[rows] == sectors.index(sector)) & beyond] |= 4
        return bits

    def _tiers(self, cm: CompiledMetric, rows: np.ndarray) -> np.ndarray:
        """Index of the size tier per row (-1: no value, or no tier holds it), as CompiledMetric.tier_of."""
        spec = cm.metric.tier
        assert spec is not None  # called for tiered metrics only
        v = logic.view(self.cols, spec.by)
        kind, x = v.kind[rows], v.number[rows]
        self.unsafe[rows[(kind != NUMBER) & (kind != 0)]] = True  # a yes/no or a text as a size: one by one
        out = np.full(len(rows), -1, dtype=np.int64)
        for t, tier in enumerate(spec.tiers):
            inside = (out < 0) & (kind == NUMBER) & (compare(x, float(tier.min), tie_sign(tier.min)) >= 0)
            if tier.max is not None:
                inside &= compare(x, float(tier.max), tie_sign(tier.max)) < 0
            out[inside] = t
        return out

    # -- one value against one threshold row per row ---------------------------------------------------------
    def _value(self, cr, cm, entries: Entries, rows, x, e, out: RuleScores) -> None:
        """engine.scoring.rules._score_value: bands, or linear between baseline and leading value."""
        lost = e < 0  # no threshold row for the sector: the single evaluator says what happens
        self.unsafe[rows[lost]] = True
        rows, x, e = rows[~lost], x[~lost], e[~lost]
        out.status[rows] = SCORED
        out.scope[rows] = entries.scope(self.scopes)[e]
        if cm.metric.method == "bands":
            out.points[rows] = self._bands(entries, x, e)
            return
        share, err, exact = self._share(entries, x, e, cm.higher)
        full = cr.rule.points / self.cp.quantum
        v = float(full) * share
        points = np.where(share >= 1, quanta(points_of(cr.rule.points, ONE, self.cp.quantum, self.mode),
                                             self.cp.quantum), 0)
        inner = ~exact
        points[inner] = round_safe(v[inner], self.mode)
        near = inner & unsafe(v, float(full) * err + 2 * UNIT * np.abs(v), self.mode)
        self.boundary += int(near.sum())
        for k in np.flatnonzero(near):  # on or by a rounding jump (a score of x.xx5): in Decimal, as evaluate does
            row = entries.entries[e[k]].row
            share = linear_share(_decimal(x[k]), row.baseline, row.leading, cm.higher)
            points[k] = quanta(points_of(cr.rule.points, share, self.cp.quantum, self.mode), self.cp.quantum)
        self.unsafe[rows[entries.narrow[e]]] = True
        out.points[rows] = points

    def _share(self, entries: Entries, x, e, higher: bool):
        """engine.scoring.arithmetic.linear_share per row: (share, its error bound, share is exactly 0 or 1)."""
        b, l, sign = entries.b[e], entries.l[e], entries.sign[e]
        cb = compare(x, b, entries.b_tie[e])
        cl = compare(x, l, entries.l_tie[e])
        step = sign == 0  # a zero-width band: at or better than leading, full points
        full = np.where(step, (cl >= 0) if higher else (cl <= 0), np.where(sign > 0, cl >= 0, cl <= 0))
        zero = np.where(step, ~full, np.where(sign > 0, cb <= 0, cb >= 0))
        exact = full | zero
        span = np.where(exact, 1.0, l - b)
        share = np.where(exact, full.astype(float), (x - b) / span)
        ed = 2.1 * UNIT * (np.abs(x) + np.abs(b))
        es = 2.1 * UNIT * (np.abs(l) + np.abs(b))
        err = np.where(exact, 0.0, (ed + (np.abs(share) + 1e-3) * es) / np.abs(span) + 2 * UNIT * np.abs(share))
        return share, err, exact

    def _bands(self, entries: Entries, x, e) -> np.ndarray:
        """engine.scoring.arithmetic.band_points, quantized: the first band with min <= x < max; 0 below all."""
        points = np.zeros(len(x), dtype=np.int64)
        for j in np.unique(e):
            mine = e == j
            found = np.zeros(len(x), dtype=bool)
            for band in entries.bands[j]:
                inside = mine & ~found & (compare(x, float(band.min), tie_sign(band.min)) >= 0)
                if band.max is not None:
                    inside &= compare(x, float(band.max), tie_sign(band.max)) < 0
                points[inside] = quanta(band.points.quantize(self.cp.quantum, rounding=self.mode), self.cp.quantum)
                found |= inside
        return points

    # -- products: the top N by energy use, weighted by it -------------------------------------------------
    def _products(self, cm: CompiledMetric):
        """Per row and product of the metric (ids sorted): reported, energy, energy reported, value, value reported."""
        ids = tuple(sorted(cm.products))
        shape = (self.n, len(ids))
        present, energy, has_energy = np.zeros(shape, bool), np.zeros(shape), np.zeros(shape, bool)
        value, has_value = np.zeros(shape), np.zeros(shape, bool)
        for j, pid in enumerate(ids):
            reports = self.cols.frame.products.get(pid)
            if reports is None:
                continue
            r = reports.rows
            present[r, j] = True
            energy[r, j], has_energy[r, j] = reports.energy.value, reports.energy.present
            col = reports.values.get(cm.metric.value)
            if col is not None:
                value[r, j], has_value[r, j] = col.value, col.present
        return present, energy, has_energy, value, has_value, ids

    def _product(self, cr, cm, rows, out: RuleScores, products) -> None:
        present, energy, has_energy, value, has_value, ids = (p[rows] if i < 5 else p for i, p in enumerate(products))
        order = np.argsort(np.where(present, -energy, np.inf), axis=1, kind="stable")  # (-energy, id), as sorted()
        count = present.sum(axis=1)
        k = np.minimum(count, cm.metric.top) if cm.metric.top else count
        pos = np.arange(order.shape[1])[None, :]
        chosen = pos < k[:, None]
        take = lambda a: np.take_along_axis(a, order, axis=1)  # noqa: E731
        missing = (chosen & ~take(has_value)).any(axis=1) | ((k > 1) & (chosen & ~take(has_energy)).any(axis=1))
        out.status[rows[missing]] = NOT_REPORTED
        entries = entries_for(cm, self.cols.sectors, ids, "product")
        sector = self.cols.sector[rows]
        one = ~missing & (k == 1)
        j = order[one, 0]
        self._value(cr, cm, entries, rows[one], value[one, j], entries.table[sector[one], j], out)
        many = ~missing & (k > 1)
        if many.any():
            self._weighted(cr, cm, entries, rows[many], take(value)[many], take(energy)[many], order[many],
                           chosen[many], sector[many], ids, out)

    def _weighted(self, cr, cm, entries, rows, x, w, order, chosen, sector, ids, out: RuleScores) -> None:
        """engine.scoring.arithmetic.weighted over the chosen products' linear shares, then points_of."""
        if cm.metric.method == "bands":  # the single evaluator decides what several products on bands mean
            self.unsafe[rows] = True
            return
        width = int(chosen.sum(axis=1).max())
        share, err = np.zeros((len(rows), width)), np.zeros(len(rows))
        for t in range(width):
            live = chosen[:, t]
            e = entries.table[sector, order[:, t]]
            lost = live & (e < 0)
            self.unsafe[rows[lost]] = True
            live &= ~lost
            s, s_err, _ = self._share(entries, x[live, t], e[live], cm.higher)
            share[live, t] = s
            err[live] = np.maximum(err[live], s_err)
            self.unsafe[rows[live][entries.narrow[e[live]]]] = True
        w = np.where(chosen, w, 0.0)[:, :width]
        total = w.sum(axis=1)
        mean = np.where(chosen[:, :width], share, 0.0).sum(axis=1) / chosen.sum(axis=1)
        s = np.where(total == 0, mean, (share * w).sum(axis=1) / np.where(total == 0, 1.0, total))
        full = float(cr.rule.points / self.cp.quantum)
        v = full * s
        bound = full * (err + (2 * width + 8) * UNIT) + 2 * UNIT * np.abs(v)
        out.status[rows] = SCORED
        out.points[rows] = round_safe(v, self.mode)
        near = unsafe(v, bound, self.mode)
        self.boundary += int(near.sum())
        for k in map(int, np.flatnonzero(near)):  # by a rounding jump: in Decimal, as evaluate does
            parts = []
            for t in map(int, np.flatnonzero(chosen[k])):
                row = entries.entries[entries.table[sector[k], order[k, t]]].row
                parts.append((row_share(_decimal(x[k, t]), row, cm.higher), _decimal(w[k, t])))
            out.points[rows[k]] = quanta(points_of(cr.rule.points, weighted(parts), self.cp.quantum, self.mode),
                                         self.cp.quantum)
        code = np.zeros(len(rows), dtype=np.int64)
        for t in range(width):
            code = code * (len(ids) + 1) + np.where(chosen[:, t], order[:, t] + 1, 0)
        names, back = np.unique(code, return_inverse=True)
        labels = [self.scopes("product:" + "+".join(ids[j - 1] for j in _digits(c, len(ids) + 1, width) if j))
                  for c in names]
        out.scope[rows] = np.array(labels, dtype=np.int64)[back]

    # -- cases: counted, then capped or scored as a number ------------------------------------------------
    def _cases(self, cr, cm, rows, out: RuleScores) -> None:
        m = cm.metric
        total, documented = self.cols.frame.cases.get(m.input, (np.full(self.n, -1), np.full(self.n, -1)))
        counted = (documented if m.requires_evidence else total)[rows]
        out.status[rows[counted < 0]] = NOT_REPORTED
        rows, counted = rows[counted >= 0], counted[counted >= 0]
        out.status[rows] = SCORED
        out.counted[rows] = counted
        if m.method == "count":
            out.scope[rows] = self.scopes("general")
            for c in np.unique(counted):
                pts = min(m.per_case * int(c), cr.rule.points).quantize(self.cp.quantum, rounding=self.mode)
                out.points[rows[counted == c]] = quanta(pts, self.cp.quantum)
            return
        entries = entries_for(cm, self.cols.sectors, (), "none")
        e = entries.table[self.cols.sector[rows], 0]
        self.unsafe[rows[e < 0]] = True
        out.scope[rows] = np.where(e >= 0, entries.scope(self.scopes)[e], -1)
        for j in np.unique(e[e >= 0]):
            row = entries.entries[j].row
            for c in np.unique(counted[e == j]):
                x = Decimal(int(c))
                if m.method == "bands":
                    pts = band_points(x, row.bands)[0].quantize(self.cp.quantum, rounding=self.mode)
                else:
                    pts = points_of(cr.rule.points, linear_share(x, row.baseline, row.leading, cm.higher),
                                    self.cp.quantum, self.mode)
                out.points[rows[(e == j) & (counted == c)]] = quanta(pts, self.cp.quantum)


def _required(value: Decimal | None) -> Decimal:
    assert value is not None  # the schema requires baseline and leading on a linear row
    return value


def _decimal(x: float) -> Decimal:
    """The number intake scores for a row whose float spells it exactly (the frame sends the others one by one)."""
    return Decimal(repr(float(x)))


def _digits(code: int, base: int, width: int) -> list[int]:
    out = []
    for _ in range(width):
        code, d = divmod(int(code), base)
        out.append(d)
    return out[::-1]
