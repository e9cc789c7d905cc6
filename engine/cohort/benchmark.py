"""Sector benchmarks: percentile, rank, grade (A+ / A / B by the policy's top shares), the leaders, and per rule the
gap to the leaders and to the median.

Ranks are competition ranks over scores, best first: tied scores share the better rank (1, 2, 2, 4), so that
equal scores always get equal grades. A factory's top share is rank / cohort size; its grade is the first whose
top_share covers it. Its percentile is the share of the cohort scoring at or below it, in per cent.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Mapping, Sequence

from ..policy.model import Grade

TENTH = Decimal("0.1")


@dataclass(frozen=True, slots=True)
class Standing:
    rank: int
    size: int
    percentile: Decimal  # at or below, per cent, one decimal
    grade: str | None
    leader: bool  # within the first grade's top share (the top 5 %)


class Cohort:
    """The scores of a cohort (e.g. the existing national green factories of a sector in a round)."""

    def __init__(self, scores: Sequence[Decimal], grades: Sequence[Grade]):
        self.ascending = sorted(scores)
        self.grades = tuple(grades)

    @property
    def size(self) -> int:
        return len(self.ascending)

    def rank(self, score: Decimal) -> int:
        """1 + how many score higher (an outsider, e.g. an applicant, is placed the same way)."""
        return 1 + self.size - bisect_right(self.ascending, score)

    def standing(self, score: Decimal, member: bool = True) -> Standing:
        """member=False places an outsider (an applicant) as if it were one more of the cohort."""
        size = self.size if member else self.size + 1
        rank = self.rank(score)
        at_or_below = bisect_right(self.ascending, score) + (0 if member else 1)
        share = Fraction(rank, size)
        grade = next((g.id for g in self.grades if share <= Fraction(g.top_share)), None)
        leader = bool(self.grades) and share <= Fraction(self.grades[0].top_share)
        percentile = (Decimal(at_or_below * 100) / Decimal(size)).quantize(TENTH, rounding=ROUND_HALF_UP)
        return Standing(rank, size, percentile, grade, leader)

    def least_score_for(self, top_share: Decimal, exclude: Decimal | None = None) -> Decimal | None:
        """The least score that reaches a top share, for a factory whose own score (if a member) is exclude.
        None when no score can (the share allows no rank at all)."""
        others = list(self.ascending)
        if exclude is not None:
            del others[bisect_left(others, exclude)]
        size = len(others) + 1
        allowed = int(Fraction(top_share) * size)  # the worst rank that still has the share
        if allowed < 1:
            return None
        if allowed - 1 >= len(others):
            return Decimal(0)
        return others[len(others) - allowed]  # tie with the allowed-th best other: no more than allowed-1 above

    def bottom(self, score: Decimal, share: Decimal) -> bool:
        """Within the bottom share: (1 + how many score lower) / size ≤ share; ties at the bottom all count."""
        lower = bisect_left(self.ascending, score)
        return Fraction(1 + lower, self.size) <= Fraction(share)


def median(values: Sequence[Decimal]) -> Decimal | None:
    ordered = sorted(values)
    if not ordered:
        return None
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def mean(values: Sequence[Decimal]) -> Decimal | None:
    return (sum(values, Decimal(0)) / len(values)) if values else None


def rule_gaps(mine: Mapping[str, Decimal], members: Sequence[Mapping[str, Decimal]],
              leaders: Sequence[Mapping[str, Decimal]], quantum: Decimal) -> list[dict]:
    """Per rule: my points, the leaders' mean and the cohort's median points, and the gaps to them."""
    out = []
    for rule, points in mine.items():
        lead = mean([m[rule] for m in leaders if rule in m])
        mid = median([m[rule] for m in members if rule in m])
        lead = None if lead is None else lead.quantize(quantum, rounding=ROUND_HALF_UP)
        out.append({"rule": rule, "points": points, "leaders_mean": lead, "median": mid,
                    "gap_to_leaders": None if lead is None else max(lead - points, Decimal(0)),
                    "gap_to_median": None if mid is None else max(mid - points, Decimal(0))})
    return out
