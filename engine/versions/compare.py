"""One submission under two policy versions: per-rule deltas, reasons side by side, decision flips."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..policy.digest import jsonable
from ..scoring.compiled import CompiledPolicy
from ..scoring.context import RegionalBaseline
from ..scoring.evaluator import evaluate
from ..scoring.trace import Outcome
from ..submission.intake import parse_submission, project

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class RuleDelta:
    rule: str
    before: Decimal | None  # None: the rule is not in that version
    after: Decimal | None
    delta: Decimal
    before_max: Decimal | None
    after_max: Decimal | None
    before_status: str | None
    after_status: str | None
    before_reason: dict | None  # {"zh", "en"}
    after_reason: dict | None
    before_line: int | None
    after_line: int | None

    @property
    def changed(self) -> bool:
        return self.delta != 0 or self.before_status != self.after_status


@dataclass(frozen=True, slots=True)
class Comparison:
    before: Outcome
    after: Outcome
    rules: tuple[RuleDelta, ...]
    gate_changes: tuple[tuple[str, str | None, str | None], ...]
    flips: tuple[tuple[str, Any, Any], ...]  # decision fields whose value changed
    not_read: dict  # keys of the submission a version does not read, by version ref

    @property
    def total_delta(self) -> Decimal:
        return self.after.total - self.before.total

    @property
    def score_delta(self) -> Decimal:
        return self.after.score - self.before.score

    def to_dict(self) -> dict:
        def side(o: Outcome) -> dict:
            return {"policy": o.policy, "policy_digest": o.policy_digest, "total": str(o.total), "bonus": str(o.bonus),
                    "score": str(o.score), "decision": {k: jsonable(v) for k, v in o.decision}}
        return {
            "submission_digest": self.before.submission_digest, "from": side(self.before), "to": side(self.after),
            "total_delta": str(self.total_delta), "score_delta": str(self.score_delta),
            "rules": [{"rule": r.rule, "from": jsonable(r.before), "to": jsonable(r.after), "delta": str(r.delta),
                       "from_max": jsonable(r.before_max), "to_max": jsonable(r.after_max),
                       "from_status": r.before_status, "to_status": r.after_status, "changed": r.changed,
                       "from_reason": r.before_reason, "to_reason": r.after_reason,
                       "from_line": r.before_line, "to_line": r.after_line} for r in self.rules],
            "gate_changes": [{"gate": g, "from": a, "to": b} for g, a, b in self.gate_changes],
            "flips": [{"field": f, "from": jsonable(a), "to": jsonable(b)} for f, a, b in self.flips],
            "not_read": self.not_read,
        }


def compare(before: CompiledPolicy, after: CompiledPolicy, raw: dict,
            baseline: RegionalBaseline | None = None) -> Comparison:
    """Evaluate raw under both versions (each reading only what it knows) and line the results up."""
    raw_a, dropped_a = project(raw, before.policy)
    raw_b, dropped_b = project(raw, after.policy)
    a = evaluate(before, parse_submission(before.policy, raw_a), baseline=baseline)
    b = evaluate(after, parse_submission(after.policy, raw_b), baseline=baseline)
    assert a.trace is not None and b.trace is not None  # evaluated with their traces just above
    steps_a = {s.rule: s for s in a.trace if s.kind == "indicator"}
    steps_b = {s.rule: s for s in b.trace if s.kind == "indicator"}
    results_a = {r.id: r for r in a.rules}
    results_b = {r.id: r for r in b.rules}
    order = list(dict.fromkeys([*results_a, *results_b]))
    deltas = []
    for rid in order:
        ra, rb = results_a.get(rid), results_b.get(rid)
        sa, sb = steps_a.get(rid), steps_b.get(rid)
        deltas.append(RuleDelta(
            rid, ra.points if ra else None, rb.points if rb else None,
            (rb.points if rb else ZERO) - (ra.points if ra else ZERO),
            ra.max_points if ra else None, rb.max_points if rb else None,
            ra.status if ra else None, rb.status if rb else None,
            {"zh": sa.reason.zh, "en": sa.reason.en} if sa else None,
            {"zh": sb.reason.zh, "en": sb.reason.en} if sb else None,
            sa.line if sa else None, sb.line if sb else None))
    gates_a = {g.id: g.status for g in a.gates}
    gates_b = {g.id: g.status for g in b.gates}
    gate_changes = tuple((g, gates_a.get(g), gates_b.get(g)) for g in dict.fromkeys([*gates_a, *gates_b])
                         if gates_a.get(g) != gates_b.get(g))
    da, db = dict(a.decision), dict(b.decision)
    flips = tuple((k, da.get(k), db.get(k)) for k in dict.fromkeys([*da, *db]) if da.get(k) != db.get(k))
    not_read = {k: v for k, v in ((before.policy.ref, dropped_a), (after.policy.ref, dropped_b)) if v}
    return Comparison(a, b, tuple(deltas), gate_changes, flips, not_read)
