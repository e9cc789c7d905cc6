"""Plausibility flags for reviewers: a reported value outside the policy's plausible range, or better than the best
existing national green factory of its sector by more than the policy's margin.

A flag asks a reviewer to look; it never changes a score. The flags themselves and SectorBest live in
engine.scoring.context, since the evaluator reads them; this module computes the sector bests from a snapshot.
The reviewer's resolution (confirmed, or corrected by a new submission) is recorded by the service.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Iterable, Mapping

from ..scoring.context import SectorBest

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
