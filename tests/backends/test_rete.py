"""Rete patterns: conjunctive form, negation and layout, checked against every assignment of a few small slots."""
from __future__ import annotations

import itertools
import operator
import random

from engine.backends import FALSE, TRUE, all_of, any_of, cmp, conjunctions, layout, negate, stack_bound

DOMAINS = {"a": ("x", "n", "T"), "b": (0, 1, 2, 3), "c": (-1, 0, 5)}
OPS = {"eq": operator.eq, "neq": operator.ne, "lt": operator.lt, "lte": operator.le, "gt": operator.gt,
       "gte": operator.ge}
FACTS = [dict(zip(DOMAINS, values)) for values in itertools.product(*DOMAINS.values())]


def holds(expr: tuple, fact: dict) -> bool:
    kind = expr[0]
    if kind in ("true", "false"):
        return kind == "true"
    if kind == "cmp":
        return OPS[expr[2]](fact[expr[1]], expr[3])
    return (all if kind == "and" else any)(holds(e, fact) for e in expr[1])


def random_pattern(rng: random.Random, depth: int = 3) -> tuple:
    if depth == 0 or rng.random() < 0.3:
        slot = rng.choice(list(DOMAINS))
        if slot == "a":
            return cmp(slot, rng.choice(("eq", "neq")), rng.choice(DOMAINS[slot]))
        return cmp(slot, rng.choice(list(OPS)), rng.choice(DOMAINS[slot]))
    items = [random_pattern(rng, depth - 1) for _ in range(rng.randint(2, 3))]
    return rng.choice((all_of, any_of))(items)


def test_conjunctions_are_disjoint_and_cover_the_pattern():
    rng = random.Random(5)
    for _ in range(400):
        pattern = random_pattern(rng)
        terms = conjunctions(pattern)
        assert all(t[0] == "cmp" for term in terms for t in term)
        for fact in FACTS:
            matched = sum(all(holds(t, fact) for t in term) for term in terms)
            assert matched == (1 if holds(pattern, fact) else 0), (pattern, fact, terms)


def test_negation_is_exact_when_every_slot_is_present():
    rng = random.Random(6)
    for _ in range(400):
        pattern = random_pattern(rng)
        assert all(holds(negate(pattern), fact) != holds(pattern, fact) for fact in FACTS)


def test_constants_fold():
    assert conjunctions(TRUE) == [()] and conjunctions(FALSE) == []
    assert all_of([TRUE, cmp("b", "eq", 1)]) == cmp("b", "eq", 1) and any_of([FALSE]) is FALSE
    assert conjunctions(all_of([cmp("b", "gte", 3), cmp("b", "lt", 3)])) == []


def test_layout_bounds_the_alpha_stack():
    rules = [(f"r{n}", (cmp("b", "eq", n),), f"k{n}", n) for n in range(1000)]
    assert stack_bound([r for r in layout(rules[:1])[0]]) == 1
    laid, groups = layout(rules)
    assert len(laid) == 1000 and all(groups[r.conjunction[0][1]] == 1 == groups[r.conjunction[1][1]] for r in laid)
    assert stack_bound(laid) < 64 < 1000
