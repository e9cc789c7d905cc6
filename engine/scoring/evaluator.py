"""Apply a compiled policy to a submission: gates, rules, subtotals, bonus, decision, trace.

The trace records what to render, not text: reading it renders the steps (engine.scoring.explain).
"""
from __future__ import annotations

from decimal import Decimal

from . import explain
from ..submission.record import GENERAL, Submission
from .arithmetic import ZERO, rescale
from .compiled import CompiledPolicy
from .context import RegionalBaseline, SectorBest, flags_for
from .rules import Scored, flags_of, score_rule
from .trace import Outcome, RuleResult, Trace


def evaluate(cp: CompiledPolicy, sub: Submission, *, trace: bool = True,
             baseline: RegionalBaseline | None = None, sector_best: SectorBest | None = None) -> Outcome:
    """The built-in backend: match gates and rules in Python, then assemble the outcome."""
    return assemble(cp, sub, [test(sub) for test in cp.gate_tests], [score_rule(cp, cr, sub) for cr in cp.rules],
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
    gates = tuple(table[result] for table, result in zip(cp.gate_tables, gate_results))

    rules = []
    review = []  # the outcome's flags, flag:rule, in policy order
    pillars = dict.fromkeys(cp.pillar_ids, ZERO)
    earned = ZERO
    all_apply = True
    evidence = sub.evidence
    best = sector_best if sector_best is not None and sector_best.sector == sub.sector else None
    check = bool(cp.plausible) or best is not None
    for plan, found in zip(cp.rule_plans, scored):
        cr, rule_id, indicator, pillar, full = plan.compiled, plan.id, plan.indicator, plan.pillar, plan.points
        status, points, metric = found.status, found.points, found.metric
        flags: tuple[str, ...] = ()
        if status == "scored":
            if plan.needs_evidence and not (evidence.get(rule_id) or evidence.get(indicator)):
                flags = flags_of(cr, found, sub)
            if check and found.x is not None and metric is not None and metric.metric.basis == "input":
                name = metric.metric.input
                assert name is not None  # the schema requires input on an input metric
                flags += flags_for(cp.plausible, cp.policy.plausibility_margin, name, found.x, metric.higher, best)
            if flags:
                review += [f"{f}:{rule_id}" for f in flags]
        elif status == "not_applicable":
            all_apply = False
        rules.append(RuleResult(rule_id, indicator, pillar, status, metric.metric.id if metric else None,
                                found.scope, points, full, flags))
        pillars[pillar] += points
        earned += points
    applicable = cp.applicable_points
    if not all_apply and cp.policy.not_applicable != "zero":  # not-applicable rules count only under "zero"
        applicable = sum((r.max_points for r in rules if r.status != "not_applicable"), ZERO)

    rescaled = cp.policy.not_applicable == "rescale" and applicable != cp.policy.total_points
    total = rescale(earned, applicable, cp.policy.total_points, cp.quantum, cp.rounding) if rescaled else earned
    won, raw_bonus, bonus = _bonus(cp, sub)
    score = total + bonus
    if sub.sector != GENERAL and not sub.industry_code.startswith(cp.sector_codes.get(sub.sector, ())):
        review.append("industry_code_mismatch")
    eligible, meets, decision = _decision(cp, gate_results, score, baseline)
    results = tuple(rules)
    record = None
    if trace:
        record = Trace(explain.steps, explain.Computed(
            cp=cp, sub=sub, gates=gates, scored=scored, rules=results, pillars=pillars, earned=earned,
            applicable=applicable, total=total, rescaled=rescaled, won=won, raw_bonus=raw_bonus, bonus=bonus,
            eligible=eligible, score=score, baseline=baseline, meets=meets, sector_best=best))
    return Outcome(cp.policy.ref, cp.policy.digest, sub.digest, sub.sector, gates, results,
                   tuple(pillars.items()), earned, applicable, total, bonus, score, decision, tuple(review), record)


def _bonus(cp: CompiledPolicy, sub: Submission) -> tuple[list, Decimal, Decimal]:
    """The award each bonus item won (or None), their sum, and the sum capped and rounded."""
    if cp.policy.bonus is None:
        return [], ZERO, ZERO
    won = [next((ca.award for ca in cb.awards if ca.condition.test(sub) is True), None) for cb in cp.bonus]
    raw = sum((award.points for award in won if award is not None), ZERO)
    return won, raw, min(raw, cp.policy.bonus.max_points).quantize(cp.quantum, rounding=cp.rounding)


def _decision(cp: CompiledPolicy, gate_results: list[bool | None], score: Decimal,
              baseline: RegionalBaseline | None) -> tuple:
    """Eligible unless a gate failed; undetermined (None) while a gate is; and the comparison with the baseline."""
    eligible = False if False in gate_results else None if None in gate_results else True
    meets = None
    rb = cp.policy.decision.regional_baseline
    if rb is not None and baseline is not None:
        meets = score >= baseline.mean if rb.op == "ge" else score > baseline.mean
    recommended = False if eligible is False or meets is False else (True if eligible and meets else None)
    described = None if baseline is None else {"snapshot": baseline.snapshot, "scope": baseline.scope,
                                              "size": baseline.size, "mean": baseline.mean}
    return eligible, meets, (("eligible", eligible), ("meets_regional_baseline", meets), ("recommended", recommended),
                             ("baseline", described))
