"""The column-wise evaluator's intake: its verdict on every row is intake's (valid or not, with the same issues),
with and without projecting a submission onto the keys of another version. Its agreement on the numbers is
checked with the other scoring paths in tests/parity/."""
from __future__ import annotations

import copy
import random
from decimal import Decimal

import numpy as np
import pytest

from engine import SubmissionInvalid, evaluate, parse_submission
from engine.population import bind, evaluate_population, frame_of, shaped
from engine.submission import fast_validator, non_finite, project
from engine.testing import generate_submissions
from engine.versions import compare

from tests.support import same_outcome

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


@pytest.mark.slow
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
            read = project(raw, cp.policy)[0] if project_keys and isinstance(raw, dict) else raw
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
            assert same_outcome(got, ref), i
            if project_keys and i < 700:
                try:
                    assert same_outcome(got, compare(other, cp, rows[i]).after.without_trace())
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
    validator = fast_validator()
    frame = frame_of(rows)
    assert 0 < frame.checked.sum() < len(rows)
    for ok, raw in zip(frame.checked, rows):
        if ok:
            assert validator.is_valid(raw) and not list(non_finite(raw))
    assert shaped(rows).sum() >= frame.checked.sum()
