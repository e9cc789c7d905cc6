"""Semantic diff of policy versions, and one submission under two versions."""
from __future__ import annotations

from decimal import Decimal

from engine import compile_policy
from engine.versions import compare, diff_policies

from tests.support import MINI_SUB, variant


def kinds(changes):
    return {(c.kind, c.category, c.key) for c in changes}


def test_identical_versions_have_no_changes(mini):
    assert diff_policies(mini.policy, variant(mini)) == []


def test_comment_and_order_only_edits_are_no_change(mini):
    text = mini.policy.text.replace("# A small policy", "# A small, commented policy")
    assert diff_policies(mini.policy, variant(mini, text=text)) == []


def test_threshold_change_is_located_in_both_files(mini):
    row = ("indicators", 0, "metrics", 0, "thresholds", 0, "leading")
    after = variant(mini, row, 98)
    [change] = diff_policies(mini.policy, after)
    assert (change.kind, change.category) == ("changed", "threshold")
    assert change.key == "indicators/energy_intensity/metrics/per_product/thresholds/[product:clinker]/leading"
    assert (change.old, change.new) == (100, 98)
    assert "leading: 100" in mini.policy.text.splitlines()[change.old_line - 1]
    assert "leading: 98" in after.text.splitlines()[change.new_line - 1]


def test_points_direction_gate_and_decision_changes_are_categorised(mini):
    after = variant(mini, ("indicators", 1, "points"), 7, ("indicators", 2, "points"), 5,
                    ("indicators", 2, "parts", 0, "points"), 3, ("pillars", 0, "points"), 15, ("pillars", 1, "points"), 5,
                    ("gates", 0, "pass_when", "value"), True,
                    ("decision", "regional_baseline", "op"), "gt")
    categories = {c.category for c in diff_policies(mini.policy, after)}
    assert {"points", "gate", "decision"} <= categories


def test_reordered_rows_are_not_a_change(mini):
    text = mini.policy.text
    a = "          - {tier: lt3000, leading: 33.03, baseline: 0, source: {ref: peer-stats}}\n"
    b = "          - {tier: ge3000, leading: 4.31, baseline: 0, source: {ref: peer-stats}}\n"
    assert a in text and b in text
    assert diff_policies(mini.policy, variant(mini, text=text.replace(a + b, b + a))) == []


def test_renamed_indicator_is_a_rename(mini):
    text = mini.policy.text.replace("  - id: renewable_share\n", "  - id: renewables\n")
    changes = diff_policies(mini.policy, variant(mini, text=text))
    assert ("renamed", "indicator", "indicators/renewables") in kinds(changes)
    assert not any(c.kind in ("added", "removed") for c in changes)


def test_one_submission_under_two_versions(mini):
    after = compile_policy(variant(mini, ("indicators", 0, "metrics", 1, "thresholds", 0, "baseline"), 100,
                                   ("decision", "regional_baseline", "op"), "gt"))
    raw = dict(MINI_SUB, data=dict(MINI_SUB["data"], energy_intensity_output=75))
    result = compare(mini, after, raw)
    energy = next(r for r in result.rules if r.rule == "energy_intensity")
    # before: 8 × (120 − 75) / 70 = 5.142… → 5.14; after: 8 × (100 − 75) / 50 = 4.00
    assert (energy.before, energy.after, energy.delta) == (Decimal("5.14"), Decimal("4.00"), Decimal("-1.14"))
    assert energy.changed and energy.before_reason["en"] != energy.after_reason["en"]
    assert result.total_delta == Decimal("-1.14")
    assert not any(r.changed for r in result.rules if r.rule != "energy_intensity")
    assert result.to_dict()["rules"][0]["delta"] == "-1.14"


def test_keys_a_version_does_not_read_are_listed_not_rejected(general, jiangsu, cement_raw):
    raw = dict(cement_raw, facts=dict(cement_raw["facts"], zhufeng_level=2))
    result = compare(general, jiangsu, raw)
    assert result.not_read == {"green-factory@2025.1": ["facts.zhufeng_level"]}
    assert result.after.bonus == Decimal("2.00")
    assert ("bonus", Decimal(0), Decimal("2.00")) not in result.flips  # bonus is a total, not a decision field
