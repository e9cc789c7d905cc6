"""One harness for every scoring path: the exact evaluator (engine.evaluate, the definition), the column-wise
population evaluator (engine.population) and the durable-rules backend (engine.backends). Each path's outcomes of
the same inputs are put side by side as canonical JSON bytes, so that a difference in any number, status, flag,
decision or trace step shows as unequal bytes of that input.
"""
from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Sequence

import pytest

from engine import RegionalBaseline, canonical_json, evaluate, parse_submission
from engine.backends import DurableBackend, DurableUnavailable, require_durable
from engine.population import bind, evaluate_population, frame_of

# the regional baselines the paths are given, one row in three each: none, one the scores pass, one with a
# half-point mean that the rounding of the comparison decides
MARKS = (None, RegionalBaseline("2025-12-31", "region:330000", 12, Decimal("55.00")),
         RegionalBaseline("2025-12-31", "region:320000", 9, Decimal("60.005")))


def durable_installed() -> bool:
    try:
        require_durable()
    except DurableUnavailable:
        return False
    return True


needs_durable = pytest.mark.skipif(not durable_installed(), reason="durable-rules is not installed: pip install -e .[durable]")


def exact(cp, subs, baselines=None, bests=None, *, trace: bool = True) -> list[bytes]:
    return [canonical_json(evaluate(cp, sub, trace=trace, baseline=_at(baselines, i), sector_best=_best(bests, sub)))
            for i, sub in enumerate(subs)]


def durable(cp, subs, baselines=None, bests=None) -> list[bytes]:
    with DurableBackend(cp) as backend:
        return [canonical_json(backend.evaluate(sub, baseline=_at(baselines, i), sector_best=_best(bests, sub)))
                for i, sub in enumerate(subs)]


def population(cp, raws, subs, baselines=None, bests=None) -> list[bytes]:
    """Each row's outcome as the columns give it (no trace): its digest is the parsed submission's."""
    pop = evaluate_population(bind(cp, frame_of(raws)), baseline=baselines, sector_bests=bests)
    assert pop.valid.all(), "every input of a parity run is one intake accepts"
    return [canonical_json(dataclasses.replace(got, submission_digest=sub.digest))
            for got, sub in zip(pop.outcomes(), subs, strict=True)]


def population_traces(cp, raws, rows: Sequence[int]) -> list[bytes]:
    """Rows rebuilt with their trace on demand (Population.trace)."""
    pop = evaluate_population(bind(cp, frame_of(raws)))
    return [canonical_json(pop.trace(i)) for i in rows]


def mismatches(reference: list[bytes], other: list[bytes]) -> list[int]:
    assert len(reference) == len(other)
    return [i for i, (a, b) in enumerate(zip(reference, other)) if a != b]


def parsed(cp, raws) -> list:
    return [parse_submission(cp.policy, raw) for raw in raws]


def _at(values, i: int):
    return values[i] if isinstance(values, (list, tuple)) else values


def _best(bests, sub):
    return bests.get(sub.sector) if bests else None
