"""Conditions: their three-valued semantics defined once, as a compiled form, and the test over one submission
derived from it.

A condition is True, False or None (not reported). The values are ordered F < U < T (False, None, True): Kleene's
logic is then `all` the least of its items, `any` the greatest, `not` the order reversed. compile_form turns a
condition of the policy into its form: a Junction (all/any) or a Negation of forms, or one comparison with its
constant already split by kind (Present, Order, Match), each carrying the rule it follows as data. Every evaluator
derives its test from that one form: submission_test here (a closure over one Submission) and
engine.population.logic (a column test over many rows). The CompiledPolicy holds each condition compiled once, as a
CompiledCondition: the form and its submission test.
"""
from __future__ import annotations

import operator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable, Iterable, Iterator, Union

from ..policy.model import AllOf, AnyOf, Compare, Condition, Not
from ..submission.record import ABSENT, FLAG, KIND_OF_TYPE, NUMBER, OTHER, TEXT, Submission

Test = Callable[[Submission], "bool | None"]
Getter = Callable[[Submission], Any]

F, U, T = 0, 1, 2  # False < None < True, as ranks: `all` is their minimum, `any` their maximum, `not` is T - x
RANK = {False: F, None: U, True: T}

# A value's kind (engine.submission.record.KIND_OF_TYPE) is what equality and order look at; OTHER equals no constant.
# An order comparison is decided for these kinds only: ordering a yes/no or a text gives None, as not reporting does.
ORDERED = frozenset({NUMBER})
# Its operator: applied to the value and the bound, or (the column form) to sign(value - bound) and 0.
ORDER = {"lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge}
EQUAL_OPS = {"eq": True, "in": True, "ne": False, "not_in": False}  # what a match wants: member (True) or not


def kind_of(value: Any) -> int:
    """ABSENT for None (not reported), else the kind of the value's type."""
    return ABSENT if value is None else KIND_OF_TYPE.get(type(value), OTHER)


@dataclass(frozen=True, slots=True)
class Present:
    """`present`: whether the field is reported, compared with the constant; never None."""

    field: str
    when_reported: bool
    when_absent: bool


@dataclass(frozen=True, slots=True)
class Order:
    """lt, le, gt, ge against a number: decided for the kinds in ORDERED by ORDER[op]; None otherwise."""

    field: str
    op: str
    bound: Decimal


@dataclass(frozen=True, slots=True)
class Match:
    """eq, ne, in, not_in: the value equals one of the constants of its own kind (numbers by value, 1 = 1.0; a
    boolean only a boolean; a text only a text; a constant of no kind, such as a float, nothing), compared with
    `want`; None when the field is not reported."""

    field: str
    want: bool  # eq and in: a member; ne and not_in: not one
    flags: frozenset[bool]
    numbers: frozenset[Decimal]
    texts: frozenset[str]

    def holds(self, value: Any) -> bool:
        """value (reported) is one of the constants."""
        kind = KIND_OF_TYPE.get(type(value))
        if kind == NUMBER:
            return Decimal(value) in self.numbers
        if kind == TEXT:
            return value in self.texts
        return kind == FLAG and value in self.flags


@dataclass(frozen=True, slots=True)
class Junction:
    """all (least: the least of its items) or any (the greatest)."""

    least: bool
    items: tuple[Form, ...]


@dataclass(frozen=True, slots=True)
class Negation:
    item: Form


Comparison = Union[Present, Order, Match]
Form = Union[Present, Order, Match, Junction, Negation]


@dataclass(frozen=True, slots=True)
class CompiledCondition:
    """A condition compiled once: its form, and the test over one submission derived from it."""

    form: Form
    test: Test


def compile_condition(cond: Condition) -> CompiledCondition:
    form = compile_form(cond)
    return CompiledCondition(form, submission_test(form))


def compile_form(cond: Condition) -> Form:
    if isinstance(cond, (AllOf, AnyOf)):
        return Junction(isinstance(cond, AllOf), tuple(compile_form(c) for c in cond.items))
    if isinstance(cond, Not):
        return Negation(compile_form(cond.item))
    return comparison(cond)


def comparison(cond: Compare) -> Comparison:
    op, value = cond.op, cond.value
    if op == "present":
        return Present(cond.field, True == value, False == value)  # noqa: E712 (the constant as given: true/false)
    if op in ORDER:
        return Order(cond.field, op, Decimal(value))
    members = value if op in ("in", "not_in") else (value,)
    kinds = [kind_of(m) for m in members]
    return Match(cond.field, EQUAL_OPS.get(op, False),
                 frozenset(m for m, k in zip(members, kinds) if k == FLAG),
                 frozenset(Decimal(m) for m, k in zip(members, kinds) if k == NUMBER),
                 frozenset(m for m, k in zip(members, kinds) if k == TEXT))


def getter(field: str) -> Getter:
    """Reads one condition field from a submission; None when not reported."""
    if field.startswith("facts."):
        name = field[6:]
        return lambda s: s.facts.get(name)
    if field.startswith("data."):
        name = field[5:]
        return lambda s: s.data.get(name)
    return operator.attrgetter(field)  # energy_use_tce, output_value, sector, industry_code, region


def comparisons(cond: Condition | None) -> Iterator[Compare]:
    """The comparisons of a condition, left to right, whatever all/any/not surround them."""
    if isinstance(cond, (AllOf, AnyOf)):
        for item in cond.items:
            yield from comparisons(item)
    elif isinstance(cond, Not):
        yield from comparisons(cond.item)
    elif isinstance(cond, Compare):
        yield cond


def form_comparisons(form: Form | None) -> Iterator[Comparison]:
    """The comparisons of a compiled form, left to right, as comparisons() gives a condition's."""
    if isinstance(form, Junction):
        for item in form.items:
            yield from form_comparisons(item)
    elif isinstance(form, Negation):
        yield from form_comparisons(form.item)
    elif form is not None:
        yield form


def fields_read(cond: Condition | None) -> tuple[str, ...]:
    """The fields a condition reads, in order, once each: what the trace lists as its inputs."""
    return tuple(dict.fromkeys(c.field for c in comparisons(cond)))


def describe(cond: Condition) -> str:
    """The condition as a formula, e.g. facts.deregistered = false."""
    if isinstance(cond, AllOf):
        return " and ".join(f"({describe(c)})" for c in cond.items)
    if isinstance(cond, AnyOf):
        return " or ".join(f"({describe(c)})" for c in cond.items)
    if isinstance(cond, Not):
        return f"not ({describe(cond.item)})"
    symbol = {"eq": "=", "ne": "≠", "lt": "<", "le": "≤", "gt": ">", "ge": "≥", "in": "in", "not_in": "not in",
              "present": "present ="}[cond.op]
    return f"{cond.field} {symbol} {show(cond.value)}"


def show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return "[" + ", ".join(show(v) for v in value) + "]"
    return str(value)


# -- the test over one submission, derived from the form -----------------------------------------------------------
_ORDERED_TYPES = frozenset(t for t, kind in KIND_OF_TYPE.items() if kind in ORDERED)


def submission_test(form: Form) -> Test:
    if isinstance(form, Junction):
        tests = tuple(submission_test(item) for item in form.items)
        if form.least:
            return lambda s: least(t(s) for t in tests)
        return lambda s: greatest(t(s) for t in tests)
    if isinstance(form, Negation):
        test = submission_test(form.item)
        return lambda s: None if (r := test(s)) is None else not r
    get = getter(form.field)
    if isinstance(form, Present):
        yes, no = form.when_reported, form.when_absent
        return lambda s: no if get(s) is None else yes
    if isinstance(form, Order):
        fn, bound, ordered = ORDER[form.op], form.bound, _ORDERED_TYPES
        return lambda s: fn(x, bound) if type(x := get(s)) in ordered else None
    want = form.want
    if len(form.flags) == 1 and not form.numbers and not form.texts:  # the usual gate, = true: identity decides
        flag = next(iter(form.flags))
        return lambda s: None if (x := get(s)) is None else (x is flag) == want
    holds = form.holds
    return lambda s: None if (x := get(s)) is None else holds(x) == want


def least(results: Iterable[bool | None]) -> bool | None:
    """Kleene's and: the least result (False < None < True), stopping at False."""
    unknown = False
    for r in results:
        if r is False:
            return False
        unknown = unknown or r is None
    return None if unknown else True


def greatest(results: Iterable[bool | None]) -> bool | None:
    """Kleene's or: the greatest result, stopping at True."""
    unknown = False
    for r in results:
        if r is True:
            return True
        unknown = unknown or r is None
    return None if unknown else False
