"""Backends that evaluate a compiled policy: the built-in one (default) and durable-rules (optional)."""
from __future__ import annotations

from typing import Callable

from .compiler import CompiledPolicy
from .evaluator import RegionalBaseline, evaluate
from .submission import Submission
from .trace import Outcome


class BuiltinBackend:
    """Matching and scoring in plain Python: the default."""

    name = "builtin"

    def __init__(self, cp: CompiledPolicy):
        self.cp = cp

    def evaluate(self, sub: Submission, *, trace: bool = True, baseline: RegionalBaseline | None = None) -> Outcome:
        return evaluate(self.cp, sub, trace=trace, baseline=baseline)


def _durable(cp: CompiledPolicy):
    from .durable_backend import DurableBackend  # optional extra: imported only when asked for

    return DurableBackend(cp)


BACKENDS: dict[str, Callable[[CompiledPolicy], object]] = {"builtin": BuiltinBackend, "durable": _durable}


def get_backend(name: str = "builtin") -> Callable[[CompiledPolicy], object]:
    """A factory: get_backend(name)(compiled_policy).evaluate(submission)."""
    try:
        return BACKENDS[name]
    except KeyError:
        raise ValueError(f'Unknown backend "{name}": use one of {", ".join(BACKENDS)}.') from None
