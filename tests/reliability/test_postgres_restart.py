"""PostgreSQL restarted under load: while it is down every request fails cleanly (503 problem+json
database.unavailable, no internals), nothing is half-written, and the same server process serves again once
the database is back, without being restarted.

The cluster is a private throwaway one (initdb into a temporary folder): the shared server on 5432 is never touched.
"""
from __future__ import annotations

import http.client
import threading

import psycopg
import pytest

from tests.reliability.private_postgres import ClusterUnavailable, PrivateCluster
from tests.reliability.served import NINGBO, Server, assert_consistent, call, plant, server_env, token

pytestmark = pytest.mark.slow  # real servers or schemathesis runs: make test runs them, make test-fast does not

BOUND = 120  # seconds: a bound on a hung wait, never a measurement
CLIENTS = 6


@pytest.fixture(scope="module")
def cluster():
    try:
        private = PrivateCluster()
        private.init()
    except ClusterUnavailable as exc:
        pytest.fail(f"no private PostgreSQL cluster for the restart test: {exc}", pytrace=False)
    yield private
    private.remove()


class Load:
    """CLIENTS threads in a loop of POST evaluation, GET the evaluation list, GET the policies, until finished."""

    def __init__(self, port: int, headers: dict):
        self.port, self.headers = port, headers
        self.lock, self.changed = threading.Condition(), 0
        self.ok, self.accepted, self.unavailable, self.other = 0, [], [], []
        self.done = threading.Event()
        self.threads = [threading.Thread(target=self._client, args=(k,)) for k in range(CLIENTS)]

    def _client(self, k: int) -> None:
        n = 0
        while not self.done.is_set():
            n += 1
            kind = n % 3
            try:
                if kind == 0:
                    answer = call(self.port, "POST", "/api/v1/evaluations",
                                  {"policy": "green-factory@2025.1", "submission": plant(k * 100_000 + n)}, self.headers)
                else:
                    answer = call(self.port, "GET", "/api/v1/evaluations?limit=5" if kind == 1 else "/api/v1/policies",
                                  headers=self.headers)
            except (OSError, http.client.HTTPException) as exc:  # the server itself must stay up
                answer = (None, {}, repr(exc))
            self._record(*answer)

    def _record(self, status, headers: dict, doc) -> None:
        with self.lock:
            if status in (200, 201):
                self.ok += 1
                if status == 201:
                    self.accepted.append(doc["id"])
            elif status == 503:
                self.unavailable.append((headers.get("Content-Type"), headers.get("Retry-After"), doc))
            else:
                self.other.append((status, doc))
            self.lock.notify_all()

    def __enter__(self) -> "Load":
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc) -> None:
        self.done.set()
        for t in self.threads:
            t.join(BOUND)

    def until(self, what: str, reached) -> None:
        """Wait for reached(self); fail at once on an answer that is neither a success nor a clean 503."""
        with self.lock:
            self.lock.wait_for(lambda: reached(self) or self.other, BOUND)
            assert not self.other, f"while waiting for {what}: {self.other[:3]}"
            assert reached(self), (f"not reached within {BOUND} s: {what} (ok {self.ok},"
                                   f" 503 {len(self.unavailable)})")


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_postgres_restarted_under_load(cluster, tmp_path, mode):
    name = f"gf_restart_{mode}"
    with psycopg.connect(cluster.url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    env = server_env(cluster.url.rsplit("/", 1)[0] + f"/{name}")
    headers = token(env, "enterprise", "--enterprise", NINGBO)
    server = Server(env, tmp_path / "server.log").start()
    try:
        with Load(server.port, headers) as load:
            load.until("requests served before the restart", lambda s: s.ok >= 10)
            cluster.stop(mode)
            load.until("requests refused while PostgreSQL is down", lambda s: len(s.unavailable) >= 5)
            cluster.start()
            served_before = load.ok
            load.until("requests served after the restart", lambda s: s.ok >= served_before + 20)
        assert server.process.poll() is None, "the server process ended"
    finally:
        server.stop()

    assert load.other == [], load.other[:5]  # nothing but success or a clean 503: no 500, no dropped connection
    for content_type, retry_after, doc in load.unavailable:
        assert (content_type, retry_after, doc["status"], doc["code"]) == (
            "application/problem+json", "5", 503, "database.unavailable"), doc
        assert "psycopg" not in str(doc).lower() and "sqlalchemy" not in str(doc).lower(), doc  # no internals
    assert_consistent(env, load.accepted)
