"""Outcome and trace records, and their canonical JSON (byte-identical for equal inputs).

Hot-path records are NamedTuples rather than frozen dataclasses: equally immutable, several
times cheaper to build, and an evaluation builds dozens of them.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable, Iterable, NamedTuple

import orjson

from ..policy.model import Label, SourceRef


class Reading(NamedTuple):
    """An input a rule read from the submission."""

    name: str
    value: Any  # Decimal, bool, str or None (not reported)
    unit: str | None = None


class Parameter(NamedTuple):
    """A policy value a rule used, with where it comes from."""

    name: str  # baseline, leading, band, per_case
    value: Any
    unit: str | None
    scope: str  # general, sector:cement, product:clinker, tier:ge10000
    source: SourceRef | None
    line: int | None  # policy line of the threshold row


class Step(NamedTuple):
    """One rule's evaluation, in policy order."""

    rule: str
    kind: str  # gate | indicator | total | pillar | bonus | decision
    status: str
    inputs: tuple[Reading, ...]
    parameters: tuple[Parameter, ...]
    formula: str
    points: Decimal | None
    max_points: Decimal | None
    reason: Label
    line: int | None
    metric: str | None = None
    flags: tuple[str, ...] = ()


class GateResult(NamedTuple):
    id: str
    kind: str
    status: str  # passed | failed | undetermined


class RuleResult(NamedTuple):
    id: str
    indicator: str
    pillar: str
    status: str  # scored | not_reported | not_applicable | no_metric
    metric: str | None
    scope: str | None  # which thresholds applied: general, sector:x, product:a+b, tier:t
    points: Decimal
    max_points: Decimal
    flags: tuple[str, ...]


class Trace:
    """The steps of one evaluation, rendered from what the evaluator computed the first time they are read.

    Rendering only reads those results; it never feeds back into a number.
    """

    __slots__ = ("_render", "_computed", "_steps")

    def __init__(self, render: Callable[[Any], Iterable[Step]], computed: Any):
        """render(computed) yields the steps: engine.scoring.explain.steps and its Computed record."""
        self._render: Callable[[Any], Iterable[Step]] | None = render
        self._computed: Any = computed
        self._steps: tuple[Step, ...] | None = None

    @property
    def steps(self) -> tuple[Step, ...]:
        if self._steps is None:
            assert self._render is not None
            self._steps = tuple(self._render(self._computed))
            self._render = self._computed = None  # rendered once: what it was rendered from can go
        return self._steps

    def __iter__(self):
        return iter(self.steps)

    def __len__(self) -> int:
        return len(self.steps)

    def __getitem__(self, index):
        return self.steps[index]

    def __eq__(self, other) -> bool:
        return isinstance(other, Trace) and self.steps == other.steps

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True, slots=True, eq=True)
class Outcome:
    policy: str  # id@version
    policy_digest: str
    submission_digest: str
    sector: str
    gates: tuple[GateResult, ...]
    rules: tuple[RuleResult, ...]
    pillars: tuple[tuple[str, Decimal], ...]
    earned: Decimal  # sum of rule points
    applicable_points: Decimal
    total: Decimal  # after rescaling, if the policy rescales
    bonus: Decimal
    score: Decimal  # total + bonus
    decision: tuple[tuple[str, Any], ...]
    flags: tuple[str, ...]  # for review: evidence_missing:<rule>, industry_code_mismatch
    trace: Trace | None = None

    def without_trace(self) -> "Outcome":
        return dataclasses.replace(self, trace=None)

    def decided(self, name: str) -> Any:
        return dict(self.decision).get(name)

    def to_dict(self) -> dict:
        """The outcome as JSON-ready data: Decimals as exact strings, never floats."""
        return json.loads(canonical_json(self))

    def raw_dict(self) -> dict:
        """The outcome as dicts and lists holding Decimals; canonical_json serialises it."""
        out = {
            "policy": self.policy, "policy_digest": self.policy_digest, "submission_digest": self.submission_digest,
            "sector": self.sector,
            "gates": [g._asdict() for g in self.gates],
            "rules": [r._asdict() for r in self.rules],
            "pillars": dict(self.pillars), "earned": self.earned, "applicable_points": self.applicable_points,
            "total": self.total, "bonus": self.bonus, "score": self.score, "decision": dict(self.decision),
            "flags": self.flags,
        }
        if self.trace is not None:
            steps = self.trace.steps
            # the canonical file name, not where this copy was loaded from: equal digests, equal bytes
            file = "policies/{}/{}.yaml".format(*self.policy.split("@", 1))
            out["trace"] = [step_dict(s, file) for s in steps]
            # each cited document once, by ref, rather than its title in every step
            out["sources"] = {p.source.ref: p.source.title for s in steps for p in s.parameters if p.source}
        return out


def step_dict(step: Step, file: str) -> dict:
    # unpacked rather than read field by field: some fifty steps an outcome, every evaluation
    rule, kind, status, inputs, parameters, formula, points, max_points, reason, line, metric, flags = step
    return {
        "rule": rule, "kind": kind, "status": status, "metric": metric,
        "inputs": [{"name": name, "value": value, "unit": unit} for name, value, unit in inputs],
        "parameters": [{"name": name, "value": value, "unit": unit, "scope": scope,
                        "source": source.cite() if source else None, "line": at}
                       for name, value, unit, scope, source, at in parameters],
        "formula": formula, "points": points, "max_points": max_points,
        "reason": {"zh": reason.zh, "en": reason.en}, "flags": flags,
        "file": file if line else None, "line": line,
    }


def _exact(value: Any) -> str:
    if isinstance(value, Decimal):
        return str(value)  # exact, never a float
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def canonical_json(outcome: Outcome) -> bytes:
    """The outcome with its trace as canonical JSON: same inputs and policy digest, same bytes."""
    # orjson: the same bytes as json.dumps(sort_keys=True, ensure_ascii=False, compact), 8× faster
    return orjson.dumps(outcome.raw_dict(), default=_exact, option=orjson.OPT_SORT_KEYS)
