"""Apply a compiled policy to a submission: gates, rules, subtotals, bonus, decision, trace.

The trace records what to render, not text: reading it renders the steps (engine.explain).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from . import explain
from .arithmetic import ZERO, rescale
from .cohort.plausibility import SectorBest, flags_for
from .compiler import CompiledPolicy
from .rulescore import Scored, flags_of
from .submission import GENERAL, Submission
from .trace import GateResult, Outcome, RuleResult, Trace


@dataclass(frozen=True, slots=True)
class RegionalBaseline:
    """The mean score of a cohort (existing national green factories of a region) in a dated snapshot."""

    snapshot: str
    scope: str  # e.g. region:320000, or region:320000 sector:cement
    size: int
    mean: Decimal


def evaluate(cp: CompiledPolicy, sub: Submission, *, trace: bool = True,
             baseline: RegionalBaseline | None = None, sector_best: SectorBest | None = None) -> Outcome:
    """The built-in backend: match gates and rules in Python, then assemble the outcome."""
    return assemble(cp, sub, [cg.test(sub) for cg in cp.gates], [score(sub) for score in cp.scorers],
                    trace=trace, baseline=baseline, sector_best=sector_best)


def assemble(cp: CompiledPolicy, sub: Submission, gate_results: list[bool | None], scored: list[Scored], *,
             trace: bool = True, baseline: RegionalBaseline | None = None,
             sector_best: SectorBest | None = None) -> Outcome:
    """Totals, bonus, decision and trace from each gate's result and each rule's score, in policy order.

    Every backend ends here, so that they differ only in how they match. The trace keeps what was
    computed here and renders the steps when it is first read. Plausibility flags (a value outside the policy's
    plausible range, or far better than the sector's best existing factory) are added after the points: review
    only, never a number.
    """
    gates = tuple(cg.results[result] for cg, result in zip(cp.gates, gate_results))

    rules = []
    pillars = dict.fromkeys(cp.pillar_ids, ZERO)
    earned = applicable = ZERO
    count_not_applicable = cp.policy.not_applicable == "zero"
    best = sector_best if sector_best is not None and sector_best.sector == sub.sector else None
    check = bool(cp.plausible) or best is not None
    for cr, found in zip(cp.rules, scored):
        rule = cr.rule
        status, points = found.status, found.points
        flags = flags_of(cr, found, sub) if rule.evidence == "required" and status == "scored" else ()
        if check and status == "scored" and found.x is not None and found.metric.metric.basis == "input":
            flags += flags_for(cp.plausible, cp.policy.plausibility_margin, found.metric.metric.input, found.x,
                               found.metric.higher, best)
        rules.append(RuleResult(rule.id, rule.indicator, rule.pillar, status,
                                found.metric.metric.id if found.metric else None, found.scope, points, rule.points, flags))
        pillars[rule.pillar] += points
        earned += points
        if count_not_applicable or status != "not_applicable":
            applicable += rule.points

    rescaled = cp.policy.not_applicable == "rescale" and applicable != cp.policy.total_points
    total = rescale(earned, applicable, cp.policy.total_points, cp.quantum, cp.rounding) if rescaled else earned
    won, raw_bonus, bonus = _bonus(cp, sub)
    score = total + bonus
    flags = [f"{f}:{r.id}" for r in rules for f in r.flags]
    if sub.sector != GENERAL and not any(sub.industry_code.startswith(c) for c in cp.sector_codes.get(sub.sector, ())):
        flags.append("industry_code_mismatch")
    eligible, meets, decision = _decision(cp, gates, score, baseline)
    record = None
    if trace:
        record = Trace(explain.steps, (cp, sub, gates, scored, rules, pillars, earned, applicable, total, rescaled,
                                       won, raw_bonus, bonus, eligible, score, baseline, meets, best))
    return Outcome(cp.policy.ref, cp.policy.digest, sub.digest, sub.sector, gates, tuple(rules),
                   tuple(pillars.items()), earned, applicable, total, bonus, score, decision, tuple(flags), record)


def _bonus(cp: CompiledPolicy, sub: Submission) -> tuple[list, Decimal, Decimal]:
    """The award each bonus item won (or None), their sum, and the sum capped and rounded."""
    if cp.policy.bonus is None:
        return [], ZERO, ZERO
    won = [next((ca.award for ca in cb.awards if ca.test(sub) is True), None) for cb in cp.bonus]
    raw = sum((award.points for award in won if award is not None), ZERO)
    return won, raw, min(raw, cp.policy.bonus.max_points).quantize(cp.quantum, rounding=cp.rounding)


def _decision(cp: CompiledPolicy, gates: tuple[GateResult, ...], score: Decimal,
              baseline: RegionalBaseline | None) -> tuple:
    eligible = True
    for g in gates:
        if g.status == "failed":
            eligible = False
            break
        if g.status == "undetermined":
            eligible = None
    meets = None
    rb = cp.policy.decision.regional_baseline
    if rb is not None and baseline is not None:
        meets = score >= baseline.mean if rb.op == "ge" else score > baseline.mean
    recommended = False if eligible is False or meets is False else (True if eligible and meets else None)
    described = None if baseline is None else {"snapshot": baseline.snapshot, "scope": baseline.scope,
                                              "size": baseline.size, "mean": baseline.mean}
    return eligible, meets, (("eligible", eligible), ("meets_regional_baseline", meets), ("recommended", recommended),
                             ("baseline", described))
