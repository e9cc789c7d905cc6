"""A test-only fault point: the process kills itself (SIGKILL, as kill -9 would) in the middle of a write.

Off unless the environment variable GF_FAULT names an audit action, optionally with a count:

    GF_FAULT=policy.publish          die at the first publish
    GF_FAULT=evaluation.create@20    die at the 20th evaluation stored by this process

Every write appends its audit entry last, in the same transaction, so the point sits where a crash hurts most:
the write's rows and its audit entry are flushed to the database, the transaction is not yet committed.
tests/reliability/test_faults.py starts the real server with it and checks that, after a restart, nothing is
half-written. Read once at import: a process without GF_FAULT never does more than one comparison per write.
"""
from __future__ import annotations

import itertools
import os
import signal
import threading

_ACTION, _, _NTH = os.environ.get("GF_FAULT", "").partition("@")
_AT = int(_NTH) if _NTH.isdigit() else 1
_hits = itertools.count(1)
_lock = threading.Lock()


def point(action: str, session) -> None:
    """Kill this process here if GF_FAULT names this action and this is its counted occurrence."""
    if not _ACTION or action != _ACTION:
        return
    with _lock:
        hit = next(_hits)
    if hit == _AT:
        session.flush()  # the rows in the database, uncommitted, when the process dies
        os.kill(os.getpid(), signal.SIGKILL)
