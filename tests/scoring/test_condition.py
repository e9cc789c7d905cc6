"""Three-valued conditions: True, False, or None when a field is not reported."""
from __future__ import annotations

from decimal import Decimal

import pytest

from engine import Submission
from engine.policy import AllOf, AnyOf, Compare, Not
from engine.scoring import compile_condition


def sub(facts=None, data=None, energy=Decimal(5000)):
    return Submission("2025", "x", "x", "320500", "cement", "3011", energy, Decimal(1), (), data or {}, {}, facts or {},
                      {}, "sha256:x")


@pytest.mark.parametrize("cond, facts, expected", [
    (Compare("facts.a", "eq", False), {"a": False}, True),
    (Compare("facts.a", "eq", False), {"a": True}, False),
    (Compare("facts.a", "eq", False), {}, None),
    (Compare("facts.a", "ne", True), {"a": False}, True),
    (Compare("facts.a", "eq", True), {"a": Decimal(1)}, False),  # 1 is not true
    (Compare("facts.n", "lt", Decimal(12)), {"n": Decimal(12)}, False),
    (Compare("facts.n", "lt", Decimal(12)), {"n": Decimal("11.99")}, True),
    (Compare("facts.n", "ge", Decimal(2)), {"n": True}, None),  # a boolean is not a number
    (Compare("facts.s", "in", ("a", "b")), {"s": "b"}, True),
    (Compare("facts.s", "not_in", ("a", "b")), {"s": "c"}, True),
    (Compare("facts.s", "eq", "a"), {"s": "a"}, True),
    (Compare("facts.n", "eq", Decimal(2)), {"n": Decimal("2.0")}, True),
    (Compare("facts.a", "present", True), {}, False),
    (Compare("facts.a", "present", False), {}, True),
    (AllOf((Compare("facts.a", "eq", True), Compare("facts.b", "eq", True))), {"a": False}, False),
    (AllOf((Compare("facts.a", "eq", True), Compare("facts.b", "eq", True))), {"a": True}, None),
    (AnyOf((Compare("facts.a", "eq", True), Compare("facts.b", "eq", True))), {"b": True}, True),
    (AnyOf((Compare("facts.a", "eq", True), Compare("facts.b", "eq", True))), {"a": False}, None),
    (Not(Compare("facts.a", "eq", True)), {}, None),
    (Not(Compare("facts.a", "eq", True)), {"a": False}, True),
])
def test_fact_conditions(cond, facts, expected):
    assert compile_condition(cond).test(sub(facts=facts)) is expected


def test_data_and_submission_fields():
    assert compile_condition(Compare("data.x", "gt", Decimal(3))).test(sub(data={"x": Decimal(4)})) is True
    assert compile_condition(Compare("data.x", "gt", Decimal(3))).test(sub()) is None
    assert compile_condition(Compare("energy_use_tce", "ge", Decimal(5000))).test(sub()) is True
    assert compile_condition(Compare("energy_use_tce", "ge", Decimal(5000))).test(sub(energy=None)) is None
    assert compile_condition(Compare("sector", "in", ("cement", "coking"))).test(sub()) is True
