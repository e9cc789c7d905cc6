"""Grades within a cohort, column-wise: engine.cohort.benchmark.Cohort.standing for every member at once.

Ranks are competition ranks over scores, best first (tied scores share the better rank: 1, 2, 2, 4); a
member's top share is rank / cohort size, exactly (Fraction); its grade is the first whose top_share covers
it. With the policy's A+ 5 %, A 40 %, B 100 %: the top 5 % are A+, the next 35 % A, the rest B.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np


def grade_codes(scores: np.ndarray, members: np.ndarray, grades) -> np.ndarray:
    """Per row: the index of its grade in `grades` among the members (rows where members is True), -1 for
    rows outside the cohort or beyond every grade's share. scores: whole quanta (int64)."""
    out = np.full(len(scores), -1, dtype=np.int64)
    size = int(members.sum())
    if size == 0 or not grades:
        return out
    ascending = np.sort(scores[members])
    rank = 1 + size - np.searchsorted(ascending, scores[members], side="right")
    codes = np.full(size, -1, dtype=np.int64)
    for g in reversed(range(len(grades))):  # the first grade that covers a rank wins: assign the last first
        worst = int(Fraction(grades[g].top_share) * size)  # rank / size <= share  <=>  rank <= floor(share * size)
        codes[rank <= worst] = g
    out[members] = codes
    return out
