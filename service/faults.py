"""A test-only fault point: the process kills itself (SIGKILL, as kill -9 would) in the middle of a write.

Off unless the settings' `fault` (the environment variable GF_FAULT) names an audit action, optionally with a count:

    GF_FAULT=policy.publish          die at the first publish
    GF_FAULT=evaluation.create@20    die at the 20th evaluation stored by this process

Every write appends its audit entry last, in the same transaction, so the point sits where a crash hurts most:
the write's rows and its audit entry are flushed to the database, the transaction is not yet committed.
tests/reliability/test_faults.py starts the real server with it and checks that, after a restart, nothing is
half-written. The database's write sessions carry the point (session.info), so a process without one never does
more than a dictionary look-up per write.
"""
from __future__ import annotations

import itertools
import os
import signal
import threading

from sqlalchemy.orm import Session

INFO_KEY = "greenfactory.fault"


class FaultPoint:
    """Where to die: the n-th append of one audit action."""

    def __init__(self, spec: str):
        action, _, nth = spec.partition("@")
        self.action = action
        self.at = int(nth) if nth.isdigit() else 1
        self._hits = itertools.count(1)
        self._lock = threading.Lock()

    def reached(self, action: str) -> bool:
        if action != self.action:
            return False
        with self._lock:
            return next(self._hits) == self.at


def point(action: str, session: Session) -> None:
    """Kill this process here if the session's fault point names this action and this is its counted occurrence."""
    fault = session.info.get(INFO_KEY)
    if fault is not None and fault.reached(action):
        session.flush()  # the rows in the database, uncommitted, when the process dies
        os.kill(os.getpid(), signal.SIGKILL)
