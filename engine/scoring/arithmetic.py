"""Exact decimal scoring arithmetic, shared by every backend so that they agree to the digit."""
from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal
from typing import Iterable

from ..policy.model import Band

ZERO = Decimal(0)
ONE = Decimal(1)
CONTEXT = Context(prec=34)  # fixed precision, independent of the caller's decimal context
MODES = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN, "down": ROUND_DOWN}


def exponent(d: Decimal) -> int:
    """The exponent of a finite Decimal (intake refuses NaN and infinities, so every number here is finite)."""
    exp = d.as_tuple().exponent
    assert isinstance(exp, int), f"{d} is not finite"
    return exp


def linear_share(x: Decimal, baseline: Decimal, leading: Decimal, higher: bool) -> Decimal:
    """Share of full points, 0–1: linear between baseline (0) and leading (1), clamped.

    A zero-width band (leading = baseline) is a step: at or better than leading, full points.
    """
    if leading == baseline:
        better = x >= leading if higher else x <= leading
        return ONE if better else ZERO
    span = leading - baseline
    share = CONTEXT.divide(x - baseline, span)  # same formula both ways: the sign of span mirrors it
    if share <= ZERO:
        return ZERO
    if share >= ONE:
        return ONE
    return share


def band_points(x: Decimal, bands: Iterable[Band]) -> tuple[Decimal, Band | None]:
    """Points of the band that holds x (min inclusive, max exclusive), and the band; 0 below all."""
    for band in bands:
        if x >= band.min and (band.max is None or x < band.max):
            return band.points, band
    return ZERO, None


def weighted(shares: list[tuple[Decimal, Decimal]]) -> Decimal:
    """Mean of shares weighted by the second item (energy use); equal weights when all are 0."""
    total = sum((w for _, w in shares), ZERO)
    if total == ZERO:
        return CONTEXT.divide(sum((s for s, _ in shares), ZERO), Decimal(len(shares)))
    return CONTEXT.divide(sum((CONTEXT.multiply(s, w) for s, w in shares), ZERO), total)


def points_of(full: Decimal, share: Decimal, quantum: Decimal, mode: str) -> Decimal:
    return CONTEXT.multiply(full, share).quantize(quantum, rounding=mode)


def rescale(earned: Decimal, applicable: Decimal, total: Decimal, quantum: Decimal, mode: str) -> Decimal:
    if applicable == ZERO:
        return ZERO.quantize(quantum)
    return CONTEXT.divide(CONTEXT.multiply(earned, total), applicable).quantize(quantum, rounding=mode)
