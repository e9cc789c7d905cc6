"""Score one rule (an indicator or a part): choose the metric and thresholds, compute the points.

Numbers only: engine.explain turns a Scored record into a trace step when a trace is read.
"""
from __future__ import annotations

from decimal import Decimal

from .arithmetic import ZERO, band_points, linear_share, points_of, weighted
from .compiler import CompiledMetric, CompiledPolicy, CompiledRule
from .submission import Submission


class Scored:
    """What scoring one rule found: enough to explain it later."""

    __slots__ = ("status", "metric", "scope", "share", "points", "x", "entry", "band", "tier", "tier_value",
                 "products", "parts", "missing", "counted", "total_cases")

    def __init__(self, status: str, metric: CompiledMetric | None = None, scope: str | None = None,
                 points: Decimal = ZERO):
        self.status, self.metric, self.scope, self.points = status, metric, scope, points
        self.share = self.x = self.entry = self.band = self.tier = self.tier_value = None
        self.products = self.parts = self.missing = ()
        self.counted = self.total_cases = 0


def score_rule(cp: CompiledPolicy, cr: CompiledRule, sub: Submission) -> Scored:
    if cr.applies is not None and cr.applies(sub) is False:
        return Scored("not_applicable")
    for cm in cr.metrics:
        basis = cm.metric.basis
        if basis == "product" and not _any_product(cm.products, sub):
            continue
        if cm.when is not None and cm.when(sub) is not True:
            continue
        if basis == "input":
            return _score_input(cp, cr, cm, sub)
        if basis == "product":
            return _score_products(cp, cr, cm, sub)
        return _score_cases(cp, cr, cm, sub)
    return Scored("no_metric")


def _any_product(ids: frozenset[str], sub: Submission) -> bool:
    for p in sub.products:  # a loop: cheaper than any() over a generator for a plant's few products
        if p.id in ids:
            return True
    return False


def _score_input(cp: CompiledPolicy, cr: CompiledRule, cm: CompiledMetric, sub: Submission) -> Scored:
    x = sub.data.get(cm.metric.input)
    tier_id = None
    if cm.metric.tier is not None:
        tier, tier_value = cm.tier_of(sub)
        if x is None or tier is None:
            found = Scored("not_reported", cm)
            found.x, found.tier_value = x, tier_value
            return found
        tier_id = tier.id
    elif x is None:
        return Scored("not_reported", cm)
    found = _score_value(cp, cr, cm, x, cm.entry(sub.sector, None, tier_id))
    if tier_id is not None:
        found.tier, found.tier_value = tier, tier_value
    return found


def _score_value(cp: CompiledPolicy, cr: CompiledRule, cm: CompiledMetric, x: Decimal, entry) -> Scored:
    row = entry.row
    found = Scored("scored", cm, entry.scope)
    found.x, found.entry = x, entry
    if cm.metric.method == "bands":
        band_pts, found.band = band_points(x, row.bands)
        found.points = band_pts.quantize(cp.quantum, rounding=cp.rounding)
    else:
        found.share = linear_share(x, row.baseline, row.leading, cm.higher)
        found.points = points_of(cr.rule.points, found.share, cp.quantum, cp.rounding)
    return found


def _score_products(cp: CompiledPolicy, cr: CompiledRule, cm: CompiledMetric, sub: Submission,
                    entries: dict | None = None) -> Scored:
    """entries: each product's threshold row when another backend chose them; else the sector's or the general one."""
    m = cm.metric
    candidates = [p for p in sub.products if p.id in cm.products]
    if len(candidates) > 1:  # by energy use, largest first, then by id
        candidates.sort(key=lambda p: (-(p.energy_use_tce or ZERO), p.id))
    chosen = tuple(candidates[: m.top] if m.top else candidates)
    if len(chosen) == 1:
        missing = () if chosen[0].values.get(m.value) is not None else (chosen[0].id,)
    else:
        missing = tuple(p.id for p in chosen if p.values.get(m.value) is None or p.energy_use_tce is None)
    if missing:
        found = Scored("not_reported", cm)
        found.products, found.missing = chosen, missing
        return found
    if len(chosen) == 1:
        p = chosen[0]
        entry = cm.entry(sub.sector, p.id, None) if entries is None else entries[p.id]
        found = _score_value(cp, cr, cm, p.values[m.value], entry)
        found.products = chosen
        return found
    parts = []
    for p in chosen:
        entry = cm.entry(sub.sector, p.id, None) if entries is None else entries[p.id]
        parts.append((p, entry, linear_share(p.values[m.value], entry.row.baseline, entry.row.leading, cm.higher)))
    found = Scored("scored", cm, "product:" + "+".join(p.id for p in chosen))
    found.products, found.parts = chosen, tuple(parts)
    found.share = weighted([(s, p.energy_use_tce) for p, _, s in parts])
    found.points = points_of(cr.rule.points, found.share, cp.quantum, cp.rounding)
    return found


def _score_cases(cp: CompiledPolicy, cr: CompiledRule, cm: CompiledMetric, sub: Submission,
                 entry=None) -> Scored:
    """entry: the threshold row when another backend chose it; else the sector's or the general one."""
    m = cm.metric
    cases = sub.cases.get(m.input)
    if cases is None:
        return Scored("not_reported", cm)
    counted = sum(1 for c in cases if c.evidence or not m.requires_evidence)
    if m.method != "count":  # a count of cases scored linearly or by bands
        if entry is None:
            entry = cm.entry(sub.sector, None, None)
        found = _score_value(cp, cr, cm, Decimal(counted), entry)
    else:
        found = Scored("scored", cm, "general",
                       min(m.per_case * counted, cr.rule.points).quantize(cp.quantum, rounding=cp.rounding))
    found.counted, found.total_cases = counted, len(cases)
    return found


def flags_of(cr: CompiledRule, found: Scored, sub: Submission) -> tuple[str, ...]:
    """Review flags: data reported without the evidence the policy requires."""
    rule = cr.rule
    if rule.evidence != "required" or found.status != "scored":
        return ()
    if sub.evidence.get(rule.id) or sub.evidence.get(rule.indicator):
        return ()
    if found.metric is not None and found.metric.metric.basis == "cases" and found.counted:
        return ()  # the counted cases carry their own documents
    return ("evidence_missing",)
