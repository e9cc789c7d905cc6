"""Patterns for a Rete network over one flat fact: an algebra of comparisons, and its rules in conjunctive form.

A pattern is ("cmp", slot, op, value) with op eq neq lt lte gt gte, ("and", items), ("or", items), TRUE or FALSE.
`negate` is exact only when every slot a pattern reads is always in the fact, which engine.backends.translation ensures: a
rule engine skips a pattern on a missing slot, even a "not equal" one.

`conjunctions` turns a pattern into disjoint conjunctions of comparisons, so that a network needs no disjunction
(durable-rules 2.0.28 corrupts its heap on some `$or` patterns, see engine.backends.durable) and exactly one
conjunction of a pattern matches a fact whenever the pattern does: `or` is expanded as d1, ¬d1∧d2, ¬d1∧¬d2∧d3, …
and conjunctions that no value can satisfy are dropped.

`layout` prefixes every conjunction with two group comparisons that always hold, so that the network's alpha nodes
fan out by at most a few children; `stack_bound` is then the deepest stack a depth-first walk of the alpha nodes
needs (durable-rules gives up beyond 64).
"""
from __future__ import annotations

import math
from typing import Any, Iterable, NamedTuple

TRUE: tuple = ("true",)
FALSE: tuple = ("false",)
_NEGATED = {"eq": "neq", "neq": "eq", "lt": "gte", "gte": "lt", "gt": "lte", "lte": "gt"}


def cmp(slot: str, op: str, value: Any) -> tuple:
    return ("cmp", slot, op, value)


def all_of(items: Iterable[tuple]) -> tuple:
    out: list = []
    for item in items:
        if item is FALSE:
            return FALSE
        if item is not TRUE:
            out += item[1] if item[0] == "and" else [item]
    return TRUE if not out else out[0] if len(out) == 1 else ("and", out)


def any_of(items: Iterable[tuple]) -> tuple:
    out: list = []
    for item in items:
        if item is TRUE:
            return TRUE
        if item is not FALSE:
            out += item[1] if item[0] == "or" else [item]
    return FALSE if not out else out[0] if len(out) == 1 else ("or", out)


def negate(expr: tuple) -> tuple:
    kind = expr[0]
    if kind == "true":
        return FALSE
    if kind == "false":
        return TRUE
    if kind == "cmp":
        return cmp(expr[1], _NEGATED[expr[2]], expr[3])
    return (any_of if kind == "and" else all_of)(negate(e) for e in expr[1])


Conjunction = tuple  # of ("cmp", slot, op, value)


def conjunctions(expr: tuple) -> list[Conjunction]:
    """Disjoint conjunctions whose union is expr; [] when nothing satisfies it, [()] when everything does."""
    kind = expr[0]
    if kind == "true":
        return [()]
    if kind == "false":
        return []
    if kind == "cmp":
        return [(expr,)]
    if kind == "and":
        both: list[Conjunction] = [()]
        for item in expr[1]:
            both = [c for a in both for b in conjunctions(item) if (c := _join(a, b)) is not None]
            if not both:
                break
        return both
    out: list[Conjunction] = []
    before: list[tuple] = []
    for item in expr[1]:
        out += conjunctions(all_of(before + [item]))
        before.append(negate(item))
    return out


def _join(a: Conjunction, b: Conjunction) -> Conjunction | None:
    """a and b as one conjunction, simplified; None when no value satisfies it."""
    seen = dict.fromkeys(a + b)
    slots: dict[str, list] = {}
    for lit in seen:
        slots.setdefault(lit[1], []).append(lit)
    out = []
    for slot, lits in slots.items():
        kept = _slot(lits)
        if kept is None:
            return None
        out += kept
    order = {lit: n for n, lit in enumerate(seen)}
    return tuple(sorted(out, key=order.__getitem__))


def _slot(lits: list) -> list | None:
    equal = {lit[3] for lit in lits if lit[2] == "eq"}
    unequal = {lit[3] for lit in lits if lit[2] == "neq"}
    low, high = -math.inf, math.inf
    for _, _, op, v in lits:
        if op in ("gt", "gte"):
            low = max(low, v + 1 if op == "gt" else v)  # range comparisons only ever hold integers
        elif op in ("lt", "lte"):
            high = min(high, v - 1 if op == "lt" else v)
    if len(equal) > 1 or equal & unequal or low > high:
        return None
    if equal:
        (v,) = equal
        if isinstance(v, int) and not low <= v <= high:
            return None
        return [lit for lit in lits if lit[2] == "eq"]  # the rest is implied
    return [lit for lit in lits if lit[2] == "neq" or (lit[2] in ("gt", "gte") and _bound(lit) == low)
            or (lit[2] in ("lt", "lte") and _bound(lit) == high)]


def _bound(lit: tuple) -> int:
    op, v = lit[2], lit[3]
    return v + 1 if op == "gt" else v - 1 if op == "lt" else v


class Rule(NamedTuple):
    """One conjunction of a production, with its group prefix: when it matches, `key` is set to `value`."""

    name: str
    conjunction: Conjunction
    key: str
    value: Any


def layout(rules: list[tuple[str, Conjunction, str, Any]], per_group: int = 12) -> tuple[list[Rule], dict]:
    """The rules under two levels of groups of at most per_group rules, and the group slots the fact must carry."""
    groups = max(1, math.ceil(len(rules) / per_group))
    outer = math.ceil(math.sqrt(groups))
    inner = math.ceil(groups / outer)
    out = []
    for n, (name, conj, key, value) in enumerate(rules):
        a, b = divmod(n // per_group, inner)
        out.append(Rule(name, (cmp(f"ga{a}", "eq", 1), cmp(f"gb{b}", "eq", 1)) + conj, key, value))
    return out, {**{f"ga{a}": 1 for a in range(outer)}, **{f"gb{b}": 1 for b in range(inner)}}


def stack_bound(rules: list[Rule]) -> int:
    """The deepest stack a depth-first walk of the alpha nodes can need, if every node matched.

    Nodes are shared where conjunctions share a prefix, as a Rete network shares its alpha nodes.
    """
    trie: dict = {}
    for rule in rules:
        node = trie
        for lit in rule.conjunction:
            node = node.setdefault(lit, {})

    def bound(node: dict) -> int:
        if not node:
            return 1
        return len(node) - 1 + max(bound(child) for child in node.values())

    return bound(trie)
