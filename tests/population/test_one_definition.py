"""The column path reads the definitions the exact path reads: the compiled conditions of the CompiledPolicy, and
the limits of the submission schema. Each test changes the definition and checks that the columns follow it."""
from __future__ import annotations

import copy
import dataclasses

import numpy as np

from engine import evaluate, parse_submission
from engine.policy import Not
from engine.population import bind, evaluate_population, frame_of, shape
from engine.scoring import compile_condition
from engine.testing import generate_submissions

from tests.support import same_outcome


def test_the_columns_decide_gates_by_the_compiled_conditions(general):
    """A compiled policy whose first gate holds the negation of the policy's condition: the columns follow the
    compiled condition, as evaluate does, rather than compiling the policy's text again."""
    first = general.gates[0]
    flipped = dataclasses.replace(first, condition=compile_condition(Not(first.gate.pass_when)))
    gates = (flipped,) + general.gates[1:]
    cp = dataclasses.replace(general, gates=gates, gate_tests=tuple(g.condition.test for g in gates))
    raws = generate_submissions(general.policy, 150, seed=21)
    pop = evaluate_population(bind(cp, frame_of(raws)))
    valid = np.flatnonzero(pop.valid)
    outcomes = list(pop.outcomes())
    assert len(valid) == len(outcomes) > 0
    decided = 0
    for i, got in zip(valid, outcomes):
        ref = evaluate(cp, parse_submission(cp.policy, raws[int(i)]), trace=False)
        decided += first.condition.test(parse_submission(cp.policy, raws[int(i)])) is not None
        assert same_outcome(got, ref), int(i)
    assert decided > 0  # the flip changed some rows' gate


def test_the_bulk_shape_check_reads_its_limits_from_the_schema(general, monkeypatch):
    """With the schema allowing one product fewer than a row lists, the bulk check no longer passes that row."""
    raws = [r for r in generate_submissions(general.policy, 60, seed=5) if len(r.get("products", ())) >= 2]
    assert raws and shape.shaped(raws).all()
    most = min(len(r["products"]) for r in raws) - 1
    schema = copy.deepcopy(shape.submission_schema())
    schema["properties"]["products"]["maxItems"] = most
    monkeypatch.setattr(shape, "submission_schema", lambda: schema)
    shape.rules.cache_clear()
    try:
        assert not shape.shaped(raws).any()
        assert not frame_of(raws).checked.any()
    finally:
        shape.rules.cache_clear()
