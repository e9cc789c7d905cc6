"""Plausibility flags for reviewers: a reported value outside the policy's plausible range, or better than the best
existing national green factory of its sector by more than the policy's margin.

A flag asks a reviewer to look; it never changes a score (engine.evaluator.assemble adds flags after the points are
fixed). The reviewer's resolution (confirmed, or corrected by a new submission) is recorded by the service.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Iterable, Mapping

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


def input_directions(policy) -> dict[str, bool]:
    """For each input a scored metric reads: True when higher is better (the first such metric decides)."""
    out: dict[str, bool] = {}
    for rule in policy.rules:
        for m in rule.metrics:
            if m.basis == "input" and m.input and m.input not in out:
                out[m.input] = m.direction != "lower"
    return out


def sector_bests(policy, reports: Iterable[tuple[str, Mapping[str, Decimal]]], snapshot: str) -> dict[str, SectorBest]:
    """The best existing value per sector and input, from (sector, data) of each existing national green factory."""
    directions = input_directions(policy)
    best: dict[str, dict[str, Decimal]] = {}
    sizes: dict[str, int] = {}
    for sector, data in reports:
        sizes[sector] = sizes.get(sector, 0) + 1
        own = best.setdefault(sector, {})
        for name, higher in directions.items():
            x = data.get(name)
            if x is None:
                continue
            top = own.get(name)
            if top is None or (x > top if higher else x < top):
                own[name] = x
    return {s: SectorBest(snapshot, s, sizes[s], dict(sorted(values.items()))) for s, values in sorted(best.items())}
