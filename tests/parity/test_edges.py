"""The paths agree where they are most likely to part: numbers exactly on thresholds, band and tier edges, on x.xx5
rounding boundaries and one float step either side (100,000 population rows), under every rounding rule, over
thousands of durable-rules evaluations that reach every status, scope and decision, and over drawn submissions."""
from __future__ import annotations

import random
from collections import Counter

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import compile_policy, evaluate, load_policy_file, load_policy_text, parse_submission
from engine.cohort import sector_bests
from engine.policy import set_scalar
from engine.population import bind, evaluate_population, frame_of
from engine.testing import generate_submissions

from tests.parity import harness
from tests.parity.harness import MARKS, needs_durable
from tests.support import ROOT, same_outcome, variants

SIZE = 50_000  # per policy: 100,000 in all


@pytest.mark.slow
@pytest.mark.parametrize("ref", ["green-factory@2026.1", "green-factory-js@2026.1"])
def test_every_number_agrees_on_50000_submissions_per_policy(catalog, ref):
    cp = catalog.get(ref)
    raws, subs = variants(cp, SIZE, seed=11)
    rng = random.Random(5)
    for i in rng.sample(range(2000, SIZE), 150):  # the variants are what intake makes of their JSON
        parsed = parse_submission(cp.policy, raws[i])
        assert (parsed.data, parsed.energy_use_tce, parsed.products) == (subs[i].data, subs[i].energy_use_tce,
                                                                          subs[i].products)
    bests = sector_bests(cp.policy, [(s.sector, s.data) for s in subs[:400]], "2025-12-31")
    baselines = [MARKS[i % 3] for i in range(SIZE)]

    pop = evaluate_population(bind(cp, frame_of(raws)), baseline=baselines, sector_bests=bests)
    assert pop.valid.all() and not pop.cols.issues
    wrong = [i for i, got in enumerate(pop.outcomes())
             if not same_outcome(got, evaluate(cp, subs[i], trace=False, baseline=baselines[i],
                                       sector_best=bests.get(subs[i].sector)))]
    assert wrong == []
    # the cases this test is for came up: rounding boundaries, every status, flags, flips of the decisions
    assert pop.boundary_points > 100
    statuses = {int(s) for r in pop.rules for s in np.unique(r.status)}
    assert statuses >= {0, 1} and (pop.flags != 0).any()
    assert {0, 1, 2} <= set(np.unique(pop.meets).tolist()) and {0, 1, 2} <= set(np.unique(pop.eligible).tolist())


@pytest.mark.slow
@pytest.mark.parametrize(("mode", "places"), [("down", 2), ("half_even", 2), ("half_up", 1), ("down", 0)])
def test_every_rounding_rule_agrees(jiangsu, mode, places):
    """The population's guard band follows the policy's rounding rule: its jumps are at k + 0.5 quanta, or at whole
    quanta for down; the variants sit on the jumps of this policy's quantum."""
    text = set_scalar(set_scalar(jiangsu.policy.text, ("rounding", "mode"), mode), ("rounding", "places"), places)
    cp = compile_policy(load_policy_text(text, "policies/green-factory-js/2026.1.yaml"))
    raws, subs = variants(cp, 4000, seed=3, base=500)
    pop = evaluate_population(bind(cp, frame_of(raws)))
    assert pop.valid.all() and pop.boundary_points > 100
    assert all(same_outcome(got, evaluate(cp, subs[i], trace=False)) for i, got in enumerate(pop.outcomes()))


def coverage(outcomes) -> Counter:
    seen: Counter = Counter()
    for o in outcomes:
        seen.update([f"sector:{o.sector}"] + [f"gate:{g.status}" for g in o.gates]
                    + [f"rule:{r.status}" for r in o.rules]
                    + [f"scope:{r.scope.split(':')[0]}" for r in o.rules if r.scope]
                    + [f"eligible:{o.decided('eligible')}", f"bonus:{o.bonus > 0}"]
                    + [f"flag:{f.split(':')[0]}" for f in o.flags])
    return seen


@pytest.mark.slow
@needs_durable
@pytest.mark.parametrize("ref, seed", [("green-factory@2025.1", 20251), ("green-factory-js@2025.1", 20252)])
def test_durable_agrees_on_5000_generated_submissions_per_bundled_policy(catalog, ref, seed):
    cp = catalog.get(ref)
    subs = harness.parsed(cp, generate_submissions(cp.policy, 5000, seed))
    assert harness.mismatches(harness.exact(cp, subs), harness.durable(cp, subs)) == []
    seen = coverage(evaluate(cp, sub, trace=False) for sub in subs)
    assert {k[7:] for k in seen if k.startswith("sector:")} == {s.id for s in cp.policy.sectors} | {"general"}
    for covered in ("gate:passed", "gate:failed", "gate:undetermined", "rule:scored", "rule:not_reported",
                    "scope:general", "scope:sector", "scope:product",
                    "eligible:True", "eligible:False", "eligible:None",
                    "flag:evidence_missing", "flag:industry_code_mismatch"):
        assert seen[covered] > 0, covered
    if cp.policy.bonus:
        assert seen["bonus:True"] and seen["bonus:False"]
    if any(r.applies_when for r in cp.policy.rules):
        assert seen["rule:not_applicable"] > 0


@needs_durable
def test_durable_agrees_on_every_condition_form():
    cp = compile_policy(load_policy_file(ROOT / "tests" / "fixtures" / "conditions" / "2025.1.yaml"))
    subs = harness.parsed(cp, generate_submissions(cp.policy, 2000, 7))
    assert harness.mismatches(harness.exact(cp, subs), harness.durable(cp, subs)) == []
    seen = coverage(evaluate(cp, sub, trace=False) for sub in subs)
    assert seen["rule:no_metric"] and seen["rule:not_applicable"] and seen["gate:undetermined"]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ref=st.sampled_from(["green-factory@2025.1", "green-factory-js@2025.1", "green-factory@2026.1",
                            "green-factory-js@2026.1"]),
       seed=st.integers(min_value=0, max_value=2**32), size=st.integers(min_value=1, max_value=40))
def test_the_population_evaluator_gives_what_the_exact_one_gives_on_drawn_submissions(catalog, ref, seed, size):
    cp = catalog.get(ref)
    raws = generate_submissions(cp.policy, size, seed)
    subs = harness.parsed(cp, raws)
    assert harness.mismatches(harness.exact(cp, subs, trace=False), harness.population(cp, raws, subs)) == []
