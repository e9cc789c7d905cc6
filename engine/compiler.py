"""Compile a validated policy once into lookup tables and closures that evaluate many submissions."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Callable, NamedTuple

from .arithmetic import MODES
from .condition import Test, compile_condition, fields_read, getter
from .model import Award, BonusItem, Gate, Metric, Policy, Rule, ThresholdRow, Tier
from .submission import Submission
from .trace import GateResult

RowKey = tuple[str | None, str | None, str | None]  # sector, product, tier


class Entry(NamedTuple):
    """A threshold row and the scope it is reported under, e.g. "sector:cement tier:ge10000"."""

    row: ThresholdRow
    scope: str


@dataclass(frozen=True, slots=True)
class CompiledMetric:
    metric: Metric
    when: Test | None
    rows: dict[RowKey, Entry]
    products: frozenset[str]  # products with a row (product metrics)
    tier_value: Callable[[Submission], Decimal | None] | None
    higher: bool

    def tier_of(self, submission: Submission) -> tuple[Tier | None, Decimal | None]:
        """The size tier the submission falls in, and the value that chose it."""
        value = self.tier_value(submission)  # type: ignore[misc]
        if value is None:
            return None, None
        for tier in self.metric.tier.tiers:  # type: ignore[union-attr]
            if value >= tier.min and (tier.max is None or value < tier.max):
                return tier, value
        return None, value

    def entry(self, sector: str, product: str | None, tier: str | None) -> Entry | None:
        """The sector's row if it has one, else the general rules' row."""
        return self.rows.get((sector, product, tier)) or self.rows.get((None, product, tier))


@dataclass(frozen=True, slots=True)
class CompiledRule:
    rule: Rule
    applies: Test | None
    applies_fields: tuple[str, ...]
    metrics: tuple[CompiledMetric, ...]


@dataclass(frozen=True, slots=True)
class CompiledGate:
    gate: Gate
    test: Test
    fields: tuple[str, ...]
    results: dict  # True / False / None -> its GateResult, built once rather than per evaluation


@dataclass(frozen=True, slots=True)
class CompiledAward:
    award: Award
    test: Test


@dataclass(frozen=True, slots=True)
class CompiledBonusItem:
    item: BonusItem
    awards: tuple[CompiledAward, ...]
    fields: tuple[str, ...]


@dataclass(frozen=True, slots=True, eq=False)
class CompiledPolicy:
    policy: Policy
    gates: tuple[CompiledGate, ...]
    rules: tuple[CompiledRule, ...]
    bonus: tuple[CompiledBonusItem, ...]
    quantum: Decimal
    rounding: str  # decimal rounding constant
    sector_codes: dict[str, tuple[str, ...]]  # GB/T 4754 prefixes per sector ("361x" → "361")
    pillar_ids: tuple[str, ...]
    units: dict[str, str]  # input id -> unit
    labels: dict[str, object]  # rule id / gate id / pillar id -> Label
    gate_tests: tuple = ()  # per gate, its test: what the built-in backend calls
    gate_tables: tuple = ()  # per gate, its results table (CompiledGate.results)
    applicable_points: Decimal = Decimal(0)  # the rules' full points summed in policy order: all rules apply
    rule_plans: tuple = ()  # per rule, what assemble reads: (compiled rule, id, indicator, pillar, points, evidence required)
    step_memo: dict = field(default_factory=dict)  # rendered gate steps by (gate, status, values): explain.steps
    plausible: dict = field(default_factory=dict)  # input id -> (plausible min, max): review flags, never points


def compile_policy(policy: Policy) -> CompiledPolicy:
    quantum, rounding = Decimal(1).scaleb(-policy.rounding_places), MODES[policy.rounding_mode]
    rules = tuple(_compile_rule(rule) for rule in policy.rules)
    gates = tuple(CompiledGate(g, compile_condition(g.pass_when), fields_read(g.pass_when),
                               {True: GateResult(g.id, g.kind, "passed"), False: GateResult(g.id, g.kind, "failed"),
                                None: GateResult(g.id, g.kind, "undetermined")}) for g in policy.gates)
    bonus = ()
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
        gate_tests=tuple(g.test for g in gates), gate_tables=tuple(g.results for g in gates),
        applicable_points=sum((r.points for r in policy.rules), Decimal(0)),
        rule_plans=tuple((cr, cr.rule.id, cr.rule.indicator, cr.rule.pillar, cr.rule.points, cr.rule.evidence == "required")
                         for cr in rules),
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
