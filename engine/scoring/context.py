"""What the evaluator reads beside the policy and the submission: the regional baseline a score is compared with,
and the sector's best existing values that plausibility flags are judged against.

The service (or engine.cohort) computes them from a dated snapshot of existing national green factories; the
evaluator only reads them, and a flag never changes a score (engine.scoring.evaluator.assemble adds flags after
the points are fixed).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Mapping


@dataclass(frozen=True, slots=True)
class RegionalBaseline:
    """The mean score of a cohort (existing national green factories of a region) in a dated snapshot."""

    snapshot: str
    scope: str  # e.g. region:320000, or region:320000 sector:cement
    size: int
    mean: Decimal


RANGE, SECTOR_BEST = "implausible_range", "implausible_sector_best"
FLAGS = (RANGE, SECTOR_BEST)


@dataclass(frozen=True, slots=True)
class SectorBest:
    """The best value of each scored input among the existing national green factories of one sector, as taken
    in a dated snapshot (the same snapshot as the regional baselines of the round)."""

    snapshot: str
    sector: str
    size: int
    best: Mapping[str, Decimal] = field(default_factory=dict)  # input id -> best value (by the metric's direction)


def out_of_range(x: Decimal, low: Decimal | None, high: Decimal | None) -> bool:
    return (low is not None and x < low) or (high is not None and x > high)


def beyond_best(x: Decimal, best: Decimal, margin: Decimal, higher: bool) -> bool:
    """x is better than best by more than margin × |best| (lower or higher is better)."""
    allowance = margin * abs(best)
    return x > best + allowance if higher else x < best - allowance


def flags_for(plausible: Mapping[str, tuple], margin: Decimal | None, name: str, x: Decimal, higher: bool,
              best: SectorBest | None) -> tuple[str, ...]:
    """The plausibility flags of one scored input value."""
    out: tuple[str, ...] = ()
    bounds = plausible.get(name)
    if bounds is not None and out_of_range(x, *bounds):
        out = (RANGE,)
    if best is not None and margin is not None:
        top = best.best.get(name)
        if top is not None and beyond_best(x, top, margin, higher):
            out += (SECTOR_BEST,)
    return out
