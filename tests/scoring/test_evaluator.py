"""The built-in evaluator: scores, statuses, decisions, and what the trace says."""
from __future__ import annotations

import copy
from decimal import Decimal

import pytest

from engine import RegionalBaseline, canonical_json, compile_policy, evaluate, parse_submission

from tests.support import MINI_SUB, submit, variant


def rule(outcome, rule_id):
    return next(r for r in outcome.rules if r.id == rule_id)


def step(outcome, rule_id):
    return next(s for s in outcome.trace if s.rule == rule_id)


def test_worked_example_clinker_earns_half_points(general, cement_raw):
    outcome = evaluate(general, submit(general, cement_raw))
    assert rule(outcome, "energy_intensity").points == Decimal("4.00")
    assert rule(outcome, "energy_intensity").scope == "product:clinker"


def test_trace_step_names_inputs_thresholds_source_and_policy_line(general, cement_raw):
    outcome = evaluate(general, submit(general, cement_raw))
    s = step(outcome, "energy_intensity")
    assert s.inputs[0].name == "products.clinker.values.energy_intensity"
    assert s.inputs[0].value == Decimal("103.5") and s.inputs[0].unit == "kgce/t"
    params = {p.name: p for p in s.parameters}
    assert params["baseline"].value == 107 and params["leading"].value == 100
    assert params["leading"].source.ref == "gb-16780-2021"
    assert params["leading"].scope == "product:clinker"
    lines = general.policy.text.splitlines()
    assert "clinker" in lines[params["leading"].line - 1]  # the threshold row's line in the file
    assert "energy_intensity" in lines[s.line - 1]  # the rule's line
    assert s.formula.endswith("= 4.00")
    assert s.reason.zh and s.reason.en


def test_one_step_per_rule_in_policy_order(general, cement_raw):
    outcome = evaluate(general, submit(general, cement_raw))
    indicator_steps = [s.rule for s in outcome.trace if s.kind == "indicator"]
    assert indicator_steps == [r.id for r in general.policy.rules]
    gate_steps = [s.rule for s in outcome.trace if s.kind == "gate"]
    assert gate_steps == [f"gate:{g.id}" for g in general.policy.gates]


def test_tracing_never_changes_the_result(general, jiangsu, cement_raw, general_raw):
    """Reading a trace renders it; rendering only reads what the evaluator recorded. So an outcome is the same
    before and after its trace is read, and reading traces leaves nothing behind in the compiled policy that
    changes a later evaluation: with the trace on or off, or under a freshly compiled copy of the policy."""
    for cp, raw in ((general, cement_raw), (general, general_raw), (jiangsu, general_raw), (jiangsu, cement_raw)):
        sub = submit(cp, raw)
        traced = evaluate(cp, sub)
        before = traced.without_trace()
        rendered = canonical_json(traced)  # the trace is rendered here, after the earlier submissions' traces
        assert traced.without_trace() == before == evaluate(cp, sub, trace=False)
        fresh = compile_policy(cp.policy)  # a copy that has rendered nothing yet
        assert canonical_json(evaluate(cp, sub)) == rendered == canonical_json(evaluate(fresh, sub))


def test_same_submission_and_policy_give_identical_bytes(general, cement_raw):
    first = canonical_json(evaluate(general, submit(general, cement_raw)))
    again = canonical_json(evaluate(general, parse_submission(general.policy, copy.deepcopy(cement_raw))))
    assert first == again


def test_totals_are_exact_sums(general, cement_raw):
    outcome = evaluate(general, submit(general, cement_raw))
    assert outcome.earned == sum(r.points for r in outcome.rules)
    assert sum(points for _, points in outcome.pillars) == outcome.earned
    assert outcome.score == outcome.total + outcome.bonus


def test_missing_data_scores_zero_as_not_reported(general, cement_raw):
    data = dict(cement_raw["data"])
    del data["carbon_intensity"]
    outcome = evaluate(general, submit(general, cement_raw, data=data))
    r = rule(outcome, "carbon_intensity")
    assert (r.status, r.points) == ("not_reported", 0)
    assert step(outcome, "carbon_intensity").inputs[0].value is None


def test_missing_fact_makes_gate_undetermined_not_passed(general, cement_raw):
    facts = dict(cement_raw["facts"])
    del facts["deregistered"]
    outcome = evaluate(general, submit(general, cement_raw, facts=facts))
    gate = next(g for g in outcome.gates if g.id == "not_deregistered")
    assert gate.status == "undetermined"
    assert outcome.decided("eligible") is None and outcome.decided("recommended") is None


def test_failed_gate_makes_ineligible(general, cement_raw):
    facts = dict(cement_raw["facts"], tax_evasion_3y=True)
    outcome = evaluate(general, submit(general, cement_raw, facts=facts))
    assert next(g for g in outcome.gates if g.id == "no_tax_evasion").status == "failed"
    assert outcome.decided("eligible") is False and outcome.decided("recommended") is False


@pytest.mark.parametrize("mean, meets", [("60.00", True), ("64.93", True), ("64.94", False)])
def test_regional_baseline_decides_recommendation(general, cement_raw, mean, meets):
    baseline = RegionalBaseline("2025-r1", "region:320000", 42, Decimal(mean))
    outcome = evaluate(general, submit(general, cement_raw), baseline=baseline)
    assert outcome.score == Decimal("64.93")  # the example's score: the baseline cases sit on it
    assert outcome.decided("meets_regional_baseline") is meets
    assert outcome.decided("recommended") is meets
    assert step(outcome, "decision:regional_baseline").inputs[0].value == Decimal(mean)


def test_evidence_missing_is_flagged_not_penalised(general, cement_raw):
    with_docs = evaluate(general, submit(general, cement_raw))
    without = evaluate(general, submit(general, cement_raw, evidence={}))
    assert "evidence_missing:energy_intensity" in without.flags
    assert "evidence_missing:energy_intensity" not in with_docs.flags
    assert without.score == with_docs.score


def test_industry_code_outside_the_sector_is_flagged(general, cement_raw):
    enterprise = dict(cement_raw["enterprise"], industry_code="1340")
    outcome = evaluate(general, submit(general, cement_raw, enterprise=enterprise))
    assert "industry_code_mismatch" in outcome.flags


@pytest.mark.parametrize("mode, expected", [("half_up", "4.01"), ("half_even", "4.00"), ("down", "4.00")])
def test_rounding_rule_is_the_policys(mini, mode, expected):
    # 8 × (120 − 84.95625) / 70 = 4.005 exactly: the third decimal decides
    cp = compile_policy(variant(mini, ("rounding", "mode"), mode))
    sub = parse_submission(cp.policy, dict(MINI_SUB, data=dict(MINI_SUB["data"], energy_intensity_output=84.95625)))
    assert rule(evaluate(cp, sub), "energy_intensity").points == Decimal(expected)


def test_zero_width_band_is_a_step(mini):
    row = ("indicators", 0, "metrics", 1, "thresholds", 0)
    cp = compile_policy(variant(mini, row + ("leading",), 110, row + ("baseline",), 110))
    for value, points in ((110, "8.00"), (109, "8.00"), (Decimal("110.01"), "0.00")):
        sub = parse_submission(cp.policy, dict(MINI_SUB, data=dict(MINI_SUB["data"], energy_intensity_output=float(value))))
        assert rule(evaluate(cp, sub), "energy_intensity").points == Decimal(points)


def test_size_tier_edge_belongs_to_the_upper_tier(mini):
    sub = parse_submission(mini.policy, dict(MINI_SUB, energy_use_tce=3000, data=dict(MINI_SUB["data"], renewable_share=4.31)))
    outcome = evaluate(mini, sub)
    assert rule(outcome, "renewable_share").scope == "general tier:ge3000"
    assert rule(outcome, "renewable_share").points == Decimal("8.00")


def test_not_applicable_rule_rescales_the_total(jiangsu, general_raw):
    facts = dict(general_raw["facts"], energy_efficiency_standard_applies=False)
    outcome = evaluate(jiangsu, submit(jiangsu, general_raw, facts=facts))
    r = rule(outcome, "energy_saving_product_share")
    assert r.status == "not_applicable"
    assert outcome.applicable_points == jiangsu.policy.total_points - r.max_points
    expected = (outcome.earned * 100 / outcome.applicable_points).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
    assert outcome.total == expected
