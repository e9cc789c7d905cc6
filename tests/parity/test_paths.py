"""Every scoring path gives the exact evaluator's bytes: on generated submissions of every bundled policy and of the
fixture policies, with regional baselines and sector bests, and on every golden case.

The exact evaluator (engine.evaluate) is the definition; the population evaluator and the durable-rules backend
are compared with it through tests/parity/harness.py.
"""
from __future__ import annotations


import pytest

from engine import compile_policy, load_policy_file
from engine.cohort import sector_bests
from engine.policy import parse
from engine.testing import generate_submissions
from engine.versions import case_files

from tests.parity import harness
from tests.parity.harness import MARKS, needs_durable
from tests.support import ROOT

BUNDLED = ["green-factory@2025.1", "green-factory-js@2025.1", "green-factory@2026.1", "green-factory-js@2026.1"]
FIXTURES = ["mini", "conditions"]


@pytest.fixture(scope="module")
def policies(catalog):
    fixtures = {name: compile_policy(load_policy_file(ROOT / "tests" / "fixtures" / name / "2025.1.yaml"))
                for name in FIXTURES}
    return {**{ref: catalog.get(ref) for ref in BUNDLED}, **fixtures}


def inputs(cp, n: int, seed: int):
    raws = generate_submissions(cp.policy, n, seed)
    subs = harness.parsed(cp, raws)
    bests = sector_bests(cp.policy, [(s.sector, s.data) for s in subs[: n // 4]], "2025-12-31")
    return raws, subs, [MARKS[i % 3] for i in range(n)], bests


@pytest.mark.parametrize("name", BUNDLED + FIXTURES)
def test_the_population_evaluator_gives_the_exact_bytes(policies, name):
    cp = policies[name]
    raws, subs, baselines, bests = inputs(cp, 600, 31)
    reference = harness.exact(cp, subs, baselines, bests, trace=False)
    assert harness.mismatches(reference, harness.population(cp, raws, subs, baselines, bests)) == []
    rows = range(0, 600, 13)  # a row's trace, rebuilt on demand, is the exact evaluator's
    traced = harness.exact(cp, [subs[i] for i in rows])
    assert harness.mismatches(traced, harness.population_traces(cp, raws, rows)) == []


@needs_durable
@pytest.mark.parametrize("name", BUNDLED + FIXTURES)
def test_the_durable_backend_gives_the_exact_bytes(policies, name):
    cp = policies[name]
    _, subs, baselines, bests = inputs(cp, 300, 32)
    reference = harness.exact(cp, subs, baselines, bests)
    assert harness.mismatches(reference, harness.durable(cp, subs, baselines, bests)) == []


def plain(value):
    """The YAML's mappings and sequences as dicts and lists (numbers stay the Decimals the case file holds)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def golden_inputs(catalog, ref: str):
    cp = catalog.get(ref)
    raws = []
    for path in case_files(ROOT / "policies", cp.policy.id):
        doc = parse(path.read_bytes(), str(path)).data
        if not doc.get("versions") or cp.policy.version in doc["versions"]:
            raws.append(plain(doc["submission"]))
    return cp, raws


@pytest.mark.parametrize("ref", BUNDLED)
def test_every_path_gives_the_exact_bytes_on_the_golden_cases(catalog, ref):
    cp, raws = golden_inputs(catalog, ref)
    assert raws, "every bundled policy has golden cases"
    subs = harness.parsed(cp, raws)
    reference = harness.exact(cp, subs, trace=False)
    assert harness.mismatches(reference, harness.population(cp, raws, subs)) == []
    if harness.durable_installed():
        assert harness.mismatches(harness.exact(cp, subs), harness.durable(cp, subs)) == []
