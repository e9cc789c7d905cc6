"""Exact decisions on float columns: comparisons that break ties with the decimal, rounding with a guard band.

The frame keeps every reported number as the float64 that intake's Decimal rounds to (float(Decimal) is
correctly rounded) and marks a row *inexact* when that float's shortest repr is not the number reported
(a decimal of more than 17 significant digits); inexact rows are evaluated by the single evaluator. For
every other row the number intake scores is Decimal(repr(x)), a function of x alone, and so:

- comparisons are exact: decimal order is float order except on float ties, and on a tie x == float(c)
  the row's decimal is Decimal(repr(float(c))), one value per constant: its order against c is computed
  once, in Decimal (tie_sign);
- points are exact: a float result V (in quanta) carries an error bound E; where [V - E, V + E] holds no
  point at which the policy's rounding mode jumps (k + 0.5 for half_up and half_even, k for down), the
  rounding of the float is the rounding of the decimal. Rows within E of a jump (a score on x.xx5) are
  recomputed by the single evaluator (engine.scoring.arithmetic), so agreement is guaranteed, not hoped for.
"""
from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

import numpy as np

from ..scoring.arithmetic import exponent

UNIT = 2.0 ** -53  # unit roundoff of float64
SAFETY = 4.0  # the error bounds below are worst cases; widen them anyway


def tie_sign(c: Decimal) -> int:
    """sign(Decimal(repr(float(c))) - c): how a row whose float equals float(c) compares with c."""
    exact = Decimal(repr(float(c)))
    return (exact > c) - (exact < c)


def compare(x: np.ndarray, cf, ties) -> np.ndarray:
    """sign(X - C) per row, exactly (int8), for X the decimal a row reported (x its float) and C a constant:
    cf = float(C) and ties = tie_sign(C), scalars or per-row arrays."""
    out = (x > cf).astype(np.int8) - (x < cf).astype(np.int8)
    tie = x == cf
    if np.ndim(ties) == 0:
        if ties:
            out[tie] = ties
    else:
        out[tie] = np.asarray(ties)[tie]
    return out


def unsafe(v: np.ndarray, err: np.ndarray, mode: str) -> np.ndarray:
    """Rows whose interval [v - err, v + err] (in quanta) holds a point where the rounding mode jumps."""
    err = err * SAFETY + 1e-300
    if mode == ROUND_DOWN:
        nearest = np.rint(v)
        return np.abs(v - nearest) <= err
    half = np.floor(v) + 0.5
    return np.abs(v - half) <= err


def round_safe(v: np.ndarray, mode: str) -> np.ndarray:
    """The rounding of v to a whole number of quanta, for rows that unsafe() cleared: there the decimal
    is not on a half, so both half modes give the nearest integer; down truncates towards zero."""
    if mode == ROUND_DOWN:
        return np.trunc(v).astype(np.int64)
    return np.rint(v).astype(np.int64)


def divide(n: np.ndarray, d, mode: str) -> np.ndarray:
    """n / d rounded to an integer exactly as Decimal.quantize(1, mode) would, for int64 n and positive
    integer d (a scalar or an array)."""
    n = np.asarray(n, dtype=np.int64)
    sign = np.where(n < 0, -1, 1)
    q, r = np.divmod(np.abs(n), d)
    if mode == ROUND_HALF_UP:
        q = q + (2 * r >= d)
    elif mode == ROUND_HALF_EVEN:
        q = q + ((2 * r > d) | ((2 * r == d) & (q % 2 == 1)))
    elif mode != ROUND_DOWN:
        raise ValueError(f"unknown rounding mode {mode}")
    return sign * q


def scale_of(values) -> int:
    """The fewest decimal places that write every value exactly."""
    return max((max(0, -exponent(Decimal(v))) for v in values), default=0)


def scaled(value: Decimal, places: int) -> int:
    """value * 10**places as an int; ValueError if that is not whole."""
    out = Decimal(value).scaleb(places)
    if out != out.to_integral_value():
        raise ValueError(f"{value} has more than {places} decimal places")
    return int(out)


def quanta(value: Decimal, quantum: Decimal) -> int:
    """A value already quantized to quantum, as a whole number of quanta."""
    return int((Decimal(value) / quantum).to_integral_value())
