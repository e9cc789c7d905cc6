"""One round, new and existing in parallel: every existing national green factory is re-benchmarked and every
applicant evaluated under one compiled policy; the regional baselines and the sectors' best values are taken from
the existing factories' scores as one dated snapshot, and every outcome names the snapshot it was compared with.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from ..scoring.compiled import CompiledPolicy
from ..scoring.context import RegionalBaseline, SectorBest
from ..scoring.evaluator import evaluate
from ..scoring.trace import Outcome
from ..submission.record import Submission
from .baseline import Peer, baseline_for, baselines
from .benchmark import Cohort, Standing
from .dynamic import BOTTOM_SHARE
from .plausibility import sector_bests

EXISTING, APPLICANT = "existing", "applicant"


@dataclass(frozen=True, slots=True)
class Member:
    key: str  # the factory (its USCC)
    role: str  # existing | applicant
    authority: str  # the recommending authority's code
    sub: Submission


@dataclass(frozen=True, slots=True)
class Result:
    member: Member
    outcome: Outcome
    baseline: RegionalBaseline | None
    sector_best: SectorBest | None
    standing: Standing | None  # within the existing factories of its sector (an applicant placed among them)
    bottom: bool  # an existing factory in its sector's bottom share this round


@dataclass
class RoundRun:
    snapshot: str
    baselines: dict = field(default_factory=dict)  # (authority, sector or None) -> RegionalBaseline
    bests: dict = field(default_factory=dict)  # sector -> SectorBest
    cohorts: dict = field(default_factory=dict)  # sector -> Cohort of existing scores
    results: list = field(default_factory=list)


def snapshot_of(cp: CompiledPolicy, members: list[Member], snapshot: str) -> RoundRun:
    """Score the existing factories (no trace) and take the snapshot: baselines, sector bests, sector cohorts."""
    run = RoundRun(snapshot)
    existing = [m for m in members if m.role == EXISTING]
    scores = {m.key: evaluate(cp, m.sub, trace=False).score for m in existing}
    rule = cp.policy.decision.regional_baseline
    if rule is not None:
        run.baselines = baselines(rule, (Peer(m.authority, m.sub.sector, scores[m.key]) for m in existing), snapshot,
                                  cp.quantum)
    run.bests = sector_bests(cp.policy, ((m.sub.sector, m.sub.data) for m in existing), snapshot)
    by_sector: dict[str, list[Decimal]] = {}
    for m in existing:
        by_sector.setdefault(m.sub.sector, []).append(scores[m.key])
    run.cohorts = {s: Cohort(v, cp.policy.decision.grades) for s, v in by_sector.items()}
    return run


def result_of(cp: CompiledPolicy, run: RoundRun, m: Member, *, trace: bool = True) -> Result:
    rule = cp.policy.decision.regional_baseline
    baseline = baseline_for(rule, run.baselines, m.authority, m.sub.sector) if rule is not None else None
    best = run.bests.get(m.sub.sector)
    outcome = evaluate(cp, m.sub, trace=trace, baseline=baseline, sector_best=best)
    cohort = run.cohorts.get(m.sub.sector)
    standing = cohort.standing(outcome.score, member=m.role == EXISTING) if cohort else None
    bottom = m.role == EXISTING and cohort is not None and cohort.bottom(outcome.score, BOTTOM_SHARE)
    return Result(m, outcome, baseline, best, standing, bottom)


def run_round(cp: CompiledPolicy, members: list[Member], snapshot: str, *, trace: bool = True) -> RoundRun:
    run = snapshot_of(cp, members, snapshot)
    run.results = [result_of(cp, run, m, trace=trace) for m in members]
    return run
