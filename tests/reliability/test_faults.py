"""Faults: the real server (a subprocess) killed with SIGKILL in the middle of writes, then restarted.

Deterministic by the test-only fault point of service/faults.py: GF_FAULT=<audit action>[@n] makes the server
kill itself after the write's rows and audit entry are flushed and before they commit. One test kills it from
outside instead, at whatever moment the concurrent uploads are in. After each crash: every request answered 201
is stored, every stored evaluation has its audit entry and every entry its evaluation, the chain's head is its
last entry, nothing of the interrupted write exists, and `greenfactory audit verify` exits 0.
PostgreSQL restarted under load is in test_postgres_restart.py.
"""
from __future__ import annotations

import http.client
import os
import signal
import threading
from contextlib import ExitStack

import pytest

from engine.submission import with_check_digit
from tests.reliability.served import NINGBO, Server, assert_consistent, call, count, plant, server_env, \
    shared_postgres_database, sqlite_url, stored, token
from tests.support import ROOT

pytestmark = pytest.mark.slow  # real servers or schemathesis runs: make test runs them, make test-fast does not

GONE = (OSError, http.client.HTTPException)  # the server vanished: connection refused, reset or cut mid-response
CLIENTS = 6
BOUND = 120  # seconds: a bound on a hung wait, never a measurement


@pytest.fixture(params=["sqlite", "postgres"])
def env(request, tmp_path):
    """The environment of the server and the CLI: a fresh database of either backend."""
    with ExitStack() as stack:
        if request.param == "sqlite":
            url = sqlite_url(tmp_path)
        elif os.environ.get("GF_SKIP_POSTGRES") == "1":
            pytest.skip("GF_SKIP_POSTGRES=1: PostgreSQL tests skipped on purpose")
        else:
            url = stack.enter_context(shared_postgres_database())
        yield server_env(url)


@pytest.fixture
def sqlite_env(tmp_path):
    return server_env(sqlite_url(tmp_path))


@pytest.fixture
def server(env, tmp_path):
    served = Server(env, tmp_path / "server.log")
    yield served
    served.stop()


def upload_concurrently(server: Server, headers: dict, accepted: list, enough: threading.Event | None = None,
                        per_client: int = 40) -> list[int]:
    """CLIENTS threads POST evaluations until the server is gone; the ids answered 201 go to accepted, and
    enough is set once 15 are in. Returns every status seen."""
    statuses, lock = [], threading.Lock()

    def client(k: int) -> None:
        for n in range(per_client):
            try:
                status, _, doc = call(server.port, "POST", "/api/v1/evaluations",
                                      {"policy": "green-factory@2025.1", "submission": plant(k * per_client + n)},
                                      headers)
            except GONE:
                return
            with lock:
                statuses.append(status)
                if status == 201:
                    accepted.append(doc["id"])
                    if enough is not None and len(accepted) >= 15:
                        enough.set()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(BOUND)
    return statuses


def cut_off(server: Server, path: str, body: dict | bytes | None, headers: dict) -> None:
    """POST a request that the fault point kills the server under: no answer, and the process died of SIGKILL."""
    try:
        status, _, doc = call(server.port, "POST", path, body, headers)
    except GONE:
        assert server.died() == -signal.SIGKILL, server.log()
        return
    raise AssertionError(f"{path} was answered {status}: the fault point was not reached: {doc}")


def test_kill_at_a_fault_point_during_concurrent_uploads(env, server):
    headers = token(env, "enterprise", "--enterprise", NINGBO)
    server.start(fault="evaluation.create@12")
    accepted: list[str] = []
    statuses = upload_concurrently(server, headers, accepted)
    assert server.died() == -signal.SIGKILL, "the fault point was not reached"
    assert set(statuses) <= {201}, statuses
    held = assert_consistent(env, accepted)
    assert len(held["evaluations"]) <= 11, "the 12th evaluation was committed although its process died before"

    server.start()  # the restarted service serves, and what was stored reads back
    for evaluation_id in accepted:
        assert call(server.port, "GET", f"/api/v1/evaluations/{evaluation_id}", headers=headers)[0] == 200
    status, _, doc = call(server.port, "POST", "/api/v1/evaluations",
                          {"policy": "green-factory@2025.1", "submission": plant(9999)}, headers)
    assert status == 201, doc
    assert doc["id"] in stored(env["GF_DATABASE_URL"])["audited"]


def test_kill_9_from_outside_during_concurrent_uploads(env, server):
    headers = token(env, "enterprise", "--enterprise", NINGBO)
    server.start()
    accepted: list[str] = []
    enough = threading.Event()
    killer = threading.Thread(target=lambda: enough.wait(BOUND) and server.kill())
    killer.start()
    statuses = upload_concurrently(server, headers, accepted, enough)
    killer.join(BOUND)
    assert enough.is_set() and server.process.returncode == -signal.SIGKILL, "the server was not killed mid-upload"
    assert set(statuses) <= {201}, statuses
    held = assert_consistent(env, accepted)
    assert len(held["evaluations"]) < CLIENTS * 40, "every upload finished before the kill: nothing was interrupted"


def test_kill_during_a_publish_leaves_the_draft(env, server):
    admin = token(env, "policy_admin")
    server.start(fault="policy.publish")
    draft = (ROOT / "tests" / "fixtures" / "mini" / "2025.1.yaml").read_bytes()
    status, _, doc = call(server.port, "POST", "/api/v1/policies/mini/versions", draft,
                          {**admin, "Content-Type": "application/yaml"})
    assert status == 201, doc
    uploaded = doc["digest"]
    cut_off(server, "/api/v1/policies/mini/versions/2025.1/publish", None, admin)

    server.start()  # the draft as uploaded: status, text and digest, none of them half-published
    status, _, doc = call(server.port, "GET", "/api/v1/policies/mini/versions/2025.1", headers=admin)
    assert (status, doc["status"], doc["digest"]) == (200, "draft", uploaded), doc
    status, _, text = call(server.port, "GET", "/api/v1/policies/mini/versions/2025.1",
                           headers={**admin, "Accept": "application/yaml"})
    assert status == 200 and b"\nstatus: draft\n" in text
    held = assert_consistent(env, [])
    assert held["actions"][-1] == "policy.upload" and "policy.publish" not in held["actions"]
    status, _, doc = call(server.port, "POST", "/api/v1/policies/mini/versions/2025.1/publish", headers=admin)
    assert (status, doc["status"]) == (200, "published"), doc  # and it publishes once the fault is gone
    assert stored(env["GF_DATABASE_URL"])["actions"][-1] == "policy.publish"


def ningbo_factories(how_many: int) -> list[dict]:
    return [{"uscc": with_check_digit(f"91330212MA{n:07d}"), "name": f"宁波工厂{n}", "region": "330212",
             "sector": "general", "national_year": "2021", "provincial_year": "2019"} for n in range(how_many)]


BULK = 150  # rows per bulk request


@pytest.mark.parametrize("fault", ["factory.import", "round.submissions", "round.run"])
def test_kill_during_a_bulk_write(sqlite_env, tmp_path, fault):
    """The factory import, a round's submissions and a round's run each write many rows in one request (on SQLite
    only: the transactions are the same code on both backends, and the upload tests cover PostgreSQL)."""
    env, server = sqlite_env, Server(sqlite_env, tmp_path / "server.log")
    try:
        bulk_write_killed(env, server, fault)
    finally:
        server.stop()


def bulk_write_killed(env: dict, server: Server, fault: str) -> None:
    admin = token(env, "policy_admin")
    url = env["GF_DATABASE_URL"]
    server.start(fault=fault)
    steps = [
        ("factory.import", "/api/v1/factories", {"rows": ningbo_factories(BULK // 2)}),
        (None, "/api/v1/rounds", {"id": "2026", "policy": "green-factory@2026.1"}),
        ("round.submissions", "/api/v1/rounds/2026/submissions",
         {"rows": [{"submission": plant(n, with_check_digit(f"91330212MA{n:07d}"))} for n in range(BULK)]}),
        ("round.run", "/api/v1/rounds/2026/run", None),
    ]
    for action, path, body in steps:
        if action == fault:
            cut_off(server, path, body, admin)
            break
        status, _, doc = call(server.port, "POST", path, body, admin)
        assert status in (200, 201), doc

    held = assert_consistent(env, [])
    assert fault not in held["actions"]
    if fault == "factory.import":
        assert count(url, "SELECT count(*) FROM factories") == 0
    if fault == "round.submissions":  # neither the entries nor the applicants they would have added
        assert count(url, "SELECT count(*) FROM round_entries") == 0
        assert count(url, "SELECT count(*) FROM factories") == BULK // 2
    if fault == "round.run":  # still open, nothing evaluated; and it runs once restarted
        assert count(url, "SELECT count(*) FROM round_entries WHERE evaluation_id IS NULL") == BULK
        assert count(url, "SELECT count(*) FROM baseline_snapshots") == 0
        assert not held["evaluations"]
        server.start()
        status, _, doc = call(server.port, "POST", "/api/v1/rounds/2026/run", headers=admin)
        assert (status, doc["evaluated"]) == (200, BULK), doc
        held = stored(url)
        assert len(held["evaluations"]) == BULK and held["evaluations"] == held["audited"]
