"""Linear points in float64 with a guard band; exact Decimal arithmetic only next to a rounding jump.

points_of(full, linear_share(x, baseline, leading, higher), quantum, mode) is a step function of
r = (x - baseline) × full / ((leading - baseline) × quantum), the points in quanta before rounding: clamped to
[0, full / quantum], it jumps at k + 0.5 (half_up, half_even) or at k (down). The float r carries an error
far below ERROR × (|x| + |baseline|) × |k|; where no jump lies within that bound of r, the Decimal result is the
float's rounding (the Decimal path's own 28- and 34-digit roundings move r by less still). Everywhere else, and
for values a float cannot carry (too large, not finite), the exact path (engine.arithmetic) decides. So the
fast path never changes a digit; tests/test_fastpoints.py checks it against the exact path on rounding edges.
"""
from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from typing import Callable

from .arithmetic import CONTEXT, ZERO, linear_share, points_of

ERROR = 1e-14  # relative; float64 rounding of x, the difference and the product is below 3 × 2**-53 ≈ 3.3e-16
ABSOLUTE = 1e-12  # quanta: the rounding of r + 0.5 itself
TRUST = 1e-6  # quanta: beyond this error bound (huge values, inf, NaN) floats decide nothing
MOST = 10**15  # full points in quanta: beyond, n quanta may not be written exactly
TABLE_LIMIT = 10_000  # points kept as ready Decimals per policy, 0 … limit quanta; larger ones are built


def quanta_table(quantum: Decimal, most: int) -> tuple[Decimal, ...]:
    """n quanta as the Decimal points_of returns (n × quantum, quantum's exponent), for n = 0 … most."""
    return tuple(Decimal(n).scaleb(quantum.as_tuple().exponent) for n in range(min(most, TABLE_LIMIT) + 1))


def linear_points(baseline: Decimal, leading: Decimal, higher: bool, full: Decimal, quantum: Decimal, mode: str,
                  table: tuple[Decimal, ...]) -> Callable[[Decimal], Decimal]:
    """x -> points_of(full, linear_share(x, baseline, leading, higher), quantum, mode), the same Decimal."""

    def exact(x: Decimal) -> Decimal:
        return points_of(full, linear_share(x, baseline, leading, higher), quantum, mode)

    if leading == baseline:  # a step: full points at or better than leading; both outcomes fixed here
        top, bottom = exact(leading), points_of(full, ZERO, quantum, mode)
        if higher:
            return lambda x: top if x >= leading else bottom
        return lambda x: top if x <= leading else bottom

    most = CONTEXT.divide(full, quantum)
    if full <= ZERO or most != most.to_integral_value() or most > MOST:
        return exact  # full points are not a (modest) whole number of quanta: nothing to round into
    most = int(most)
    exponent = quantum.as_tuple().exponent
    span = leading - baseline
    k = float(CONTEXT.divide(full, CONTEXT.multiply(span, quantum)))  # r = (x - baseline) × k
    fb = float(baseline)
    tolerance, floor_tolerance = abs(k) * ERROR, abs(fb) * abs(k) * ERROR + ABSOLUTE
    shift = 0.0 if mode == ROUND_DOWN else 0.5  # jumps where t = r + shift is a whole number 1 … most
    last = float(most)

    def fast(x: Decimal) -> Decimal:
        fx = float(x)
        t = (fx - fb) * k + shift
        err = (fx if fx >= 0.0 else -fx) * tolerance + floor_tolerance
        if err < TRUST:  # False for inf and NaN
            if t < 1.0 - err:
                return table[0]
            if t >= last + err:
                n = most
            else:
                n = int(t)
                if t - n <= err or n + 1 - t <= err:
                    return exact(x)  # a jump within the error bound: the Decimal decides
            return table[n] if n < len(table) else Decimal(n).scaleb(exponent)
        return exact(x)

    return fast
