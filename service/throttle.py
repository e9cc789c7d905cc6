"""Failed sign-ins and failed API tokens, counted per client address: past the limit in a sliding minute, every
attempt from that address is refused with 429 and Retry-After until the oldest failure is a minute old.

Guessing a token (43 random characters) is hopeless anyway; the limit keeps a guesser from loading the database and
the log, and the log line names the address so an operator can block it. Counts live in this process: behind
several processes each counts its own, which only makes the bound proportionally looser.
"""
from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from typing import Callable

from flask import Flask, current_app, request

from .errors import TooManyRequests

WINDOW = 60.0  # seconds
MAX_ADDRESSES = 10_000  # addresses remembered at once: a bound on memory however many addresses fail
log = logging.getLogger("greenfactory.auth")


class FailureLimit:
    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic):
        self.per_minute = per_minute
        self.clock = clock
        self._failures: dict[str, deque] = {}
        self._lock = threading.Lock()

    def retry_after(self, address: str) -> int | None:
        """Seconds until address may try again, or None when it may now (always, with a limit of 0)."""
        if self.per_minute <= 0 or address not in self._failures:  # the common case, without the lock
            return None
        now = self.clock()
        with self._lock:
            seen = self._failures.get(address)
            if seen is None:
                return None
            while seen and seen[0] <= now - WINDOW:
                seen.popleft()
            if len(seen) < self.per_minute:
                return None
            return max(1, math.ceil(seen[0] + WINDOW - now))

    def failed(self, address: str) -> None:
        if self.per_minute <= 0:
            return
        now = self.clock()
        with self._lock:
            seen = self._failures.setdefault(address, deque(maxlen=self.per_minute))
            seen.append(now)
            if len(self._failures) > MAX_ADDRESSES:
                self._forget(now)

    def _forget(self, now: float) -> None:
        """Drop addresses with no failure in the window; if still too many, the ones that failed first."""
        for address in [a for a, seen in self._failures.items() if not seen or seen[-1] <= now - WINDOW]:
            del self._failures[address]
        while len(self._failures) > MAX_ADDRESSES:
            del self._failures[next(iter(self._failures))]


def _limit() -> FailureLimit:
    return current_app.extensions["greenfactory_failures"]


def client_address() -> str:
    """The client's address as the WSGI server saw it (behind a trusted proxy, waitress puts X-Forwarded-For here)."""
    return request.remote_addr or "unknown"


def check() -> None:
    """Refuse the attempt with 429 if this address failed too often in the last minute."""
    wait = _limit().retry_after(client_address())
    if wait is not None:
        raise TooManyRequests("auth.throttled", f"Too many failed sign-ins or tokens from this address: try again in"
                              f" {wait} seconds.",
                              headers={"Retry-After": str(wait)})


def failed(code: str) -> None:
    """Log a failed sign-in or token (never the token itself) and count it against the address."""
    address = client_address()
    log.warning("authentication failed: %s from %s on %s %s", code, address, request.method, request.path)
    _limit().failed(address)


def init_app(app: Flask, per_minute: int) -> None:
    app.extensions["greenfactory_failures"] = FailureLimit(per_minute)
