"""Impact over a population: the numbers are what one comparison per row and exact arithmetic give."""
from __future__ import annotations

import random
from decimal import Decimal
from fractions import Fraction

import numpy as np

from engine import compile_policy
from engine.cohort import Cohort
from engine.population import frame_of, grade_codes
from engine.testing import generate_submissions
from engine.versions import QUANTILES, compare, run_impact

from tests.support import variant


def test_identical_versions_move_nothing(general):
    raws = generate_submissions(general.policy, 400, 2)
    report = run_impact(general, general, frame_of(raws)).to_dict()
    delta = report["score_delta"]
    assert (delta["up"], delta["down"], delta["unchanged"]) == (0, 0, 400)
    assert set(delta["quantiles"].values()) == {"0.00"} and delta["histogram"]["counts"] == [400]
    assert report["grades"]["changed"] == 0 and report["flips"]["pass_to_fail"] == report["flips"]["fail_to_pass"] == 0
    assert all(rule["changed"] == 0 for rule in report["rules"]) and report["movers"][0]["delta"] == "0.00"


def test_each_delta_is_the_comparison_of_its_row_and_the_summary_is_exact(mini):
    after = compile_policy(variant(mini, ("indicators", 0, "metrics", 1, "thresholds", 0, "baseline"), 100,
                                   ("indicators", 1, "points"), 6, ("indicators", 2, "points"), 6,
                                   ("indicators", 2, "parts", 0, "points"), 4, ("indicators", 2, "parts", 1, "points"), 2,
                                   ("pillars", 0, "points"), 14, ("pillars", 1, "points"), 6))
    raws = generate_submissions(mini.policy, 600, 4)
    report = run_impact(mini, after, frame_of(raws), movers=600).to_dict()
    deltas = {m["row"]: Decimal(m["delta"]) for m in report["movers"]}
    for i, raw in enumerate(raws):
        assert deltas[i + 1] == compare(mini, after, raw).score_delta
    ordered = sorted(deltas.values())
    for q, text in report["score_delta"]["quantiles"].items():
        h = (len(ordered) - 1) * Fraction(q)
        j = int(h)
        low, high = ordered[j], ordered[min(j + 1, len(ordered) - 1)]
        exact = Fraction(low) + (h - j) * (Fraction(high) - Fraction(low))
        assert Fraction(Decimal(text)) == exact, q
    assert list(report["score_delta"]["quantiles"]) == list(QUANTILES)
    assert Decimal(report["score_delta"]["mean"]) == (sum(ordered) / len(ordered)).quantize(Decimal("0.0001"))
    hist = report["score_delta"]["histogram"]
    edges = [Decimal(e) for e in hist["edges"]]
    assert sum(hist["counts"]) == 600
    assert all(sum(edges[k] <= d < edges[k + 1] for d in ordered) == n for k, n in enumerate(hist["counts"]))
    assert sum(s["rows"] for s in report["by_sector"]) == sum(a["rows"] for a in report["by_authority"]) == 600
    assert [abs(Decimal(m["delta"])) for m in report["movers"]] == sorted((abs(d) for d in ordered), reverse=True)


def test_grades_are_the_cohorts_standings(mini):
    rng = random.Random(1)
    for size in (1, 7, 20, 101):
        scores = np.array([rng.choice((5000, 6000, 6000, rng.randint(0, 10000))) for _ in range(size)], dtype=np.int64)
        members = np.array([rng.random() < 0.8 for _ in range(size)])
        codes = grade_codes(scores, members, mini.policy.decision.grades)
        cohort = Cohort([Decimal(int(s)) for s in scores[members]], mini.policy.decision.grades)
        ids = [g.id for g in mini.policy.decision.grades]
        for s, m, c in zip(scores, members, codes):
            assert (ids[c] if c >= 0 else None) == (cohort.standing(Decimal(int(s))).grade if m else None)


def test_rows_a_version_refuses_are_counted_with_their_issues(general, jiangsu):
    raws = generate_submissions(general.policy, 50, 6)
    raws[3] = {**raws[3], "data": {**raws[3]["data"], "carbon_intensity": -5}}
    raws[8] = {**raws[8], "facts": {**raws[8].get("facts", {}), "zhufeng_level": "high"}}  # only Jiangsu reads it
    report = run_impact(general, jiangsu, frame_of(raws), keys=[f"r{i}" for i in range(50)]).to_dict()
    pop = report["population"]
    assert pop["compared"] == 48 and pop["refused"] == {general.policy.ref: 1, jiangsu.policy.ref: 2}
    assert {(i["key"], i["policy"], i["issues"][0]["code"]) for i in pop["issues"]} == {
        ("r3", general.policy.ref, "submission.data.range"), ("r3", jiangsu.policy.ref, "submission.data.range"),
        ("r8", jiangsu.policy.ref, "submission.fact.type")}


def test_an_empty_population_is_an_empty_report(general, jiangsu):
    report = run_impact(general, jiangsu, frame_of([])).to_dict()
    assert report["population"]["rows"] == 0 and report["movers"] == [] and report["score_delta"]["quantiles"] == {}
