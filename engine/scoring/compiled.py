"""The compiled policy's types: per-sector threshold tables and compiled conditions (each its form and the test
derived from it), built once by engine.scoring.compiler.compile_policy and read by every scorer and backend."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Callable, NamedTuple

from ..policy.model import Award, BonusItem, Gate, Metric, Policy, Rule, ThresholdRow, Tier
from ..submission.record import Submission
from .condition import CompiledCondition, Test

RowKey = tuple[str | None, str | None, str | None]  # sector, product, tier


class Entry(NamedTuple):
    """A threshold row and the scope it is reported under, e.g. "sector:cement tier:ge10000"."""

    row: ThresholdRow
    scope: str


@dataclass(frozen=True, slots=True)
class CompiledMetric:
    metric: Metric
    when: CompiledCondition | None
    rows: dict[RowKey, Entry]
    products: frozenset[str]  # products with a row (product metrics)
    tier_value: Callable[[Submission], Decimal | None] | None
    higher: bool

    def tier_of(self, submission: Submission) -> tuple[Tier | None, Decimal | None]:
        """The size tier the submission falls in, and the value that chose it."""
        spec, read = self.metric.tier, self.tier_value
        assert spec is not None and read is not None  # asked of tiered metrics only
        value = read(submission)
        if value is None:
            return None, None
        for tier in spec.tiers:
            if value >= tier.min and (tier.max is None or value < tier.max):
                return tier, value
        return None, value

    def entry(self, sector: str, product: str | None, tier: str | None) -> Entry | None:
        """The sector's row if it has one, else the general rules' row."""
        return self.rows.get((sector, product, tier)) or self.rows.get((None, product, tier))


@dataclass(frozen=True, slots=True)
class CompiledRule:
    rule: Rule
    applies: CompiledCondition | None
    applies_fields: tuple[str, ...]
    metrics: tuple[CompiledMetric, ...]


@dataclass(frozen=True, slots=True)
class CompiledGate:
    gate: Gate
    condition: CompiledCondition
    fields: tuple[str, ...]
    results: dict  # True / False / None -> its GateResult, built once rather than per evaluation


@dataclass(frozen=True, slots=True)
class CompiledAward:
    award: Award
    condition: CompiledCondition


@dataclass(frozen=True, slots=True)
class CompiledBonusItem:
    item: BonusItem
    awards: tuple[CompiledAward, ...]
    fields: tuple[str, ...]


class RulePlan(NamedTuple):
    """What the evaluator reads of each rule, in policy order."""

    compiled: CompiledRule
    id: str
    indicator: str
    pillar: str
    points: Decimal  # full points
    needs_evidence: bool  # the policy requires documents for the rule's data


@dataclass(frozen=True, slots=True, eq=False)
class CompiledPolicy:
    """Complete when constructed (engine.scoring.compiler.compile_policy builds it); nothing is added later."""

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
    gate_tests: tuple[Test, ...]  # per gate, its condition's test: what the built-in backend calls
    gate_tables: tuple[dict, ...]  # per gate, its results table (CompiledGate.results)
    applicable_points: Decimal  # the rules' full points summed in policy order: all rules apply
    rule_plans: tuple[RulePlan, ...]  # per rule, what assemble reads
    plausible: dict[str, tuple]  # input id -> (plausible min, max): review flags, never points
