"""Golden cases: submissions with expected outcomes, kept as YAML beside each policy.

policies/<id>/cases/*.yaml holds {name, versions?, submission, expect: {gates, points, total, score,
bonus, decision}}; every expected value is checked, and coverage counts which rules, threshold rows,
bands and tiers the cases reached.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from ..issue import IssueList
from ..policy.source import parse
from ..scoring.compiled import CompiledPolicy
from ..scoring.evaluator import evaluate
from ..scoring.rules import score_rule
from ..submission.intake import parse_submission


@dataclass(frozen=True, slots=True)
class CaseResult:
    case: str  # file name without .yaml
    name: str
    passed: bool
    failures: tuple[str, ...]
    total: Decimal | None


@dataclass
class Coverage:
    rules: set = field(default_factory=set)
    rows: set = field(default_factory=set)
    bands: set = field(default_factory=set)
    tiers: set = field(default_factory=set)

    def record(self, cp: CompiledPolicy, sub) -> None:
        for cr in cp.rules:
            found = score_rule(cp, cr, sub)
            if found.status != "scored":
                continue
            self.rules.add(cr.rule.id)
            entries = [e for _, e, _ in found.parts] if found.parts else [found.entry] if found.entry else []
            for entry in entries:
                self.rows.add((cr.rule.id, entry.row.line))
            if found.band is not None and found.entry is not None:
                self.bands.add((cr.rule.id, found.entry.row.line, found.band.min))
            if found.tier is not None and found.metric is not None:
                self.tiers.add((cr.rule.id, found.metric.metric.id, found.tier.id))

    def report(self, cp: CompiledPolicy) -> list[tuple[str, int, int]]:
        rows = bands = tiers = 0
        for cr in cp.rules:
            for cm in cr.metrics:
                rows += len(cm.metric.thresholds)
                bands += sum(len(r.bands) for r in cm.metric.thresholds)
                tiers += len(cm.metric.tier.tiers) if cm.metric.tier else 0
        return [("rules", len(self.rules), len(cp.rules)), ("threshold rows", len(self.rows), rows),
                ("bands", len(self.bands), bands), ("tiers", len(self.tiers), tiers)]


def percent(part: int, whole: int) -> str:
    """Floored to one decimal: 99.95 % shows as 99.9 %, never as 100 %."""
    if whole == 0:
        return "n/a"
    tenths = Fraction(part * 1000, whole).__floor__()
    return f"{tenths // 10}.{tenths % 10} %"


def case_files(policy_root: Path, policy_id: str) -> list[Path]:
    return sorted((policy_root / policy_id / "cases").glob("*.yaml"))


def run_case(cp: CompiledPolicy, path: Path, coverage: Coverage | None = None) -> CaseResult | None:
    """Check one case file; None when the case is for other versions of the policy."""
    try:
        doc = parse(path.read_bytes(), str(path)).data
    except IssueList as exc:  # a broken case file fails that case, with where it is broken
        return CaseResult(path.stem, path.stem, False, tuple(str(i) for i in exc.issues), None)
    if not isinstance(doc, dict):
        return CaseResult(path.stem, path.stem, False, ("a case file is a mapping with name, submission and expect",), None)
    versions = doc.get("versions")
    if versions and cp.policy.version not in versions:
        return None
    name = doc.get("name", path.stem)
    try:
        sub = parse_submission(cp.policy, doc.get("submission") or {})
    except IssueList as exc:
        return CaseResult(path.stem, name, False, tuple(f"submission: {i}" for i in exc.issues), None)
    outcome = evaluate(cp, sub)
    if coverage is not None:
        coverage.record(cp, sub)
    failures = _compare(outcome, doc.get("expect") or {})
    return CaseResult(path.stem, name, not failures, tuple(failures), outcome.score)


def _compare(outcome, expect: dict) -> list[str]:
    failures = []
    gates = {g.id: g.status for g in outcome.gates}
    for gid, want in (expect.get("gates") or {}).items():
        if gates.get(gid) != want:
            failures.append(f"gate {gid}: expected {want}, got {gates.get(gid, 'no such gate')}")
    points = {r.id: r.points for r in outcome.rules}
    statuses = {r.id: r.status for r in outcome.rules}
    for rid, want in (expect.get("points") or {}).items():
        got = points.get(rid)
        if got is None or Decimal(str(want)) != got:
            failures.append(f"{rid}: expected {want} points, got {got if got is not None else 'no such rule'}")
    for rid, want in (expect.get("status") or {}).items():
        if statuses.get(rid) != want:
            failures.append(f"{rid}: expected status {want}, got {statuses.get(rid, 'no such rule')}")
    for key in ("total", "bonus", "score", "earned"):
        if key in expect and Decimal(str(expect[key])) != getattr(outcome, key):
            failures.append(f"{key}: expected {expect[key]}, got {getattr(outcome, key)}")
    decision = dict(outcome.decision)
    for key, want in (expect.get("decision") or {}).items():
        if decision.get(key) != want:
            failures.append(f"decision {key}: expected {want}, got {decision.get(key)}")
    for flag in expect.get("flags") or []:
        if flag not in outcome.flags:
            failures.append(f"flag {flag}: expected, not raised")
    return failures
