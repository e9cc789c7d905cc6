"""The column-wise evaluator agrees with engine.evaluator on every reported number: 100,000 submissions across
both bundled policies, with numbers exactly on thresholds, band and tier edges, on x.xx5 rounding boundaries and
one float step either side; regional baselines and sector bests per row; and intake's verdict on every row."""
from __future__ import annotations

import copy
import dataclasses
import random
from decimal import Decimal

import numpy as np
import pytest

from engine.cohort.plausibility import sector_bests
from engine.compare import compare, project
from engine.compiler import compile_policy
from engine.evaluator import RegionalBaseline, evaluate
from engine.generate import generate_submissions
from engine.intake import _fast_validator, _non_finite, parse_submission
from engine.issue import SubmissionInvalid
from engine.edit import set_scalar
from engine.loader import load_policy_file, load_policy_text
from engine.population import bind, evaluate_population, frame_of
from engine.population.shape import shaped
from engine.trace import canonical_json

from tests.population_support import variants
from tests.support import ROOT

SIZE = 50_000  # per policy: 100,000 in all


@pytest.fixture(scope="module")
def conditions():
    return compile_policy(load_policy_file(ROOT / "tests" / "fixtures" / "conditions" / "2025.1.yaml"))


def same(got, ref) -> bool:
    return got == dataclasses.replace(ref, submission_digest=got.submission_digest)


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
    marks = [None, RegionalBaseline("2025-12-31", "region:330000", 12, Decimal("55.00")),
             RegionalBaseline("2025-12-31", "region:320000", 9, Decimal("60.005"))]
    baselines = [marks[i % 3] for i in range(SIZE)]

    pop = evaluate_population(bind(cp, frame_of(raws)), baseline=baselines, sector_bests=bests)
    assert pop.valid.all() and not pop.cols.issues
    wrong = [i for i, got in enumerate(pop.outcomes())
             if not same(got, evaluate(cp, subs[i], trace=False, baseline=baselines[i],
                                       sector_best=bests.get(subs[i].sector)))]
    assert wrong == []
    # the cases this test is for came up: rounding boundaries, every status, flags, flips of the decisions
    assert pop.boundary_points > 100
    statuses = {int(s) for r in pop.rules for s in np.unique(r.status)}
    assert statuses >= {0, 1} and (pop.flags != 0).any()
    assert {0, 1, 2} <= set(np.unique(pop.meets).tolist()) and {0, 1, 2} <= set(np.unique(pop.eligible).tolist())


@pytest.mark.parametrize(("mode", "places"), [("down", 2), ("half_even", 2), ("half_up", 1), ("down", 0)])
def test_every_rounding_rule_agrees(jiangsu, mode, places):
    """The guard band follows the policy's rounding rule: its jumps are at k + 0.5 quanta, or at whole quanta for
    down; the variants sit on the jumps of this policy's quantum."""
    text = set_scalar(set_scalar(jiangsu.policy.text, ("rounding", "mode"), mode), ("rounding", "places"), places)
    cp = compile_policy(load_policy_text(text, "policies/green-factory-js/2026.1.yaml"))
    raws, subs = variants(cp, 4000, seed=3, base=500)
    pop = evaluate_population(bind(cp, frame_of(raws)))
    assert pop.valid.all() and pop.boundary_points > 100
    assert all(same(got, evaluate(cp, subs[i], trace=False)) for i, got in enumerate(pop.outcomes()))


def test_trace_on_demand_and_outcome_json_are_the_single_evaluators(general, jiangsu):
    for cp in (general, jiangsu):
        raws = generate_submissions(cp.policy, 300, 21)
        pop = evaluate_population(bind(cp, frame_of(raws)))
        for i in range(0, 300, 7):
            sub = parse_submission(cp.policy, raws[i])
            assert canonical_json(pop.trace(i)) == canonical_json(evaluate(cp, sub))
            assert pop.outcome(i).to_dict() == evaluate(cp, sub, trace=False).to_dict()


def test_mini_and_condition_fixtures_agree(mini, conditions):
    for cp in (mini, conditions):
        raws = generate_submissions(cp.policy, 3000, 8)
        pop = evaluate_population(bind(cp, frame_of(raws)))
        assert pop.valid.all()
        assert all(same(got, evaluate(cp, parse_submission(cp.policy, raws[i]), trace=False))
                   for i, got in enumerate(pop.outcomes()))


# -- intake's verdict, row by row -----------------------------------------------------------------------------

def _mutations(cp):
    inputs = [i for i in cp.policy.inputs]
    ranged = [i for i in inputs if i.max is not None]
    whole = [i for i in inputs if i.integer]
    facts = {f.type: f.id for f in cp.policy.facts}

    def data(key, value):
        return lambda r: r.setdefault("data", {}).__setitem__(key, value)

    return [
        lambda r: r.pop("period"),
        lambda r: r.__setitem__("period", "2025\n"),  # Python's $ accepts it: intake does, slowly
        lambda r: r.__setitem__("period", 2025),
        lambda r: r["enterprise"].__setitem__("uscc", r["enterprise"]["uscc"][:-1] + ("0" if r["enterprise"]["uscc"][-1] != "0" else "1")),
        lambda r: r["enterprise"].__setitem__("uscc", r["enterprise"]["uscc"].lower()),
        lambda r: r["enterprise"].__setitem__("region", "710000"),
        lambda r: r["enterprise"].__setitem__("region", "990000"),
        lambda r: r["enterprise"].__setitem__("sector", "no_such_sector"),
        lambda r: r["enterprise"].__setitem__("name", "   "),
        lambda r: r["enterprise"].__setitem__("name", "x" * 201),
        lambda r: r["enterprise"].__setitem__("extra", 1),
        lambda r: r.__setitem__("energy_use_tce", -1),
        lambda r: r.__setitem__("output_value", float("nan")),
        lambda r: r.__setitem__("output_value", Decimal("12.5")),
        lambda r: r.__setitem__("output_value", Decimal("12.50000000000000000000001")),
        lambda r: r.__setitem__("energy_use_tce", True),
        lambda r: r.__setitem__("energy_use_tce", 10 ** 16),
        lambda r: r.__setitem__("surprise", {}),
        data("no_such_input", 1),
        data(inputs[0].id, "12"),
        data(inputs[0].id, None),
        data(inputs[0].id, float("inf")),
        data(ranged[0].id, ranged[0].max + 1) if ranged else data(inputs[0].id, -1),
        data(ranged[0].id, ranged[0].max) if ranged else data(inputs[0].id, 0),
        data(whole[0].id, 2.5) if whole else data(inputs[0].id, 1),
        data(whole[0].id, 3.0) if whole else data(inputs[0].id, 1),
        lambda r: r.setdefault("facts", {}).__setitem__(facts.get("boolean", "x"), 1),
        lambda r: r.setdefault("facts", {}).__setitem__(facts.get("boolean", "x"), None),
        lambda r: r.setdefault("facts", {}).__setitem__(facts.get("number", "x"), "twelve"),
        lambda r: r.setdefault("facts", {}).__setitem__("no_such_fact", True),
        lambda r: r.setdefault("products", []).append({"id": "clinker"}) or r["products"].append({"id": "clinker"}),
        lambda r: r.setdefault("products", []).append({"id": "Clinker"}),
        lambda r: r.setdefault("products", []).append({"id": "clinker", "values": {"no_such_value": 1}}),
        lambda r: r.setdefault("products", []).append({"id": "clinker", "energy_use_tce": -5}),
        lambda r: r.setdefault("cases", {}).__setitem__("no_such_cases", []),
        lambda r: r.setdefault("cases", {}).setdefault(sorted(_case_keys(cp))[0], []).append({"title": "t", "x": 1}),
        lambda r: r.setdefault("cases", {}).setdefault(sorted(_case_keys(cp))[0], []).append({"evidence": []}),
        lambda r: r.setdefault("evidence", {}).__setitem__("no_such_rule", []),
        lambda r: r.setdefault("evidence", {}).__setitem__(cp.policy.indicators[0].id, [
            {"name": "a.pdf", "sha256": "A" * 64, "uploaded_by": "x"}]),
        lambda r: r.setdefault("evidence", {}).__setitem__(cp.policy.indicators[0].id, [
            {"name": "a.pdf", "sha256": "a" * 64, "uploaded_by": "x", "size": 1}]),
        lambda r: r.setdefault("evidence", {}).__setitem__(cp.policy.indicators[0].id, [
            {"name": "a.pdf", "sha256": "a" * 64 + "\n", "uploaded_by": "x"}]),
        lambda r: r.setdefault("evidence", {}).__setitem__(cp.policy.indicators[0].id, [
            {"name": "a\x00b.pdf", "sha256": "a" * 64, "uploaded_by": "x"}]),
        lambda r: r.setdefault("evidence", {}).__setitem__(cp.policy.indicators[0].id, {}),
        lambda r: None,
    ]


def _case_keys(cp):
    return {m.input for rule in cp.policy.rules for m in rule.metrics if m.basis == "cases"}


@pytest.mark.parametrize("project_keys", [False, True])
def test_valid_rows_and_issues_are_intakes(general, jiangsu, project_keys):
    rng = random.Random(3)
    for cp, other in ((general, jiangsu), (jiangsu, general)):
        rows = []
        for raw in generate_submissions(other.policy if project_keys else cp.policy, 700, 9):
            raw = copy.deepcopy(raw)
            for mutate in rng.sample(_mutations(cp), rng.choice((0, 1, 1, 2))):
                mutate(raw)
            rows.append(raw)
        rows += [None, [], "x", {"period": "2025"}]
        cols = bind(cp, frame_of(rows), project=project_keys)
        for i, raw in enumerate(rows):
            read = project(raw, cp)[0] if project_keys and isinstance(raw, dict) else raw
            try:
                parse_submission(cp.policy, read)
                expected = None
            except SubmissionInvalid as exc:
                expected = exc.issues
            assert bool(cols.valid[i]) == (expected is None), (i, expected)
            assert cols.issues.get(i) == expected, i
        pop = evaluate_population(cols)
        for i, got in zip(np.flatnonzero(cols.valid), pop.outcomes()):
            ref = evaluate(cp, cols.submission(int(i)), trace=False)
            assert same(got, ref), i
            if project_keys and i < 700:
                try:
                    assert same(got, compare(other, cp, rows[i]).after.without_trace())
                except SubmissionInvalid:  # refused by the version it was written for: compare cannot run
                    pass


def test_a_checked_row_is_one_the_schema_accepts(general):
    """The frame's policy-independent check (shape, numbers, identity codes) is never looser than intake's."""
    rng = random.Random(4)
    rows = []
    for raw in generate_submissions(general.policy, 400, 12):
        raw = copy.deepcopy(raw)
        for mutate in rng.sample(_mutations(general), 2):
            mutate(raw)
        rows.append(raw)
    validator = _fast_validator()
    frame = frame_of(rows)
    assert 0 < frame.checked.sum() < len(rows)
    for ok, raw in zip(frame.checked, rows):
        if ok:
            assert validator.is_valid(raw) and not list(_non_finite(raw))
    assert shaped(rows).sum() >= frame.checked.sum()
