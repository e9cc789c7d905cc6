"""Regional baselines: the mean score of the existing national green factories of a region (and of a sector in it,
where the policy groups by region_sector and there are at least min_peers of them), under one policy version.

The mean is kept at the policy's decimal places, rounded so that comparing a score with it decides exactly as
comparing with the exact mean would: up (ceiling) for `ge`, down (floor) for `gt`. Scores are multiples of the
same quantum, so score ≥ ceil(mean) ⇔ score ≥ mean, and score > floor(mean) ⇔ score > mean.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Iterable

from ..policy.model import BaselineRule as Rule
from ..scoring.arithmetic import CONTEXT
from ..scoring.context import RegionalBaseline


@dataclass(frozen=True, slots=True)
class Peer:
    """An existing national green factory's score in a round, where it is recommended from."""

    authority: str  # the recommending authority's code (engine.submission.region.authority_for)
    sector: str
    score: Decimal


def scope_of(authority: str, sector: str | None = None) -> str:
    return f"region:{authority}" + (f" sector:{sector}" if sector else "")


def exact_mean(scores: list[Decimal]) -> Decimal:
    return CONTEXT.divide(sum(scores, Decimal(0)), Decimal(len(scores)))


def kept_mean(scores: list[Decimal], quantum: Decimal, op: str) -> Decimal:
    """The mean at the policy's places, rounded the way that keeps the comparison exact (see the module)."""
    return exact_mean(scores).quantize(quantum, rounding=ROUND_CEILING if op == "ge" else ROUND_FLOOR)


def baselines(rule: Rule, peers: Iterable[Peer], snapshot: str, quantum: Decimal) -> dict[tuple, RegionalBaseline]:
    """Baselines by (authority, None) and, for region_sector, by (authority, sector) too."""
    groups: dict[tuple, list[Decimal]] = {}
    for p in peers:
        groups.setdefault((p.authority, None), []).append(p.score)
        if rule.group_by == "region_sector":
            groups.setdefault((p.authority, p.sector), []).append(p.score)
    return {key: RegionalBaseline(snapshot, scope_of(*key), len(scores), kept_mean(scores, quantum, rule.op))
            for key, scores in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1] or ""))}


def baseline_for(rule: Rule, table: dict[tuple, RegionalBaseline], authority: str,
                 sector: str) -> RegionalBaseline | None:
    """The sector's baseline in the region when the policy asks for it and it has min_peers; else the region's;
    None when the region has no existing national green factory (the decision stays open)."""
    if rule.group_by == "region_sector":
        own = table.get((authority, sector))
        if own is not None and own.size >= rule.min_peers:
            return own
    return table.get((authority, None))


def target_score(baseline: RegionalBaseline, op: str, quantum: Decimal) -> Decimal:
    """The least score that meets the baseline."""
    return baseline.mean if op == "ge" else baseline.mean + quantum
