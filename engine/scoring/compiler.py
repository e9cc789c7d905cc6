"""Compile a validated policy once into lookup tables and compiled conditions that evaluate many submissions."""
from __future__ import annotations

from decimal import Decimal

from ..policy.model import Policy, Rule, ThresholdRow
from .arithmetic import MODES
from .compiled import (
    CompiledAward,
    CompiledBonusItem,
    CompiledGate,
    CompiledMetric,
    CompiledPolicy,
    CompiledRule,
    Entry,
    RulePlan,
)
from .condition import compile_condition, fields_read, getter
from .trace import GateResult


def compile_policy(policy: Policy) -> CompiledPolicy:
    quantum, rounding = Decimal(1).scaleb(-policy.rounding_places), MODES[policy.rounding_mode]
    rules = tuple(_compile_rule(rule) for rule in policy.rules)
    gates = tuple(CompiledGate(g, compile_condition(g.pass_when), fields_read(g.pass_when),
                               {True: GateResult(g.id, g.kind, "passed"), False: GateResult(g.id, g.kind, "failed"),
                                None: GateResult(g.id, g.kind, "undetermined")}) for g in policy.gates)
    bonus: tuple[CompiledBonusItem, ...] = ()
    if policy.bonus:
        bonus = tuple(
            CompiledBonusItem(item, tuple(CompiledAward(a, compile_condition(a.when)) for a in item.awards),
                              tuple(dict.fromkeys(f for a in item.awards for f in fields_read(a.when))))
            for item in policy.bonus.items)
    labels: dict[str, object] = {r.id: r.label for r in policy.rules}
    labels.update({g.id: g.label for g in policy.gates})
    labels.update({p.id: p.label for p in policy.pillars})
    return CompiledPolicy(
        policy=policy, gates=gates, rules=rules, bonus=bonus,
        quantum=quantum, rounding=rounding,
        sector_codes={s.id: tuple(c.rstrip("x") for c in s.codes) for s in policy.sectors},
        pillar_ids=tuple(p.id for p in policy.pillars),
        units={i.id: i.unit for i in policy.inputs}, labels=labels,
        gate_tests=tuple(g.condition.test for g in gates), gate_tables=tuple(g.results for g in gates),
        applicable_points=sum((r.points for r in policy.rules), Decimal(0)),
        rule_plans=tuple(RulePlan(cr, cr.rule.id, cr.rule.indicator, cr.rule.pillar, cr.rule.points,
                                  cr.rule.evidence == "required") for cr in rules),
        plausible={i.id: (i.plausible_min, i.plausible_max) for i in policy.inputs
                   if i.plausible_min is not None or i.plausible_max is not None})


def _compile_rule(rule: Rule) -> CompiledRule:
    metrics = []
    for metric in rule.metrics:
        higher = metric.direction != "lower"
        rows = {(row.sector, row.product, row.tier): Entry(row, _scope(row)) for row in metric.thresholds}
        tier_value = getter(metric.tier.by) if metric.tier else None
        metrics.append(CompiledMetric(
            metric=metric, when=compile_condition(metric.when) if metric.when else None, rows=rows,
            products=frozenset(row.product for row in metric.thresholds if row.product),
            tier_value=tier_value, higher=higher))
    applies = compile_condition(rule.applies_when) if rule.applies_when else None
    return CompiledRule(rule, applies, fields_read(rule.applies_when), tuple(metrics))


def _scope(row: ThresholdRow) -> str:
    parts = [f"product:{row.product}"] if row.product else []
    parts.append(f"sector:{row.sector}" if row.sector else "general")
    if row.tier:
        parts.append(f"tier:{row.tier}")
    return " ".join(parts) if not row.product or row.sector else parts[0]
