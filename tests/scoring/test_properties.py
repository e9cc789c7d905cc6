"""Properties of the evaluators, checked by Hypothesis over drawn values and generated submissions: a better value
never lowers the points; points stay within bounds and add up; evaluation is deterministic and the same with and
without its trace (the paths' agreement is in tests/parity/)."""
from __future__ import annotations

import copy
import json
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import Catalog, canonical_json, evaluate, parse_submission
from engine.testing import generate_submissions

from tests.support import EXAMPLES, ROOT

CATALOG = Catalog.from_dir(ROOT / "policies")
POLICIES = [CATALOG.get(ref) for ref in ("green-factory@2025.1", "green-factory-js@2025.1", "green-factory@2026.1",
                                         "green-factory-js@2026.1")]
BASE = json.loads((EXAMPLES / "cement-plant.json").read_text(encoding="utf-8"))
SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# every rule that reads one input, with the input's declared range and the better direction
INPUT_RULES = [(cp, cr.rule.id, cm.metric.input, cm.higher, next(i for i in cp.policy.inputs if i.id == cm.metric.input))
               for cp in POLICIES for cr in cp.rules for cm in cr.metrics
               if cm.metric.basis == "input" and cr.rule.applies_when is None]


def with_value(cp, name: str, value: Decimal) -> dict:
    raw = copy.deepcopy(BASE)
    raw["products"] = []  # so that energy_intensity is scored on its per-output-value input
    raw["data"] = {k: v for k, v in raw["data"].items() if k in {i.id for i in cp.policy.inputs}}
    raw["data"][name] = float(value) if value != value.to_integral_value() else int(value)
    raw["facts"] = {k: v for k, v in raw["facts"].items() if k in {f.id for f in cp.policy.facts}}
    return raw


def points_for(cp, rule_id: str, name: str, value: Decimal) -> Decimal:
    outcome = evaluate(cp, parse_submission(cp.policy, with_value(cp, name, value)), trace=False)
    return next(r.points for r in outcome.rules if r.id == rule_id)


def in_range(spec, value: Decimal) -> Decimal:
    low = spec.min if spec.min is not None else Decimal(0)
    high = spec.max if spec.max is not None else Decimal(10**6)
    value = min(max(value, low), high)
    return value.to_integral_value() if spec.integer else value


@SETTINGS
@given(rule=st.sampled_from(INPUT_RULES),
       x=st.decimals(min_value=0, max_value=100_000, places=3, allow_nan=False, allow_infinity=False),
       step=st.decimals(min_value=0, max_value=5_000, places=3, allow_nan=False, allow_infinity=False))
def test_a_better_value_never_lowers_the_points(rule, x, step):
    cp, rule_id, name, higher, spec = rule
    moved = x + step if higher else max(x - step, Decimal(0))
    worse, better = in_range(spec, x), in_range(spec, moved)  # clamping both keeps their order
    assert points_for(cp, rule_id, name, better) >= points_for(cp, rule_id, name, worse)


@pytest.mark.slow
@SETTINGS
@given(policy=st.sampled_from(POLICIES), seed=st.integers(min_value=0, max_value=2**32))
def test_points_stay_within_bounds_and_totals_add_up(policy, seed):
    for raw in generate_submissions(policy.policy, 5, seed):
        outcome = evaluate(policy, parse_submission(policy.policy, raw), trace=False)
        for r in outcome.rules:
            assert 0 <= r.points <= r.max_points
        assert outcome.earned == sum(r.points for r in outcome.rules)
        assert sum(p for _, p in outcome.pillars) == outcome.earned
        assert 0 <= outcome.total <= policy.policy.total_points
        if outcome.applicable_points == policy.policy.total_points:
            assert outcome.total == outcome.earned
        assert outcome.score == outcome.total + outcome.bonus
        bonus_cap = policy.policy.bonus.max_points if policy.policy.bonus else 0
        assert 0 <= outcome.bonus <= bonus_cap


@pytest.mark.slow
@SETTINGS
@given(policy=st.sampled_from(POLICIES), seed=st.integers(min_value=0, max_value=2**32))
def test_evaluation_is_deterministic_and_independent_of_tracing(policy, seed):
    for raw in generate_submissions(policy.policy, 3, seed):
        first = evaluate(policy, parse_submission(policy.policy, raw))
        again = evaluate(policy, parse_submission(policy.policy, copy.deepcopy(raw)))
        assert canonical_json(first) == canonical_json(again)
        assert evaluate(policy, parse_submission(policy.policy, raw), trace=False) == first.without_trace()
