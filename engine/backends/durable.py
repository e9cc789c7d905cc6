"""The durable-rules backend: a compiled policy's rules matched by durable-rules' Rete network.

The only module that imports durable, lazily, so that the engine runs without the optional extra
(`pip install -e .[durable]`). engine.backends.translation builds the productions and the fact, engine.backends.rete their
conjunctive form; this module renders them into durable's JSON rule language, runs one fact per evaluation and
reads back what the actions wrote. durable-rules 2.0.28's quirks stay here (see also shared/DURABLE_RULES.md):

- `$or` in a pattern corrupts the C heap: a segfault when no rule fires, "free(): invalid size" in a later
  delete_state with this policy's rules; so rules are plain conjunctions, one durable rule per disjoint
  conjunction of a production (engine.backends.rete);
- the alpha network is walked with a fixed stack of 64 nodes: a fact that matches more children at once fails
  with error 303; rules sit under two levels of groups, and the bound is checked when the backend is built;
- at most 4,096 rules per ruleset: checked;
- the durable.lang DSL keeps a global Host whose timer threads run pending actions on their own schedule: each
  backend has its own Host, without those threads, so every action runs inside assert_fact on the caller's thread;
- not thread-safe, and its C state is process-wide: one process-wide lock across assert, state read and delete;
- at most 1,024 live session ids per ruleset: a fresh sid per evaluation, its state always deleted afterwards;
- an exception inside an action is stored in the state, not raised: raised here as DurableBackendError;
- a ruleset name is registered once per Host, and the C engine keeps it until deleted: the name carries the
  policy digest, and close() deletes it;
- a fact that matches no rule raises MessageNotHandledException: here that means "nothing fired", not an error.
"""
from __future__ import annotations

import itertools
import re
import threading
from functools import cache
from types import ModuleType
from typing import Any

from ..issue import BackendError
from ..scoring.compiled import CompiledPolicy
from ..scoring.context import RegionalBaseline, SectorBest
from ..scoring.evaluator import assemble
from ..scoring.trace import Outcome
from ..submission.record import Submission
from .rete import Rule, conjunctions, layout, stack_bound
from .translation import Translation

EXTRA = "pip install -e .[durable]"
MAX_STACK = 64  # events.c MAX_STACK_SIZE
MAX_RULES = 4096  # rete.c MAX_ACTIONS
_LOCK = threading.Lock()  # durable's C engine is process-wide state: one caller at a time, whatever the backend


class DurableUnavailable(BackendError, ImportError):
    """durable-rules is not installed."""

    def __init__(self, message: str):
        super().__init__("backend.durable.unavailable", message)


class DurableBackendError(BackendError, RuntimeError):
    """durable-rules cannot run this policy, or failed on a submission."""


@cache
def _durable() -> tuple[ModuleType, type]:
    """durable.engine and a Host class without timer threads; DurableUnavailable when the extra is missing."""
    try:
        from durable import engine
    except ImportError as exc:
        raise DurableUnavailable(f"The durable backend needs durable-rules: install the extra with `{EXTRA}`.") from exc

    class QuietHost(engine.Host):
        """A Host whose actions run only inside the call that asserts the fact.

        engine.Host.__init__ starts two threads that re-arm every 0.2 s and dispatch the pending actions and timers
        of every ruleset; this backend uses neither timers nor queued events, and those threads would race the lock.
        """

        def _run(self) -> None:
            pass

    return engine, QuietHost


def require_durable() -> None:
    """Raise DurableUnavailable, naming the extra to install, unless durable-rules can be imported."""
    _durable()


def _write(c: Any, key: str, value: Any) -> None:
    """What every action does: record one selection in the session state; two for one key is a translation bug."""
    if key in c.s:
        raise RuntimeError(f"two rules matched for {key}")
    c.s[key] = value


def _recorder(key: str, value: Any):
    def record(c):  # durable reads the arity: one argument makes a synchronous action
        _write(c, key, value)
    return record


def _literal(lit: tuple) -> dict:
    _, slot, op, value = lit
    return {slot: value} if op == "eq" else {f"${op}": {slot: value}}


def definition(rules: list[Rule]) -> dict:
    """The ruleset in durable's JSON rule language; each rule a conjunction over one fact."""
    return {r.name: {"all": [{"m": {"$and": [_literal(lit) for lit in r.conjunction]}}],
                     "run": _recorder(r.key, r.value)} for r in rules}


def ruleset_name(cp: CompiledPolicy) -> str:
    p = cp.policy
    return re.sub(r"[^A-Za-z0-9_]", "_", f"{p.id}_{p.version}_{p.digest.split(':')[-1][:16]}")


class DurableBackend:
    """Evaluate submissions of one compiled policy on durable-rules; outcomes equal the built-in backend's."""

    name = "durable"

    def __init__(self, cp: CompiledPolicy):
        engine, host_class = _durable()
        self.cp = cp
        self.translation = Translation(cp)
        self.rules, self._groups = layout([(f"{p.name}#{k}", conj, p.key, p.value)
                                           for p in self.translation.productions
                                           for k, conj in enumerate(conjunctions(p.pattern))])
        if len(self.rules) > MAX_RULES or stack_bound(self.rules) >= MAX_STACK:
            raise DurableBackendError("backend.durable.too_large", f"{len(self.rules)} rules with an alpha stack of"
                                      f" {stack_bound(self.rules)}: durable-rules allows {MAX_RULES} and {MAX_STACK}.")
        self.ruleset = ruleset_name(cp)
        self._not_handled = engine.MessageNotHandledException
        self._engine_error = engine.durable_rules_engine.error
        self._delete_ruleset = engine.durable_rules_engine.delete_ruleset
        self._sids = itertools.count()
        self._closed = False
        self._host = host_class()
        with _LOCK:
            self._host.register_rulesets({self.ruleset: definition(self.rules)})

    def evaluate(self, sub: Submission, *, trace: bool = True, baseline: RegionalBaseline | None = None,
                 sector_best: SectorBest | None = None) -> Outcome:
        state = self.selections(sub)
        t = self.translation
        return assemble(self.cp, sub, t.gate_results(state), t.scored(state, sub), trace=trace, baseline=baseline,
                        sector_best=sector_best)

    def selections(self, sub: Submission) -> dict:
        """Run one fact through the network: the state its actions wrote. The session is deleted afterwards."""
        fact = self.translation.fact(sub)
        fact.update(self._groups)
        with _LOCK:
            if self._closed:
                raise DurableBackendError("backend.durable.closed", "This backend was closed: create a new one.")
            sid = fact["sid"] = str(next(self._sids))
            try:
                try:
                    self._host.assert_fact(self.ruleset, fact)
                except self._not_handled:
                    pass  # no rule matched: no gate decidable and no policy rule
                except self._engine_error as exc:
                    raise DurableBackendError("backend.durable.engine",
                                              f"durable-rules refused the fact: {exc}") from exc
                state = self._host.get_state(self.ruleset, sid)
            finally:
                self._host.delete_state(self.ruleset, sid)
        if "exception" in state:
            raise DurableBackendError("backend.durable.action_failed",
                                      f"A durable-rules action failed: {state['exception']}")
        return state

    def close(self) -> None:
        """Free the engine's copy of the ruleset; the backend cannot evaluate afterwards."""
        with _LOCK:
            if not self._closed:
                self._closed = True
                self._delete_ruleset(self._host.get_ruleset(self.ruleset)._handle)

    def __enter__(self) -> DurableBackend:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
