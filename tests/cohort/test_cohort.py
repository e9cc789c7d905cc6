"""Cohort logic: regional baselines, sector standings and grades, what it takes, dynamic management."""
from __future__ import annotations

from decimal import Decimal

import pytest

from engine import SubmissionInvalid, evaluate, parse_submission
from engine.cohort import (
    APPLICANT,
    BOTTOM_THREE_ROUNDS,
    CENT,
    EXISTING,
    GATE_FAILED,
    Cohort,
    Member,
    Peer,
    baseline_for,
    baselines,
    kept_mean,
    median,
    removal_reason,
    rule_gaps,
    run_round,
    target_score,
    what_it_takes,
    with_value,
)
from engine.policy import BaselineRule as Rule, Grade
from engine.scoring import score_rule
from engine.testing import generate_submissions

from tests.support import submit

D = Decimal
Q = D("0.01")
GRADES = (Grade("A+", D("0.05")), Grade("A", D("0.40")), Grade("B", D(1)))


# -- baselines ----------------------------------------------------------------------------------------------------

def test_the_mean_is_kept_so_that_the_comparison_stays_exact():
    scores = [D("70.00"), D("70.00"), D("70.01")]  # exact mean 70.00333…
    assert kept_mean(scores, Q, "ge") == D("70.01")  # 70.00 < exact mean: it must not pass
    assert kept_mean(scores, Q, "gt") == D("70.00")  # 70.01 > exact mean: it must pass
    assert kept_mean([D(60), D(80)], Q, "ge") == D("70.00")


def test_region_sector_baseline_falls_back_to_the_region_below_min_peers():
    rule = Rule("existing_national", "region_sector", "ge", 3)
    peers = [Peer("320000", "cement", D(s)) for s in (80, 82, 84)] + [Peer("320000", "paper", D(60)),
                                                                      Peer("330000", "paper", D(50))]
    table = baselines(rule, peers, "bs-2025", Q)
    cement = baseline_for(rule, table, "320000", "cement")
    assert (cement.scope, cement.size, cement.mean, cement.snapshot) == ("region:320000 sector:cement", 3, D("82.00"), "bs-2025")
    paper = baseline_for(rule, table, "320000", "paper")  # one peer: below min_peers, the region's mean
    assert (paper.scope, paper.size, paper.mean) == ("region:320000", 4, D("76.50"))
    assert baseline_for(rule, table, "440000", "paper") is None
    region_only = Rule("existing_national", "region", "ge", 5)
    assert set(baselines(region_only, peers, "s", Q)) == {("320000", None), ("330000", None)}
    assert target_score(paper, "gt", Q) == D("76.51")


# -- standings ----------------------------------------------------------------------------------------------------

def test_ties_share_the_better_rank_and_grade():
    scores = [D(90), D(90)] + [D(80)] * 8 + [D(70)] * 10  # 20 factories
    cohort = Cohort(scores, GRADES)
    top = cohort.standing(D(90))
    assert (top.rank, top.grade, top.leader) == (1, "A+", True)  # two tie at rank 1: 1/20 ≤ 5 %
    mid = cohort.standing(D(80))
    assert (mid.rank, mid.grade, mid.percentile) == (3, "A", D("90.0"))
    low = cohort.standing(D(70))
    assert (low.rank, low.grade) == (11, "B")
    outsider = cohort.standing(D(95), member=False)  # an applicant placed among them
    assert (outsider.rank, outsider.size, outsider.grade, outsider.percentile) == (1, 21, "A+", D("100.0"))


def test_least_score_for_a_grade():
    cohort = Cohort([D(s) for s in range(1, 21)], GRADES)  # 1 … 20
    assert cohort.least_score_for(D("0.40"), exclude=D(5)) == D(13)  # 8 allowed ranks; 7 others above 13
    assert cohort.least_score_for(D("0.05"), exclude=D(5)) == D(20)  # tie with the best
    assert Cohort([D(1)] * 3, GRADES).least_score_for(D("0.05")) is None  # 4 × 5 % < 1 rank


def test_the_bottom_share_counts_ties():
    cohort = Cohort([D(50), D(50)] + [D(70)] * 38, GRADES)
    assert cohort.bottom(D(50), D("0.05")) and not cohort.bottom(D(70), D("0.05"))


def test_median_and_gaps():
    assert median([D(3), D(1), D(2)]) == D(2) and median([D(1), D(2)]) == D("1.5") and median([]) is None
    gaps = rule_gaps({"a": D("2.00")}, [{"a": D(1)}, {"a": D(3)}, {"a": D(5)}], [{"a": D(5)}], Q)
    assert gaps == [{"rule": "a", "points": D("2.00"), "leaders_mean": D("5.00"), "median": D(3),
                     "gap_to_leaders": D("3.00"), "gap_to_median": D(1)}]


# -- dynamic management --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("eligible, bottoms, reason", [
    (True, [True, True, True], BOTTOM_THREE_ROUNDS),
    (True, [False, True, True, True], BOTTOM_THREE_ROUNDS),
    (True, [True, None, True, True], None),  # a round without an evaluation breaks the run
    (True, [True, True], None),
    (False, [], GATE_FAILED),  # a failed gate flags at once
    (None, [True, True, False], None),
])
def test_removal_flags(eligible, bottoms, reason):
    assert removal_reason(eligible, bottoms) == reason


# -- what it takes: exact on every rule kind ----------------------------------------------------------------------

def step_back(change, higher: bool) -> Decimal:
    """The next representable value one step short of the change (one grid step worse)."""
    step = D(1) if change.value.startswith("cases.") or change.value in ("data.platform_functions",
                                                                          "data.catalogue_technologies") else CENT
    return change.required - step if higher or change.value.startswith("cases.") else change.required + step


def check_exact(cp, sub, target) -> set[str]:
    """Every reachable change reaches the target; one step less does not. Returns the value kinds seen."""
    outcome = evaluate(cp, sub, trace=False)
    seen = set()
    for change in what_it_takes(cp, sub, outcome, target):
        if not change.reachable:
            continue
        index = next(i for i, r in enumerate(outcome.rules) if r.id == change.rule)
        found = score_rule(cp, cp.rules[index], sub)
        after = evaluate(cp, with_value(sub, found, change.value, change.required), trace=False)
        assert after.score >= target and after.score == change.score_then, change
        before = evaluate(cp, with_value(sub, found, change.value, step_back(change, found.metric.higher)), trace=False)
        assert before.score < target, change
        seen.add((found.metric.metric.basis, found.metric.metric.method, bool(found.parts)))
    return seen


@pytest.mark.slow
def test_what_it_takes_is_exact_on_generated_submissions(catalog):
    seen: set = set()
    for ref in ("green-factory@2026.1", "green-factory-js@2026.1"):
        cp = catalog.get(ref)
        for raw in generate_submissions(cp.policy, 250, seed=7):
            try:
                sub = parse_submission(cp.policy, raw)
            except SubmissionInvalid:
                continue
            score = evaluate(cp, sub, trace=False).score
            for lift in (D("0.01"), D("2.5"), D(9)):
                seen |= check_exact(cp, sub, score + lift)
    kinds = {(basis, method) for basis, method, _ in seen}
    assert {("input", "linear"), ("input", "bands"), ("cases", "count"), ("product", "linear")} <= kinds
    assert ("product", "linear", True) in seen  # energy-use-weighted products


def test_what_it_takes_names_value_points_and_score(catalog, general_raw):
    cp = catalog.get("green-factory@2026.1")
    sub = submit(cp, general_raw)
    outcome = evaluate(cp, sub, trace=False)
    changes = {c.rule: c for c in what_it_takes(cp, sub, outcome, outcome.score + 2)}
    water = changes["water_reuse_rate"]
    assert water.value == "data.water_reuse_rate" and water.change == water.required - water.current
    assert water.points_added == water.points_then - water.points_now and water.score_then >= outcome.score + 2
    assert what_it_takes(cp, sub, outcome, outcome.score) == []


# -- a round ----------------------------------------------------------------------------------------------------------

def test_a_round_compares_applicants_with_the_existing_factories_of_their_region(catalog, general_raw):
    cp = catalog.get("green-factory@2026.1")
    members = []
    for n, rate in enumerate(("80", "85", "90", "92")):
        sub = submit(cp, general_raw, data=dict(general_raw["data"], water_reuse_rate=D(rate)))
        members.append(Member(f"f{n}", EXISTING, "330200", sub))
    members.append(Member("new", APPLICANT, "330200", submit(cp, general_raw)))
    run = run_round(cp, members, "bs-2025-test")
    base = run.baselines[("330200", None)]
    existing = [evaluate(cp, m.sub, trace=False).score for m in members[:4]]
    assert base.size == 4 and base.mean == kept_mean(existing, Q, "ge")
    applicant = run.results[-1]
    assert applicant.baseline == base and applicant.outcome.decided("baseline")["snapshot"] == "bs-2025-test"
    step = next(s for s in applicant.outcome.trace if s.rule == "decision:regional_baseline")
    assert "bs-2025-test" in step.reason.en and str(base.mean) in step.reason.en
    assert applicant.standing.size == 5 and not applicant.bottom
