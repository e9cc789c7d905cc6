"""What would it take: for each rule alone, the smallest change of its value that lifts the score to a target (the
regional baseline, or the least score of the next grade), computed from the policy's own formulas.

Two steps per rule. First the fewest points the rule must give: the least multiple of the rounding quantum whose
total (rescaled as the policy rescales, plus the bonus) reaches the target. Then the value: inverted from the
rule's method (linear share, bands, capped count of cases, energy-use-weighted products), snapped to the value
grid (whole numbers for integer inputs and case counts, else 0.01), and settled by scoring with the rule's own
scorer: the value gives the points and one grid step less does not. The answer is therefore exact for the engine,
rounding included, whatever the method.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from functools import partial

from ..scoring.arithmetic import CONTEXT, rescale
from ..scoring.compiled import CompiledPolicy
from ..scoring.rules import score_rule
from ..scoring.trace import Outcome
from ..submission.record import Case, Document, Submission

CENT = Decimal("0.01")
WALK_LIMIT = 2000  # grid steps the settling walk may take; the inverted value is within a few of the answer
EVIDENCE = (Document("what-it-takes", "0" * 64, "what-it-takes"),)


@dataclass(frozen=True, slots=True)
class Change:
    """One rule's smallest change. reachable False: even full points of this rule alone fall short."""

    rule: str
    value: str | None  # what changes: data.<input>, products.<id>.values.<name>, cases.<key>
    unit: str | None
    current: Decimal | None
    required: Decimal | None
    change: Decimal | None
    points_now: Decimal
    points_then: Decimal | None
    points_added: Decimal | None
    score_then: Decimal | None
    reachable: bool


def score_with(cp: CompiledPolicy, outcome: Outcome, index: int, points: Decimal) -> Decimal:
    """The score if rule `index` gave `points` and everything else stayed."""
    earned = outcome.earned - outcome.rules[index].points + points
    applicable = outcome.applicable_points
    if cp.policy.not_applicable == "rescale" and applicable != cp.policy.total_points:
        return rescale(earned, applicable, cp.policy.total_points, cp.quantum, cp.rounding) + outcome.bonus
    return earned + outcome.bonus


def points_needed(cp: CompiledPolicy, outcome: Outcome, index: int, target: Decimal) -> Decimal | None:
    """The least points of rule `index` that reach the target score; None when full points do not."""
    r = outcome.rules[index]
    q = cp.quantum
    low, high = int(r.points / q), int(r.max_points / q)
    if score_with(cp, outcome, index, high * q) < target:
        return None
    while low < high:  # score_with is monotone in the rule's points
        mid = (low + high) // 2
        if score_with(cp, outcome, index, mid * q) >= target:
            high = mid
        else:
            low = mid + 1
    return low * q


def what_it_takes(cp: CompiledPolicy, sub: Submission, outcome: Outcome, target: Decimal) -> list[Change]:
    """Per scorable rule, the smallest change of its value that reaches target on its own; [] if already there."""
    if outcome.score >= target:
        return []
    out = []
    for index, (cr, r) in enumerate(zip(cp.rules, outcome.rules)):
        if r.status in ("not_applicable", "no_metric") or r.points >= r.max_points:
            continue
        needed = points_needed(cp, outcome, index, target)
        score = partial(score_rule, cp, cp.rules[index])
        found = score(sub)
        if needed is None:
            out.append(Change(r.id, None, None, None, None, None, r.points, None, None, None, False))
            continue
        for value, unit, current, required in _invert(cp, index, sub, found, needed):
            got = score(with_value(sub, found, value, required)).points if required is not None else None
            if required is None or got is None or got < needed:
                out.append(Change(r.id, value, unit, current, None, None, r.points, None, None, None, False))
                continue
            out.append(Change(r.id, value, unit, current, required, (required - current) if current is not None else None,
                              r.points, got, got - r.points, score_with(cp, outcome, index, got), True))
    return out


# -- inverting one rule ---------------------------------------------------------------------------------------

def _invert(cp: CompiledPolicy, index: int, sub: Submission, found, needed: Decimal):
    """(value path, unit, current value, required value or None) for each value that can carry the rule."""
    cm = found.metric
    m = cm.metric
    score = partial(score_rule, cp, cp.rules[index])
    current: Decimal | None
    guess: Decimal | None
    if m.basis == "cases":
        current = Decimal(found.counted)
        guess = _cases_guess(cp, cp.rules[index].rule.points, m, needed, current)
        yield f"cases.{m.input}", "cases", current, _settle(score, sub, found, f"cases.{m.input}", guess, Decimal(1),
                                                               True, needed, current)
        return
    if m.basis == "input":
        spec = next(i for i in cp.policy.inputs if i.id == m.input)
        step = Decimal(1) if spec.integer else CENT
        current = sub.data.get(m.input)
        guess = _guess(cp, cp.rules[index].rule.points, found, needed, current, cm.higher, sub.sector)
        required = _settle(score, sub, found, f"data.{m.input}", guess, step, cm.higher, needed, current,
                           spec.min, spec.max)
        yield f"data.{m.input}", m.unit, current, required
        return
    for n, p in enumerate(found.products):  # one product at a time, the others as reported
        path = f"products.{p.id}.values.{m.value}"
        current = p.values.get(m.value)
        if found.status != "scored":  # a product's value or energy use is missing: report it first
            yield path, m.unit, current, None
            continue
        guess = _product_guess(cp, cp.rules[index].rule.points, found, n, needed, cm.higher)
        yield path, m.unit, current, _settle(score, sub, found, path, guess, CENT, cm.higher, needed, current)


def _share_floor(full: Decimal, needed: Decimal, quantum: Decimal) -> Decimal:
    """A share a little under the least that rounds to `needed` points (the walk settles the exact value)."""
    return CONTEXT.divide(needed - quantum, full) if full else Decimal(1)


def _guess(cp, full, found, needed, current, higher, sector=None) -> Decimal | None:
    entry = found.entry or found.metric.entry(sector, None, found.tier.id if found.tier else None)
    row = entry.row if entry else None
    if row is None:
        return current
    if row.bands:  # the nearest edge of a band that gives enough points
        edges = [b.min if higher else b.max - CENT for b in row.bands
                 if b.points >= needed and (higher or b.max is not None)]
        return (min(edges) if higher else max(edges)) if edges else current
    if row.leading == row.baseline:
        return row.leading
    share = max(_share_floor(full, needed, cp.quantum), Decimal(0))
    return row.baseline + CONTEXT.multiply(share, row.leading - row.baseline)


def _product_guess(cp, full, found, n, needed, higher) -> Decimal | None:
    if not found.parts:  # one product: a linear row of its own
        return _guess(cp, full, found, needed, found.products[0].values.get(found.metric.metric.value), higher)
    weights = [p.energy_use_tce or Decimal(0) for p, _, _ in found.parts]
    total = sum(weights, Decimal(0))
    if total == 0:
        weights, total = [Decimal(1)] * len(weights), Decimal(len(weights))
    share = _share_floor(full, needed, cp.quantum)
    rest = sum((s * w for (_, _, s), w in zip(found.parts, weights)), Decimal(0)) - found.parts[n][2] * weights[n]
    own = CONTEXT.divide(share * total - rest, weights[n]) if weights[n] else Decimal(1)
    row = found.parts[n][1].row
    own = min(max(own, Decimal(0)), Decimal(1))
    return row.baseline + CONTEXT.multiply(own, row.leading - row.baseline)


def _cases_guess(cp, full, m, needed, current) -> Decimal:
    if m.method == "count" and m.per_case:
        return Decimal(int(CONTEXT.divide(needed, m.per_case).to_integral_value(rounding=ROUND_CEILING)))
    return current + 1


def _settle(score, sub, found, path, guess, step, higher, needed, current, low=None, high=None) -> Decimal | None:
    """The least change on the grid: the value reaches `needed`, one step less does not."""
    if guess is None:
        return None
    sign = step if higher else -step
    x = guess.quantize(step, rounding=ROUND_CEILING if higher else ROUND_FLOOR)

    def points(v: Decimal) -> Decimal | None:
        if (low is not None and v < low) or (high is not None and v > high) or (path.startswith("cases.") and v < 0):
            return None
        return score(with_value(sub, found, path, v)).points

    for _ in range(WALK_LIMIT):
        got = points(x)
        if got is None:
            return None
        if got >= needed:
            break
        x += sign
    else:
        return None
    for _ in range(WALK_LIMIT):
        before = points(x - sign)
        if before is None or before < needed or (current is not None and (x - sign - current) * sign < 0):
            return x
        x -= sign
    return x


def with_value(sub: Submission, found, path: str, value: Decimal) -> Submission:
    """A copy of the submission with one value replaced (cases: that many qualifying cases with evidence)."""
    kind, _, rest = path.partition(".")
    if kind == "data":
        return replace(sub, data={**sub.data, rest: value})
    if kind == "cases":  # the cases as reported, and as many more qualifying ones as it takes
        extra = max(int(value) - found.counted, 0)
        cases = sub.cases.get(rest, ()) + tuple(Case(f"what-it-takes {i}", EVIDENCE) for i in range(extra))
        return replace(sub, cases={**sub.cases, rest: cases})
    pid, _, name = rest.partition(".values.")
    products = tuple(replace(p, values={**p.values, name: value}) if p.id == pid else p for p in sub.products)
    return replace(sub, products=products)
