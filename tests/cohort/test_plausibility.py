"""Plausibility flags: declared in the policy, raised in the outcome and the trace, never a change of score."""
from __future__ import annotations

from decimal import Decimal

import pytest

from engine import PolicyInvalid, SectorBest, SubmissionInvalid, evaluate, load_policy_text, parse_submission
from engine.cohort import sector_bests
from engine.scoring import RANGE, SECTOR_BEST, beyond_best
from engine.testing import generate_submissions

from tests.support import ROOT, submit


@pytest.fixture(scope="session")
def plausible(catalog):
    return catalog.get("green-factory@2026.1")


def numbers(outcome) -> tuple:
    return (outcome.gates, tuple(r[:8] for r in outcome.rules), outcome.pillars, outcome.earned,
            outcome.applicable_points, outcome.total, outcome.bonus, outcome.score, outcome.decision)


def test_2026_1_scores_every_generated_submission_as_2025_1(catalog, general, plausible):
    flagged = 0
    for raw in generate_submissions(general.policy, 1500, seed=26):
        try:
            old = evaluate(general, parse_submission(general.policy, raw), trace=False)
        except SubmissionInvalid:
            continue
        new = evaluate(plausible, parse_submission(plausible.policy, raw), trace=False)
        assert numbers(new) == numbers(old)
        flagged += any(f.startswith(RANGE) for f in new.flags)
    assert flagged > 0  # the generator reaches past the plausible ranges


def test_the_sector_best_context_adds_flags_and_changes_no_number(plausible, general_raw):
    data = dict(general_raw["data"], energy_intensity_output=5)
    sub = submit(plausible, general_raw, data=data)
    best = SectorBest("bs-2025-demo", sub.sector, 40, {"energy_intensity_output": Decimal(20)})
    plain, checked = evaluate(plausible, sub), evaluate(plausible, sub, sector_best=best)
    assert numbers(plain) == numbers(checked)
    assert f"{SECTOR_BEST}:energy_intensity" in checked.flags and f"{SECTOR_BEST}:energy_intensity" not in plain.flags
    step = next(s for s in checked.trace if s.rule == "energy_intensity")
    assert SECTOR_BEST in step.flags
    assert {p.name for p in step.parameters} >= {"sector_best", "margin_over_sector_best"}
    assert "bs-2025-demo" in step.reason.en and "bs-2025-demo" in step.reason.zh
    other = SectorBest("bs", "cement", 40, {"energy_intensity_output": Decimal(20)})  # another sector's: ignored
    assert evaluate(plausible, sub, sector_best=other).flags == plain.flags


def test_a_value_outside_the_plausible_range_is_flagged_with_its_reason(plausible, general_raw):
    sub = submit(plausible, general_raw, data=dict(general_raw["data"], water_reuse_rate=100))
    outcome = evaluate(plausible, sub)
    assert f"{RANGE}:water_reuse_rate" in outcome.flags
    step = next(s for s in outcome.trace if s.rule == "water_reuse_rate")
    assert RANGE in step.flags and any(p.name == "plausible" for p in step.parameters)
    assert step.points == Decimal("8.00")


def test_beyond_best_follows_the_direction_and_the_sign():
    assert beyond_best(Decimal(70), Decimal(100), Decimal("0.25"), higher=False)
    assert not beyond_best(Decimal(75), Decimal(100), Decimal("0.25"), higher=False)
    assert beyond_best(Decimal(126), Decimal(100), Decimal("0.25"), higher=True)
    assert beyond_best(Decimal(-40), Decimal(-30), Decimal("0.25"), higher=False)  # converter energy: negative values


def test_sector_bests_take_the_best_by_direction(plausible):
    reports = [("cement", {"energy_intensity_output": Decimal(2300), "water_reuse_rate": Decimal(90)}),
               ("cement", {"energy_intensity_output": Decimal(2150), "water_reuse_rate": Decimal(95)}),
               ("general", {"energy_intensity_output": Decimal(40)})]
    best = sector_bests(plausible.policy, reports, "s1")
    assert best["cement"].best == {"energy_intensity_output": Decimal(2150), "water_reuse_rate": Decimal(95)}
    assert best["cement"].size == 2 and best["general"].best == {"energy_intensity_output": Decimal(40)}


def test_an_empty_plausible_range_is_refused():
    text = (ROOT / "policies" / "green-factory" / "2026.1.yaml").read_text(encoding="utf-8")
    text = text.replace("plausible: {max: 99}", "plausible: {min: 99.5, max: 99}").replace("status: published", "status: draft")
    with pytest.raises(PolicyInvalid) as caught:
        load_policy_text(text, "green-factory/2026.1.yaml")
    assert [i.code for i in caught.value.issues] == ["policy.plausible.range"]
