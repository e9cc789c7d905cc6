"""Concurrency: threads give exactly what one thread gives.

- The engine: many threads evaluate generated submissions under four policy versions at once, with the built-in
  and the durable-rules backend; every outcome's canonical JSON equals a sequential built-in run's, byte for byte.
- The service: threads post evaluations to one app (SQLite and PostgreSQL); every accepted one is stored once,
  with the outcome a sequential engine run gives, and `greenfactory audit verify` passes afterwards.
- Publishing: two policy admins publish one draft at the same moment; exactly one gets 200, the other 409, and
  the audit log records one publish.

No timing is asserted; the checks are about results only. The two publishers of a version meet at a barrier
before they call, so that their requests overlap.
"""
from __future__ import annotations

import json
import random
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from engine import Catalog, canonical_json, parse_submission
from engine.backends import DurableUnavailable, get_backend, require_durable
from engine.testing import generate_submissions
from service.models import AuditEntry, Evaluation
from tools.cli import main

from tests.service.service_helpers import mini_yaml, submission
from tests.support import ROOT

VERSIONS = ("green-factory@2025.1", "green-factory@2026.1", "green-factory-js@2025.1", "green-factory-js@2026.1")
THREADS = 8
PER_VERSION = 40
BOUND = 120  # seconds: a bound on a hung barrier, never a measurement


@pytest.fixture(scope="module")
def compiled() -> dict:
    catalog = Catalog.from_dir(ROOT / "policies")
    return {ref: catalog.get(ref) for ref in VERSIONS}


def run_on_threads(jobs: list, work, threads: int = THREADS) -> list:
    """work(job) for every job on `threads` threads at once; the results in job order."""
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(work, jobs))


# -- the engine -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("backend", ["builtin", "durable"])
def test_threads_under_four_versions_give_the_sequential_bytes(compiled, backend):
    if backend == "durable":
        try:
            require_durable()
        except DurableUnavailable:
            pytest.skip("durable-rules is not installed: pip install -e .[durable]")
    jobs = [(ref, raw) for seed, ref in enumerate(VERSIONS)
            for raw in generate_submissions(compiled[ref].policy, PER_VERSION, seed)]
    sequential = [canonical_json(get_backend("builtin")(compiled[ref]).evaluate(parse_submission(compiled[ref].policy, raw)))
                  for ref, raw in jobs]

    backends = dict(zip(VERSIONS, run_on_threads(list(VERSIONS), lambda ref: get_backend(backend)(compiled[ref]), 4)))
    order = list(range(len(jobs))) * 2  # every submission twice, the copies on different threads
    random.Random(7).shuffle(order)

    def evaluate_one(i: int) -> bytes:
        ref, raw = jobs[i]
        return canonical_json(backends[ref].evaluate(parse_submission(compiled[ref].policy, raw)))

    try:
        concurrent = run_on_threads(order, evaluate_one)
    finally:
        for b in backends.values():
            getattr(b, "close", lambda: None)()
    wrong = [i for i, got in zip(order, concurrent) if got != sequential[i]]
    assert wrong == []
    assert len({sequential[i] for i in order}) > len(jobs) // 2, "the submissions differ: the test compares something"


# -- the service --------------------------------------------------------------------------------------------------

def variant(ref: str, n: int) -> dict:
    """A submission the posting token may send: Ningbo's plant for green-factory, Kunshan's for green-factory-js."""
    sub = submission("general-plant-js.json" if ref.startswith("green-factory-js") else "general-plant.json")
    sub["data"]["carbon_intensity"] = 40 + n
    sub["data"]["renewable_share"] = n % 90
    return sub


def audit_verifies(capsys, database_url: str) -> str:
    code = main(["audit", "verify", "--database-url", database_url])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    return out


def test_threads_posting_evaluations_store_each_once_and_the_audit_chain_verifies(app, tokens, database_url,
                                                                                   compiled, capsys):
    jobs = [(ref, n) for n in range(12) for ref in VERSIONS]

    def post(job):
        ref, n = job
        headers = tokens["other_enterprise" if ref.startswith("green-factory-js") else "enterprise"]
        r = app.test_client().post("/api/v1/evaluations", json={"policy": ref, "submission": variant(ref, n)},
                                   headers=headers)
        return r.status_code, (r.json or {}).get("id")

    answers = run_on_threads(jobs, post)
    assert [status for status, _ in answers] == [201] * len(jobs)
    ids = [eid for _, eid in answers]
    assert len(set(ids)) == len(jobs)

    with app.extensions["greenfactory"].db.read() as session:
        stored = {row.id: row for row in session.execute(select(Evaluation)).scalars()}
        created = list(session.execute(select(AuditEntry.subject).where(AuditEntry.action == "evaluation.create"))
                       .scalars())
    assert sorted(stored) == sorted(ids), "every accepted evaluation is stored, and nothing else"
    assert sorted(created) == sorted(ids), "one audit entry each"
    for (ref, n), eid in zip(jobs, ids):
        cp = compiled[ref]
        assert stored[eid].outcome == canonical_json(get_backend("builtin")(cp).evaluate(
            parse_submission(cp.policy, variant(ref, n)))), (ref, n)
    assert f"{len(jobs)} evaluations replayed, 0 findings" in audit_verifies(capsys, database_url)


def test_two_publishers_racing_on_one_draft_one_wins(app, tokens, database_url, capsys):
    admin = tokens["policy_admin"]
    versions = [f"2027.{n}" for n in range(1, 7)]
    for version in versions:
        assert app.test_client().post("/api/v1/policies/mini/versions", data=mini_yaml(version),
                                      content_type="application/yaml", headers=admin).status_code == 201

    meet = {version: threading.Barrier(2, timeout=BOUND) for version in versions}

    def publish(version: str):
        meet[version].wait()
        r = app.test_client().post(f"/api/v1/policies/mini/versions/{version}/publish", headers=admin)
        return version, r.status_code, (r.json or {}).get("code")

    answers = run_on_threads([v for v in versions for _ in range(2)], publish, threads=2)
    for version in versions:
        outcomes = sorted((status, code) for v, status, code in answers if v == version)
        assert [status for status, _ in outcomes] == [200, 409], (version, outcomes)
        assert outcomes[1][1] in ("policy.version.changed", "policy.version.published"), outcomes

    client = app.test_client()
    for version in versions:
        assert client.get(f"/api/v1/policies/mini/versions/{version}", headers=admin).json["status"] == "published"
    with app.extensions["greenfactory"].db.read() as session:
        published = list(session.execute(select(AuditEntry.subject).where(AuditEntry.action == "policy.publish"))
                         .scalars())
    assert sorted(published) == sorted(f"mini@{v}" for v in versions), "one publish recorded per version"
    audit_verifies(capsys, database_url)
