"""A compiled policy as production rules over one flat fact per submission, and a run's selections read back.

Backend-neutral: engine.backends.durable runs these rules on durable-rules' Rete network and hands the state its
actions wrote to `Translation.scored`, which builds the same Scored records as engine.scoring.rules, with its helpers,
so that the arithmetic is shared to the digit.

What the rules match, per evaluation:
- each gate: one production when its condition holds, one when it fails; neither when it cannot be decided;
- each policy rule: exactly one outcome: not applicable; no metric; or the first metric alternative that applies
  (per-product metrics when a reported product has a threshold row; `when` conditions) with its threshold row (the
  sector's row, else the general one; the size tier), or "not reported";
- each reported product with threshold rows: which row (sector or general) it is scored against.

Three-valued logic: each compiled condition's form (engine.scoring.condition, the one definition the other paths
derive their tests from) becomes two patterns, "holds" and "fails" (Kleene: all/any/not swap them); a comparison on
a field that is not reported matches neither, except `present`. Every field travels as slots that are always in the
fact: `<k>t` its kind (x not reported, n number, s text, T true, F false, o other), `<k>s` the text, and a number as
the integers `<k>l` = floor(x·10^p) and `<k>h` = ceil(x·10^p), p the most decimals of any constant the policy
compares the field with, each constant c as the integer C = c·10^p. Then x ≥ c ⇔ l ≥ C, x < c ⇔ l < C, x > c ⇔
h > C, x ≤ c ⇔ h ≤ C, x = c ⇔ l = h = C: exact decimal comparisons on integers. Values beyond ±2^53 are clamped to
it, which keeps every comparison with constants below it (checked here) exact.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any, Iterator, NamedTuple

from ..issue import BackendError
from ..scoring.arithmetic import exponent
from ..scoring.compiled import CompiledMetric, CompiledPolicy, CompiledRule
from ..scoring.condition import (ORDERED, CompiledCondition, Getter, Junction, Match, Negation, Order, Present,
                                 form_comparisons, getter)
from ..scoring.rules import Scored, score_cases, score_products, score_value
from ..submission.record import NUMBER, Submission
from .rete import FALSE, TRUE, all_of, any_of, cmp, negate

LIMIT = 2 ** 53  # integers beyond it are not exact in every JSON reader
_LETTER = {NUMBER: "n"}  # a value kind (engine.submission.record) as the fact's kind slot spells it, where a rule asks


class TranslationError(BackendError, ValueError):
    """The policy cannot be translated exactly, or a run matched no outcome for a rule."""


@dataclass(slots=True)
class FieldCode:
    """How one submission field travels in the fact: slots named after key, numbers scaled by 10^scale."""

    name: str  # condition field, e.g. facts.deregistered, data.renewable_share, energy_use_tce, sector
    key: str  # f0, f1, ...
    get: Getter
    scale: int
    number: bool  # sends l and h
    text: bool  # sends s

    def scaled(self, constant: Decimal) -> int:
        sign, digits, _ = constant.as_tuple()
        value = int(Decimal((sign, digits, exponent(constant) + self.scale)))
        if abs(value) >= LIMIT:
            raise TranslationError("backend.rete.number", f'The constant {constant} compared with "{self.name}" is'
                                   f" beyond 2^53 at {self.scale} decimals: use fewer decimals in the policy.")
        return value

    def encode(self, sub: Submission, out: dict) -> None:
        key, x = self.key, self.get(sub)
        if x is None:
            kind = "x"
        elif isinstance(x, bool):
            kind = "T" if x else "F"
        elif isinstance(x, (int, float, Decimal)):
            x = x if isinstance(x, Decimal) else Decimal(x)
            kind = "o" if x.is_nan() else "n"
        else:
            kind = "s" if isinstance(x, str) else "o"
        out[key + "t"] = kind
        if self.text:
            out[key + "s"] = x if kind == "s" else ""
        if self.number:
            out[key + "l"], out[key + "h"] = self._bounds(x) if kind == "n" else (0, 0)

    def _bounds(self, x: Decimal) -> tuple[int, int]:
        if x.is_infinite():
            return (LIMIT, LIMIT) if x > 0 else (-LIMIT, -LIMIT)
        sign, digits, _ = x.as_tuple()
        scaled = Decimal((sign, digits, exponent(x) + self.scale))  # a shift of the exponent: exact, no context rounding
        if scaled >= LIMIT:
            return LIMIT, LIMIT
        if scaled <= -LIMIT:
            return -LIMIT, -LIMIT
        return int(scaled.to_integral_value(ROUND_FLOOR)), int(scaled.to_integral_value(ROUND_CEILING))


class Production(NamedTuple):
    """When `pattern` matches the fact, write `value` under `key` in the state."""

    name: str
    pattern: tuple
    key: str
    value: Any


class Outcome(NamedTuple):
    kind: str  # not_applicable | no_metric | not_reported | row | products | cases
    metric: int | None = None  # index of the chosen metric alternative
    tier: str | None = None
    sector: str | None = None  # the sector whose row applies; None for the general row


class Translation:
    """The productions of a compiled policy, the fact of a submission, and the Scored records of a run's state."""

    def __init__(self, cp: CompiledPolicy):
        self.cp = cp
        self.products = tuple(dict.fromkeys(p for cr in cp.rules for cm in cr.metrics
                                            if cm.metric.basis == "product" for p in sorted(cm.products)))
        self._product_index = {p: k for k, p in enumerate(self.products)}
        self.cases = tuple(dict.fromkeys(_input(cm) for cr in cp.rules for cm in cr.metrics
                                         if cm.metric.basis == "cases"))
        self.fields = self._fields()
        self.outcomes: list[list[Outcome]] = []
        self.productions: list[Production] = []
        for n, cg in enumerate(cp.gates):
            holds, fails = self.truth(cg.condition)
            self._add(f"g{n}+", holds, f"g{n}", 1)
            self._add(f"g{n}-", fails, f"g{n}", 0)
        for n, cr in enumerate(cp.rules):
            self.outcomes.append([])
            for outcome, pattern in self._rule(cr):
                self.outcomes[n].append(outcome)
                self._add(f"r{n}.{len(self.outcomes[n]) - 1}", pattern, f"r{n}", len(self.outcomes[n]) - 1)
            for j, cm in enumerate(cr.metrics):  # the row of each reported product, used if the metric is chosen
                for product in sorted(cm.products):
                    key = f"p{n}_{j}_{self._product_index[product]}"
                    for sector, pattern in self._sectors(cm, product, None):
                        pattern = all_of([self._reported(product), pattern])
                        self._add(f"{key}.{sector or ''}", pattern, key, sector or "")

    def _add(self, name: str, pattern: tuple, key: str, value: Any) -> None:
        if pattern is not FALSE:
            self.productions.append(Production(name, pattern, key, value))

    # -- fields: which slots, at which scale ------------------------------------------------------------------------
    def _fields(self) -> dict[str, FieldCode]:
        uses: dict[str, list] = {}  # name -> [number?, text?, constants]

        def use(name: str, kind: str = "", constant: Any = None) -> None:
            entry = uses.setdefault(name, [False, False, []])
            entry[0] |= kind == "n"
            entry[1] |= kind == "s"
            if kind == "n":
                entry[2].append(Decimal(constant))

        def walk(cond: CompiledCondition | None) -> None:
            for c in form_comparisons(cond.form if cond else None):
                use(c.field)
                if isinstance(c, Order):
                    use(c.field, "n", c.bound)
                elif isinstance(c, Match):
                    for number in sorted(c.numbers):
                        use(c.field, "n", number)
                    if c.texts:
                        use(c.field, "s")

        use("sector", "s")
        for cg in self.cp.gates:
            walk(cg.condition)
        for cr in self.cp.rules:
            walk(cr.applies)
            for cm in cr.metrics:
                walk(cm.when)
                if cm.metric.basis == "input":
                    use(f"data.{cm.metric.input}")
                if cm.metric.tier is not None:
                    for tier in cm.metric.tier.tiers:
                        use(cm.metric.tier.by, "n", tier.min)
                        if tier.max is not None:
                            use(cm.metric.tier.by, "n", tier.max)
        out = {}
        for n, (name, (number, text, constants)) in enumerate(uses.items()):
            scale = max((max(0, -exponent(c)) for c in constants), default=0)
            out[name] = FieldCode(name, f"f{n}", getter(name), scale, number, text)
        return out

    # -- conditions: (holds, fails), from the compiled form ---------------------------------------------------------
    def truth(self, cond: CompiledCondition | None) -> tuple[tuple, tuple]:
        return (TRUE, FALSE) if cond is None else self._truth(cond.form)

    def _truth(self, form) -> tuple[tuple, tuple]:
        if isinstance(form, Junction):
            pairs = [self._truth(item) for item in form.items]
            each_holds, each_fails = [p[0] for p in pairs], [p[1] for p in pairs]
            if form.least:
                return all_of(each_holds), any_of(each_fails)
            return any_of(each_holds), all_of(each_fails)
        if isinstance(form, Negation):
            holds, fails = self._truth(form.item)
            return fails, holds
        fc = self.fields[form.field]
        kind = fc.key + "t"
        present, absent = cmp(kind, "neq", "x"), cmp(kind, "eq", "x")
        if isinstance(form, Present):
            return (any_of([present] * form.when_reported + [absent] * form.when_absent),
                    any_of([present] * (not form.when_reported) + [absent] * (not form.when_absent)))
        if isinstance(form, Order):
            bound = fc.scaled(form.bound)
            test = {"ge": cmp(fc.key + "l", "gte", bound), "gt": cmp(fc.key + "h", "gt", bound),
                    "le": cmp(fc.key + "h", "lte", bound), "lt": cmp(fc.key + "l", "lt", bound)}[form.op]
            decided = any_of(cmp(kind, "eq", _LETTER[k]) for k in sorted(ORDERED))
            return all_of([decided, test]), all_of([decided, negate(test)])
        equal = self._equals(fc, form)
        unequal = all_of([present, negate(equal)])
        return (equal, unequal) if form.want else (unequal, equal)

    def _equals(self, fc: FieldCode, form: Match) -> tuple:
        """The field equals one of the match's constants, each kind against its own (Match.holds)."""
        kind = fc.key + "t"
        flags = [cmp(kind, "eq", "T" if flag else "F") for flag in sorted(form.flags)]
        numbers = [all_of([cmp(kind, "eq", "n"), cmp(fc.key + "l", "eq", bound), cmp(fc.key + "h", "eq", bound)])
                   for bound in map(fc.scaled, sorted(form.numbers))]
        texts = [all_of([cmp(kind, "eq", "s"), cmp(fc.key + "s", "eq", text)]) for text in sorted(form.texts)]
        return any_of(flags + numbers + texts)

    # -- one policy rule: its outcomes, mutually exclusive ----------------------------------------------------------
    def _rule(self, cr: CompiledRule) -> Iterator[tuple[Outcome, tuple]]:
        not_applicable = self.truth(cr.applies)[1]
        yield Outcome("not_applicable"), not_applicable
        earlier = [negate(not_applicable)]  # applicable, or undecidable: then it is scored, as the built-in does
        for j, cm in enumerate(cr.metrics):
            applies = all_of([any_of(self._reported(p) for p in sorted(cm.products)) if cm.metric.basis == "product"
                              else TRUE, self.truth(cm.when)[0]])
            chosen = all_of(earlier + [applies])
            earlier.append(negate(applies))
            yield from self._metric(j, cm, chosen)
        yield Outcome("no_metric"), all_of(earlier)

    def _reported(self, product: str) -> tuple:
        return cmp(f"q{self._product_index[product]}", "eq", 1)

    def _metric(self, j: int, cm: CompiledMetric, chosen: tuple) -> Iterator[tuple[Outcome, tuple]]:
        m = cm.metric
        if m.basis == "product":
            yield Outcome("products", j), chosen
            return
        if m.basis == "cases":
            present = cmp(f"c{self.cases.index(m.input)}", "eq", 1)
            yield Outcome("not_reported", j), all_of([chosen, negate(present)])
            if m.method == "count":
                yield Outcome("cases", j), all_of([chosen, present])
            else:
                for sector, pattern in self._sectors(cm, None, None):
                    yield Outcome("cases", j, None, sector), all_of([chosen, present, pattern])
            return
        reported = cmp(self.fields[f"data.{m.input}"].key + "t", "neq", "x")
        if m.tier is None:
            yield Outcome("not_reported", j), all_of([chosen, negate(reported)])
            for sector, pattern in self._sectors(cm, None, None):
                yield Outcome("row", j, None, sector), all_of([chosen, reported, pattern])
            return
        tiers = self._tiers(cm)
        yield Outcome("not_reported", j), all_of([chosen, negate(all_of([reported, any_of(t for _, t in tiers)]))])
        for tier_id, inside in tiers:
            for sector, pattern in self._sectors(cm, None, tier_id):
                yield Outcome("row", j, tier_id, sector), all_of([chosen, reported, inside, pattern])

    def _tiers(self, cm: CompiledMetric) -> list[tuple[str, tuple]]:
        """Each tier's pattern: the first tier whose [min, max) holds the value, as CompiledMetric.tier_of."""
        spec = cm.metric.tier
        assert spec is not None  # asked of tiered metrics only
        fc = self.fields[spec.by]
        out: list[tuple[str, tuple]] = []
        earlier: list[tuple] = []
        for tier in spec.tiers:
            inside = all_of([cmp(fc.key + "t", "eq", "n"), cmp(fc.key + "l", "gte", fc.scaled(tier.min)),
                             cmp(fc.key + "l", "lt", fc.scaled(tier.max)) if tier.max is not None else TRUE])
            out.append((tier.id, all_of(earlier + [inside])))
            earlier.append(negate(inside))
        return out

    def _sectors(self, cm: CompiledMetric, product: str | None, tier: str | None) -> Iterator[tuple[str | None, tuple]]:
        """The sector's row where it has one, else the general row, as CompiledMetric.entry."""
        slot = self.fields["sector"].key + "s"
        own = [s for (s, p, t) in cm.rows if s is not None and p == product and t == tier]
        for s in own:
            yield s, cmp(slot, "eq", s)
        if (None, product, tier) in cm.rows:
            yield None, all_of(cmp(slot, "neq", s) for s in own)

    # -- a submission in, Scored records out ------------------------------------------------------------------------
    def fact(self, sub: Submission) -> dict:
        out: dict = {}
        for fc in self.fields.values():
            fc.encode(sub, out)
        reported = {p.id for p in sub.products}
        for k, product in enumerate(self.products):
            out[f"q{k}"] = 1 if product in reported else 0
        for k, key in enumerate(self.cases):
            out[f"c{k}"] = 0 if sub.cases.get(key) is None else 1
        return out

    def gate_results(self, state: dict) -> list[bool | None]:
        return [None if (v := state.get(f"g{n}")) is None else bool(v) for n in range(len(self.cp.gates))]

    def scored(self, state: dict, sub: Submission) -> list[Scored]:
        out = []
        for n, cr in enumerate(self.cp.rules):
            chosen = state.get(f"r{n}")
            if chosen is None:
                raise TranslationError("backend.rete.no_outcome", f'No outcome of rule "{cr.rule.id}" matched: the'
                                       " policy has no threshold row for this submission.")
            out.append(self._score(n, cr, self.outcomes[n][chosen], state, sub))
        return out

    def _score(self, n: int, cr: CompiledRule, o: Outcome, state: dict, sub: Submission) -> Scored:
        """The Scored record of the matched outcome; the numbers come from engine.scoring.rules's helpers."""
        if o.kind in ("not_applicable", "no_metric"):
            return Scored(o.kind)
        assert o.metric is not None  # every other outcome names its metric
        cp, cm = self.cp, cr.metrics[o.metric]
        m = cm.metric
        if o.kind == "products":
            keys = {p: f"p{n}_{o.metric}_{self._product_index[p]}" for p in cm.products}
            entries = {p: cm.rows[(state[key] or None, p, None)] for p, key in keys.items() if key in state}
            return score_products(cp, cr, cm, sub, entries)
        if o.kind == "cases":
            return score_cases(cp, cr, cm, sub, cm.rows[(o.sector, None, None)] if m.method != "count" else None)
        if o.kind == "not_reported":
            found = Scored("not_reported", cm)
            if m.tier is not None:
                found.x, found.tier_value = sub.data.get(_input(cm)), _tier_value(cm, sub)
            return found
        found = score_value(cp, cr, cm, sub.data[_input(cm)], cm.rows[(o.sector, None, o.tier)])
        if o.tier is not None:
            assert m.tier is not None  # a tier outcome comes from a tiered metric
            found.tier = next(t for t in m.tier.tiers if t.id == o.tier)
            found.tier_value = _tier_value(cm, sub)
        return found


def _input(cm: CompiledMetric) -> str:
    assert cm.metric.input is not None  # the schema requires input on input and cases metrics
    return cm.metric.input


def _tier_value(cm: CompiledMetric, sub: Submission) -> Decimal | None:
    assert cm.tier_value is not None  # a tiered metric reads its tier's value
    return cm.tier_value(sub)
