"""Score one rule (an indicator or a part): choose the metric and thresholds, compute the points.

Numbers only: engine.scoring.explain turns a Scored record into a trace step when a trace is read.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ..policy.model import Band, ThresholdRow, Tier
from ..submission.record import ProductReport, Submission
from .arithmetic import ZERO, band_points, linear_share, points_of, weighted
from .compiled import CompiledMetric, CompiledPolicy, CompiledRule, Entry

EVIDENCE_MISSING = "evidence_missing"  # a scored rule whose policy requires evidence, sent without any


@dataclass(slots=True, eq=False)
class Scored:
    """What scoring one rule found: enough to explain it later. Filled in while the rule is scored, then only read."""

    status: str  # scored | not_reported | not_applicable | no_metric
    metric: CompiledMetric | None = None
    scope: str | None = None  # which thresholds applied: general, sector:x, product:a+b, tier:t
    points: Decimal = ZERO
    share: Decimal | None = None  # of full points, 0-1: linear and weighted rules
    x: Decimal | None = None  # the value scored
    entry: Entry | None = None  # the threshold row
    band: Band | None = None
    tier: Tier | None = None
    tier_value: Decimal | None = None
    products: tuple[ProductReport, ...] = ()
    parts: tuple[tuple[ProductReport, Entry, Decimal], ...] = ()  # each product, its row, its share
    missing: tuple[str, ...] = ()  # products whose value or energy use is not reported
    counted: int = 0  # qualifying cases
    total_cases: int = 0


def score_rule(cp: CompiledPolicy, cr: CompiledRule, sub: Submission) -> Scored:
    if cr.applies is not None and cr.applies.test(sub) is False:
        return Scored("not_applicable")
    for cm in cr.metrics:
        basis = cm.metric.basis
        if basis == "product" and not _any_product(cm.products, sub):
            continue
        if cm.when is not None and cm.when.test(sub) is not True:
            continue
        if basis == "input":
            return _score_input(cp, cr, cm, sub)
        if basis == "product":
            return score_products(cp, cr, cm, sub)
        return score_cases(cp, cr, cm, sub)
    return Scored("no_metric")


def _any_product(ids: frozenset[str], sub: Submission) -> bool:
    for p in sub.products:  # a loop: cheaper than any() over a generator for a plant's few products
        if p.id in ids:
            return True
    return False


def _score_input(cp: CompiledPolicy, cr: CompiledRule, cm: CompiledMetric, sub: Submission) -> Scored:
    assert cm.metric.input is not None  # the schema requires input on an input metric
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
    entry = cm.entry(sub.sector, None, tier_id)
    assert entry is not None  # the policy check requires a general row or one per sector (and tier)
    found = score_value(cp, cr, cm, x, entry)
    if tier_id is not None:
        found.tier, found.tier_value = tier, tier_value
    return found


def score_value(cp: CompiledPolicy, cr: CompiledRule, cm: CompiledMetric, x: Decimal, entry: Entry) -> Scored:
    row = entry.row
    found = Scored("scored", cm, entry.scope)
    found.x, found.entry = x, entry
    if cm.metric.method == "bands":
        band_pts, found.band = band_points(x, row.bands)
        found.points = band_pts.quantize(cp.quantum, rounding=cp.rounding)
    else:
        found.share = row_share(x, row, cm.higher)
        found.points = points_of(cr.rule.points, found.share, cp.quantum, cp.rounding)
    return found


def score_products(cp: CompiledPolicy, cr: CompiledRule, cm: CompiledMetric, sub: Submission,
                    entries: dict[str, Entry] | None = None) -> Scored:
    """entries: each product's threshold row when another backend chose them; else the sector's or the general one."""
    m = cm.metric
    value = m.value
    assert value is not None  # the schema requires value on a product metric
    candidates = [p for p in sub.products if p.id in cm.products]
    if len(candidates) > 1:  # by energy use, largest first, then by id
        candidates.sort(key=lambda p: (-(p.energy_use_tce or ZERO), p.id))
    chosen = tuple(candidates[: m.top] if m.top else candidates)
    missing: tuple[str, ...]
    if len(chosen) == 1:
        missing = () if chosen[0].values.get(value) is not None else (chosen[0].id,)
    else:
        missing = tuple(p.id for p in chosen if p.values.get(value) is None or p.energy_use_tce is None)
    if missing:
        found = Scored("not_reported", cm)
        found.products, found.missing = chosen, missing
        return found
    if len(chosen) == 1:
        p = chosen[0]
        found = score_value(cp, cr, cm, p.values[value], _product_entry(cm, sub, p, entries))
        found.products = chosen
        return found
    parts = []
    weights = []
    for p in chosen:
        entry = _product_entry(cm, sub, p, entries)
        share = row_share(p.values[value], entry.row, cm.higher)
        parts.append((p, entry, share))
        assert p.energy_use_tce is not None  # checked above: a product without it is missing
        weights.append((share, p.energy_use_tce))
    found = Scored("scored", cm, "product:" + "+".join(p.id for p in chosen))
    found.products, found.parts = chosen, tuple(parts)
    found.share = weighted(weights)
    found.points = points_of(cr.rule.points, found.share, cp.quantum, cp.rounding)
    return found


def row_share(x: Decimal, row: ThresholdRow, higher: bool) -> Decimal:
    """The share of full points x earns on a linear row."""
    assert row.baseline is not None and row.leading is not None  # the schema requires both on a linear row
    return linear_share(x, row.baseline, row.leading, higher)


def _product_entry(cm: CompiledMetric, sub: Submission, p: ProductReport, entries: dict[str, Entry] | None) -> Entry:
    entry = cm.entry(sub.sector, p.id, None) if entries is None else entries[p.id]
    assert entry is not None  # the policy check requires a row for every product a metric scores
    return entry


def score_cases(cp: CompiledPolicy, cr: CompiledRule, cm: CompiledMetric, sub: Submission,
                 entry: Entry | None = None) -> Scored:
    """entry: the threshold row when another backend chose it; else the sector's or the general one."""
    m = cm.metric
    assert m.input is not None  # the schema requires input on a cases metric
    cases = sub.cases.get(m.input)
    if cases is None:
        return Scored("not_reported", cm)
    counted = sum(1 for c in cases if c.evidence or not m.requires_evidence)
    if m.method != "count":  # a count of cases scored linearly or by bands
        if entry is None:
            entry = cm.entry(sub.sector, None, None)
        assert entry is not None  # a linear or banded metric has a general row or one per sector
        found = score_value(cp, cr, cm, Decimal(counted), entry)
    else:
        assert m.per_case is not None  # the schema requires per_case on a count
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
    return (EVIDENCE_MISSING,)
