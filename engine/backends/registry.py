"""Backends that evaluate a compiled policy: the built-in one (default) and durable-rules (optional)."""
from __future__ import annotations

from typing import Callable, Protocol

from ..scoring.compiled import CompiledPolicy
from ..scoring.context import RegionalBaseline, SectorBest
from ..scoring.evaluator import evaluate
from ..scoring.trace import Outcome
from ..submission.record import Submission


class Backend(Protocol):
    """What every backend offers: evaluate takes the arguments of engine.scoring.evaluate, after the policy."""

    name: str

    def evaluate(self, sub: Submission, *, trace: bool = True, baseline: RegionalBaseline | None = None,
                 sector_best: SectorBest | None = None) -> Outcome: ...


class BuiltinBackend:
    """Matching and scoring in plain Python: the default."""

    name = "builtin"

    def __init__(self, cp: CompiledPolicy):
        self.cp = cp

    def evaluate(self, sub: Submission, *, trace: bool = True, baseline: RegionalBaseline | None = None,
                 sector_best: SectorBest | None = None) -> Outcome:
        return evaluate(self.cp, sub, trace=trace, baseline=baseline, sector_best=sector_best)


def _durable(cp: CompiledPolicy) -> Backend:
    from .durable import DurableBackend  # optional extra: imported only when asked for

    return DurableBackend(cp)


BACKENDS: dict[str, Callable[[CompiledPolicy], Backend]] = {"builtin": BuiltinBackend, "durable": _durable}


def get_backend(name: str = "builtin") -> Callable[[CompiledPolicy], Backend]:
    """A factory: get_backend(name)(compiled_policy).evaluate(submission)."""
    try:
        return BACKENDS[name]
    except KeyError:
        raise ValueError(f'Unknown backend "{name}": use one of {", ".join(BACKENDS)}.') from None
