"""Apply a compiled policy to a submission: gates, rules, subtotals, bonus, decision, trace.

The trace records what to render, not text: reading it renders the steps (engine.explain).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from . import explain
from .arithmetic import ZERO, rescale
from .compiler import CompiledPolicy
from .rulescore import Scored, flags_of, score_rule
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
             baseline: RegionalBaseline | None = None) -> Outcome:
    """The built-in backend: match gates and rules in Python, then assemble the outcome."""
    return assemble(cp, sub, [cg.test(sub) for cg in cp.gates], [score_rule(cp, cr, sub) for cr in cp.rules],
                    trace=trace, baseline=baseline)


def assemble(cp: CompiledPolicy, sub: Submission, gate_results: list[bool | None], scored: list[Scored], *,
             trace: bool = True, baseline: RegionalBaseline | None = None) -> Outcome:
    """Totals, bonus, decision and trace from each gate's result and each rule's score, in policy order.

    Every backend ends here, so that they differ only in how they match.
    """
    records: list | None = [] if trace else None

    gates = []
    for cg, result in zip(cp.gates, gate_results):
        status = "undetermined" if result is None else "passed" if result else "failed"
        gates.append(GateResult(cg.gate.id, cg.gate.kind, status))
        if records is not None:
            records.append((explain.gate_step, (cg, sub, status)))

    rules = []
    pillars = dict.fromkeys(cp.pillar_ids, ZERO)
    earned = applicable = ZERO
    count_not_applicable = cp.policy.not_applicable == "zero"
    for cr, found in zip(cp.rules, scored):
        flags = flags_of(cr, found, sub)
        rule = cr.rule
        rules.append(RuleResult(rule.id, rule.indicator, rule.pillar, found.status,
                                found.metric.metric.id if found.metric else None, found.scope, found.points,
                                rule.points, flags))
        if records is not None:
            records.append((explain.rule_step, (cp, cr, sub, found, flags)))
        pillars[rule.pillar] += found.points
        earned += found.points
        if count_not_applicable or found.status != "not_applicable":
            applicable += rule.points

    if records is not None:
        records += [(explain.pillar_step, (p, pillars[p.id])) for p in cp.policy.pillars]
    rescaled = cp.policy.not_applicable == "rescale" and applicable != cp.policy.total_points
    total = rescale(earned, applicable, cp.policy.total_points, cp.quantum, cp.rounding) if rescaled else earned
    if records is not None:
        records.append((explain.total_step, (cp, earned, applicable, total, rescaled)))
    bonus = _bonus(cp, sub, records)
    score = total + bonus
    flags = [f"{f}:{r.id}" for r in rules for f in r.flags]
    if sub.sector != GENERAL and not any(sub.industry_code.startswith(c) for c in cp.sector_codes.get(sub.sector, ())):
        flags.append("industry_code_mismatch")
    decision = _decision(cp, gates, score, baseline, records)
    return Outcome(cp.policy.ref, cp.policy.digest, sub.digest, sub.sector, tuple(gates), tuple(rules),
                   tuple(pillars.items()), earned, applicable, total, bonus, score, decision, tuple(flags),
                   Trace(records) if records is not None else None)


def _bonus(cp: CompiledPolicy, sub: Submission, records) -> Decimal:
    if cp.policy.bonus is None:
        return ZERO
    raw = ZERO
    for cb in cp.bonus:
        won = next((ca.award for ca in cb.awards if ca.test(sub) is True), None)
        if won is not None:
            raw += won.points
        if records is not None:
            records.append((explain.bonus_item_step, (cb, sub, won)))
    cap = cp.policy.bonus.max_points
    bonus = min(raw, cap).quantize(cp.quantum, rounding=cp.rounding)
    if records is not None:
        records.append((explain.bonus_total_step, (raw, cap, bonus)))
    return bonus


def _decision(cp: CompiledPolicy, gates: list[GateResult], score: Decimal, baseline: RegionalBaseline | None,
              records) -> tuple:
    failed = [g.id for g in gates if g.status == "failed"]
    unknown = [g.id for g in gates if g.status == "undetermined"]
    eligible = False if failed else (None if unknown else True)
    if records is not None:
        records.append((explain.eligible_step, (eligible, failed, unknown)))
    meets = None
    rb = cp.policy.decision.regional_baseline
    if rb is not None:
        if baseline is not None:
            meets = score >= baseline.mean if rb.op == "ge" else score > baseline.mean
        if records is not None:
            records.append((explain.baseline_step, (rb.op, score, baseline, meets)))
    recommended = False if eligible is False or meets is False else (True if eligible and meets else None)
    described = None if baseline is None else {"snapshot": baseline.snapshot, "scope": baseline.scope,
                                              "size": baseline.size, "mean": baseline.mean}
    return (("eligible", eligible), ("meets_regional_baseline", meets), ("recommended", recommended),
            ("baseline", described))
