"""The durable-rules backend gives the built-in backend's outcomes byte for byte, and keeps durable's quirks inside.

Every test but the last needs the optional extra; they are skipped, saying so, when durable-rules is not installed.
"""
from __future__ import annotations

import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from engine import canonical_json, evaluate, parse_submission
from engine.backends import (
    DurableBackend,
    DurableBackendError,
    DurableUnavailable,
    durable as durable_backend,
    get_backend,
)
from engine.testing import generate_submissions

from tests.parity.harness import needs_durable
from tests.support import submit


@pytest.mark.slow
@needs_durable
def test_concurrent_calls_give_the_sequential_results(general, jiangsu):
    """Threads share one backend per policy, two policies at once, with the GIL switching every 10 µs."""
    work = []
    for cp in (general, jiangsu):
        backend = DurableBackend(cp)
        for raw in generate_submissions(cp.policy, 150, 3):
            sub = parse_submission(cp.policy, raw)
            work.append((backend, sub, canonical_json(backend.evaluate(sub))))
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            got = list(pool.map(lambda w: canonical_json(w[0].evaluate(w[1])), work * 3))
    finally:
        sys.setswitchinterval(interval)
    assert got == [expected for _, _, expected in work] * 3


@needs_durable
def test_each_evaluation_deletes_its_session(general, cement_raw):
    """durable-rules holds at most 1,024 live sessions per ruleset: 1,100 in a row pass only if each is deleted."""
    sub = submit(general, cement_raw)
    backend = DurableBackend(general)
    first = canonical_json(backend.evaluate(sub))
    for _ in range(1100):
        backend.evaluate(sub, trace=False)
    assert canonical_json(backend.evaluate(sub)) == first


@needs_durable
def test_an_action_that_raises_is_raised(general, cement_raw, monkeypatch):
    """durable-rules stores an action's exception in the session state; the backend raises it."""
    sub = submit(general, cement_raw)
    backend = DurableBackend(general)

    def fail(c, key, value):
        raise RuntimeError("action failed")

    monkeypatch.setattr(durable_backend, "_write", fail)
    with pytest.raises(DurableBackendError) as info:
        backend.evaluate(sub)
    assert info.value.code == "backend.durable.action_failed"
    monkeypatch.undo()
    assert canonical_json(backend.evaluate(sub)) == canonical_json(evaluate(general, sub))


@needs_durable
def test_no_timer_threads_and_a_closed_backend_refuses(general, cement_raw):
    sub = submit(general, cement_raw)
    threads = threading.active_count()
    backend = DurableBackend(general)
    backend.evaluate(sub)
    assert threading.active_count() == threads  # durable's Host would start two dispatch timers
    backend.close()
    with pytest.raises(DurableBackendError) as info:
        backend.evaluate(sub)
    assert info.value.code == "backend.durable.closed"


@needs_durable
def test_the_registry_offers_both_backends(general, cement_raw):
    sub = submit(general, cement_raw)
    expected = canonical_json(evaluate(general, sub))
    assert canonical_json(get_backend()(general).evaluate(sub)) == expected
    assert canonical_json(get_backend("durable")(general).evaluate(sub)) == expected


def test_without_the_extra_the_durable_backend_says_what_to_install(general, cement_raw, monkeypatch):
    monkeypatch.setitem(sys.modules, "durable", None)  # import durable now fails, as when it is not installed
    durable_backend._durable.cache_clear()
    try:
        with pytest.raises(DurableUnavailable) as info:
            DurableBackend(general)
        assert info.value.code == "backend.durable.unavailable"
        with pytest.raises(ImportError):
            get_backend("durable")(general)
        sub = submit(general, cement_raw)
        assert get_backend()(general).evaluate(sub).score == evaluate(general, sub).score
    finally:
        durable_backend._durable.cache_clear()
