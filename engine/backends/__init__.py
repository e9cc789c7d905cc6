"""Other ways to match a compiled policy's rules, each ending in engine.scoring.evaluator.assemble so that they
differ only in how they match: the registry (registry.get_backend: "builtin", the default, and "durable"), and the
durable-rules backend (durable, which translates the policy into rete productions: translation, rete). Every
backend's evaluate takes the same arguments as engine.scoring.evaluate.

durable-rules is an optional extra: importing this package does not import it.
"""
from .durable import DurableBackend, DurableBackendError, DurableUnavailable, require_durable
from .registry import BACKENDS, Backend, BuiltinBackend, get_backend
from .rete import FALSE, TRUE, all_of, any_of, cmp, conjunctions, layout, negate, stack_bound

__all__ = ["BACKENDS", "Backend", "BuiltinBackend", "DurableBackend", "DurableBackendError", "DurableUnavailable",
           "FALSE", "TRUE", "all_of", "any_of", "cmp", "conjunctions", "get_backend", "layout", "negate",
           "require_durable", "stack_bound"]
