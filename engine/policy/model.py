"""The validated policy: frozen records built from a document that passed schema and checks."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Union


@dataclass(frozen=True, slots=True)
class Label:
    zh: str
    en: str


@dataclass(frozen=True, slots=True)
class Source:
    id: str
    title: str
    kind: str
    confirmed: bool | None


@dataclass(frozen=True, slots=True)
class SourceRef:
    ref: str
    title: str
    clause: str | None
    level: str | None

    def cite(self) -> dict:
        """ref, clause and level: the title is listed once per outcome, under sources."""
        out = {"ref": self.ref}
        if self.clause:
            out["clause"] = self.clause
        if self.level:
            out["level"] = self.level
        return out

    def to_dict(self) -> dict:
        out = {"ref": self.ref, "title": self.title}
        if self.clause:
            out["clause"] = self.clause
        if self.level:
            out["level"] = self.level
        return out


@dataclass(frozen=True, slots=True)
class Compare:
    field: str
    op: str
    value: Any


@dataclass(frozen=True, slots=True)
class AllOf:
    items: tuple["Condition", ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    items: tuple["Condition", ...]


@dataclass(frozen=True, slots=True)
class Not:
    item: "Condition"


Condition = Union[Compare, AllOf, AnyOf, Not]


@dataclass(frozen=True, slots=True)
class Band:
    min: Decimal
    max: Decimal | None
    points: Decimal


@dataclass(frozen=True, slots=True)
class Tier:
    id: str
    min: Decimal
    max: Decimal | None


@dataclass(frozen=True, slots=True)
class TierSpec:
    by: str
    tiers: tuple[Tier, ...]


@dataclass(frozen=True, slots=True)
class ThresholdRow:
    sector: str | None
    product: str | None
    tier: str | None
    leading: Decimal | None
    baseline: Decimal | None
    bands: tuple[Band, ...]
    source: SourceRef
    line: int


@dataclass(frozen=True, slots=True)
class Metric:
    id: str
    label: Label | None
    basis: str  # product | input | cases
    input: str | None
    value: str | None
    unit: str
    direction: str | None  # higher | lower
    method: str  # linear | bands | count
    top: int | None
    per_case: Decimal | None
    requires_evidence: bool
    when: Condition | None
    tier: TierSpec | None
    thresholds: tuple[ThresholdRow, ...]
    line: int


@dataclass(frozen=True, slots=True)
class Rule:
    """One scored unit: an indicator, or one part of it. One trace step each."""

    id: str
    indicator: str
    pillar: str
    label: Label
    points: Decimal
    evidence: str
    applies_when: Condition | None
    metrics: tuple[Metric, ...]
    line: int


@dataclass(frozen=True, slots=True)
class Indicator:
    id: str
    pillar: str
    label: Label
    points: Decimal
    rules: tuple[Rule, ...]
    line: int


@dataclass(frozen=True, slots=True)
class Pillar:
    id: str
    label: Label
    points: Decimal


@dataclass(frozen=True, slots=True)
class InputSpec:
    id: str
    label: Label
    unit: str
    min: Decimal | None
    max: Decimal | None
    integer: bool
    plausible_min: Decimal | None = None  # outside the plausible range: flagged for review, score unchanged
    plausible_max: Decimal | None = None


@dataclass(frozen=True, slots=True)
class FactSpec:
    id: str
    label: Label
    type: str
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Product:
    id: str
    label: Label
    unit: str
    sector: str | None


@dataclass(frozen=True, slots=True)
class Sector:
    id: str
    label: Label
    group: str
    codes: tuple[str, ...]
    products: tuple[str, ...]
    overrides: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Gate:
    id: str
    kind: str
    label: Label
    pass_when: Condition
    source: SourceRef | None
    line: int


@dataclass(frozen=True, slots=True)
class Award:
    when: Condition
    points: Decimal


@dataclass(frozen=True, slots=True)
class BonusItem:
    id: str
    label: Label
    awards: tuple[Award, ...]
    source: SourceRef | None
    line: int


@dataclass(frozen=True, slots=True)
class Bonus:
    max_points: Decimal
    items: tuple[BonusItem, ...]


@dataclass(frozen=True, slots=True)
class BaselineRule:
    """The policy's rule for the regional baseline (which cohort, grouped how, compared by which operator); the
    baseline's value for one evaluation is engine.scoring.context.RegionalBaseline."""

    cohort: str
    group_by: str
    op: str
    min_peers: int


@dataclass(frozen=True, slots=True)
class Grade:
    id: str
    top_share: Decimal


@dataclass(frozen=True, slots=True)
class Decision:
    eligible: str
    regional_baseline: BaselineRule | None
    grades: tuple[Grade, ...]


@dataclass(frozen=True, slots=True, eq=False)
class Policy:
    id: str
    version: str
    title: Label
    status: str
    effective_from: str
    effective_until: str | None
    sources: tuple[Source, ...]
    rounding_places: int
    rounding_mode: str
    total_points: Decimal
    not_applicable: str
    pillars: tuple[Pillar, ...]
    inputs: tuple[InputSpec, ...]
    facts: tuple[FactSpec, ...]
    products: tuple[Product, ...]
    sectors: tuple[Sector, ...]
    indicators: tuple[Indicator, ...]
    gates: tuple[Gate, ...]
    bonus: Bonus | None
    decision: Decision
    file: str
    digest: str
    text: str  # the YAML as written, comments included
    data: dict  # the plain document, for JSON views and diffs
    positions: dict | None = None  # path -> source.Position of every key and value, for diffs
    plausibility_margin: Decimal | None = None  # flag a value better than its sector's best by more than this share

    @property
    def ref(self) -> str:
        return f"{self.id}@{self.version}"

    @property
    def rules(self) -> tuple[Rule, ...]:
        return tuple(rule for ind in self.indicators for rule in ind.rules)

    def line_of(self, path: tuple) -> int:
        """The line of a path in the file (nearest known parent), for pointing at a change."""
        probe = tuple(path)
        while probe and probe not in (self.positions or {}):
            probe = probe[:-1]
        pos = (self.positions or {}).get(probe)
        return pos.key[0] if pos else 1

    def sector(self, sector_id: str) -> Sector | None:
        return next((s for s in self.sectors if s.id == sector_id), None)
