"""Generate raw submissions (the JSON form engine.submission.intake.parse_submission accepts) that exercise a policy.

Driven by the policy model alone, no indicator names: every key sector and general in turn; numbers on and around
every threshold the policy declares (baseline, leading, the middle, band edges, size-tier edges, condition
constants) and beyond both ends, within each input's declared range; missing data, facts, product values and
product energy use; several products weighted by energy use, some of another sector, one the policy does not know;
cases with and without evidence; facts that pass every gate, that fail one, that are missing, or random; bonus,
applicability and metric conditions both ways. Deterministic for a seed: for differential tests, property tests
and benchmarks.
"""
from __future__ import annotations

import itertools
import random
from decimal import Decimal
from typing import Any, Iterator

from ..policy.model import Condition, Metric, Policy, TierSpec
from ..scoring.arithmetic import exponent
from ..scoring.condition import comparisons, compile_condition, fields_read
from ..submission.record import GENERAL, Submission
from ..submission.region import AUTHORITIES, NO_AUTHORITY, region_problem
from ..submission.uscc import CHARSET, with_check_digit

TINY = (Decimal("0.01"), Decimal("0.001"), Decimal(1))
CENT = Decimal("0.01")


def generate_submissions(policy: Policy, n: int, seed: int) -> list[dict]:
    """n raw submissions for policy; the same n and seed give the same list."""
    plan = Plan(policy)
    rng = random.Random(seed)
    return [plan.submission(rng, i) for i in range(n)]


class Plan:
    """What to vary, read once from the policy: sectors, interesting numbers, fact answers, a passing profile."""

    def __init__(self, policy: Policy):
        self.policy = policy
        self.sectors = [s.id for s in policy.sectors] + [GENERAL]
        self.codes = {s.id: s.codes for s in policy.sectors}
        self.sector_products = {s.id: s.products for s in policy.sectors}
        metrics = [m for rule in policy.rules for m in rule.metrics]
        self.product_metrics = [m for m in metrics if m.basis == "product"]
        self.case_metrics = {_input(m): m for m in metrics if m.basis == "cases"}
        self.case_caps = {m.input: _cases_for_full(rule.points, m) for rule in policy.rules for m in rule.metrics
                          if m.basis == "cases"}
        self.constants = _constants(policy)
        self.numbers = {(spec.id, sector): self._input_values(spec, [m for m in metrics if m.input == spec.id
                                                                     and m.basis == "input"], sector)
                        for spec in policy.inputs for sector in self.sectors}  # the rows a sector is scored by
        self.tier_numbers = {field: sorted(values) for field, values in self._tier_values(metrics).items()}
        self.answers = {f.id: self._answers(f) for f in policy.facts}
        self.gates = [(g, compile_condition(g.pass_when).test) for g in policy.gates]
        self.gate_facts = {f[6:] for g in policy.gates for f in fields_read(g.pass_when) if f.startswith("facts.")}
        self.passing = self._passing_profile()
        self.evidence_keys = [i.id for i in policy.indicators] + [r.id for r in policy.rules if r.id not in
                                                                  {i.id for i in policy.indicators}]

    # -- numbers --------------------------------------------------------------------------------------------------
    def _input_values(self, spec, metrics: list[Metric], sector: str) -> tuple[list[Decimal], list[Decimal]]:
        """The thresholds themselves, and values around and beyond them, within the input's declared range."""
        exact: set[Decimal] = set(self.constants.get(f"data.{spec.id}", ()))
        edges: set[Decimal] = set()
        for m in metrics:
            own = {row.tier for row in m.thresholds if row.sector == sector}
            for row in m.thresholds:
                if row.sector == sector or (row.sector is None and row.tier not in own):
                    exact |= _row_exact(row)
                    edges |= _row_edges(row)
        for tiers in self.policy_tiers(f"data.{spec.id}"):
            exact |= {t.min for t in tiers.tiers} | {t.max for t in tiers.tiers if t.max is not None}
        edges |= exact
        low = spec.min if spec.min is not None else min(edges, default=Decimal(0)) - 10
        top = max(edges, default=Decimal(100))
        high = spec.max if spec.max is not None else top + abs(top) + 10
        values = {v for e in edges for v in (e, e - TINY[0], e + TINY[0], e + TINY[2], e - TINY[2])}
        values |= {low, high, (low + high) / 2}
        def fits(v: Decimal) -> bool:
            return low <= v <= high and (not spec.integer or v == v.to_integral_value())

        return sorted(filter(fits, exact)), sorted(filter(fits, values)) or [low]

    def policy_tiers(self, field: str) -> Iterator[TierSpec]:
        """The size tiers of every metric whose tier is chosen by field."""
        return (m.tier for rule in self.policy.rules for m in rule.metrics if m.tier is not None and m.tier.by == field)

    def _tier_values(self, metrics: list[Metric]) -> dict[str, set]:
        out: dict[str, set] = {"energy_use_tce": set(), "output_value": set()}
        for field in out:
            for c in self.constants.get(field, ()):
                out[field] |= {c, c - TINY[0], c + TINY[0]}
            for tiers in self.policy_tiers(field):
                for t in tiers.tiers:
                    for edge in (t.min, t.max):
                        if edge is not None:
                            out[field] |= {edge, edge - TINY[0], edge - TINY[1], edge + TINY[0]}
            out[field] = {v for v in out[field] if v >= 0}
        return out

    def _amount(self, rng: random.Random, field: str) -> Decimal:
        edges = self.tier_numbers.get(field) or []
        if edges and rng.random() < 0.6:
            return rng.choice(edges)
        return _round(Decimal(rng.uniform(0, 200000)), rng)

    def _value(self, rng: random.Random, choices: tuple[list, list], integer: bool = False) -> Decimal:
        exact, values = choices
        draw = rng.random()
        if exact and draw < 0.45:
            return rng.choice(exact)
        if draw < 0.85:
            return rng.choice(values)
        low, high = values[0], values[-1]
        v = Decimal(rng.uniform(float(low), float(high)))
        return v.to_integral_value() if integer else min(max(_round(v, rng), low), high)

    # -- facts ----------------------------------------------------------------------------------------------------
    def _answers(self, fact) -> list[Any]:
        if fact.type == "boolean":
            return [True, False]
        consts = self.constants.get(f"facts.{fact.id}", set())
        if fact.type == "number":
            return sorted({v for c in consts for v in (c, c - 1, c + 1, c + Decimal("0.5"))} | {Decimal(0)})
        return list(fact.values) or sorted({c for c in consts if isinstance(c, str)} | {"other"})

    def _passing_profile(self) -> dict:
        """Answers that pass every gate that reads only facts, found gate by gate from each fact's answers."""
        profile: dict = {}
        for gate, test in self.gates:
            names = [f[6:] for f in fields_read(gate.pass_when) if f.startswith("facts.")]
            if test(_stub(profile)) is True or not names:
                continue
            free = [n for n in names if n not in profile] or names
            for combo in itertools.islice(itertools.product(*(self.answers.get(n, [None]) for n in free)), 4096):
                trial = {**profile, **dict(zip(free, combo))}
                if test(_stub(trial)) is True:
                    profile = trial
                    break
        return profile

    def _facts(self, rng: random.Random) -> dict:
        mode = rng.random()
        facts = dict(self.passing)
        if mode < 0.25:  # one gate fails
            gate, test = rng.choice(self.gates)
            names = [f[6:] for f in fields_read(gate.pass_when) if f.startswith("facts.")]
            for combo in itertools.product(*(self.answers.get(n, [None]) for n in names)):
                trial = {**facts, **dict(zip(names, combo))}
                if test(_stub(trial)) is False:
                    facts = trial
                    break
        elif mode < 0.45:  # some answers missing
            for name in rng.sample(sorted(facts), min(len(facts), rng.randint(1, 3))):
                del facts[name]
        elif mode < 0.6:  # anything
            facts = {}
            for name in sorted(self.gate_facts):
                if rng.random() < 0.85:
                    facts[name] = rng.choice(self.answers[name])
        for name, answers in self.answers.items():  # bonus, applicability and metric conditions, both ways
            if name not in self.gate_facts:
                if rng.random() < 0.8:
                    facts[name] = rng.choice(answers)
                else:
                    facts.pop(name, None)
        return facts

    # -- one submission --------------------------------------------------------------------------------------------
    def submission(self, rng: random.Random, i: int) -> dict:
        sector = self.sectors[i % len(self.sectors)]
        region = self._region(rng)
        raw: dict = {
            "period": "2025",
            "enterprise": {"uscc": with_check_digit("91" + region + "".join(rng.choice(CHARSET) for _ in range(9))),
                           "name": f"示例企业{i:05d}有限公司", "region": region, "sector": sector,
                           "industry_code": self._industry_code(rng, sector)},
            "energy_use_tce": _json(self._amount(rng, "energy_use_tce")),
            "output_value": _json(self._amount(rng, "output_value")),
        }
        products = self._products(rng, sector)
        if products or rng.random() < 0.5:
            raw["products"] = products
        raw["data"] = {spec.id: _json(self._value(rng, self.numbers[spec.id, sector], spec.integer))
                       for spec in self.policy.inputs if rng.random() < 0.85}
        raw["cases"] = {k: self._cases(rng, k) for k in self.case_metrics if rng.random() < 0.8}
        raw["facts"] = {k: _json(v) for k, v in self._facts(rng).items()}
        raw["evidence"] = {k: [_document(rng)] for k in self.evidence_keys if rng.random() < 0.5}
        return raw

    def _region(self, rng: random.Random) -> str:
        named = sorted(c for c in self.constants.get("region", ()) if isinstance(c, str) and region_problem(c) is None
                       and c[:2] not in NO_AUTHORITY)
        if named and rng.random() < 0.2:  # a region a condition names
            return rng.choice(named)
        code = rng.choice(list(AUTHORITIES))
        if rng.random() < 0.5:  # a county or city under it
            code = code[:4] + f"{rng.randint(1, 99):02d}" if code.endswith("00") and code[2:4] != "00" else \
                code[:2] + f"{rng.randint(1, 90):02d}{rng.randint(0, 99):02d}"
        return code

    def _industry_code(self, rng: random.Random, sector: str) -> str:
        codes = self.codes.get(sector)
        named = sorted(c for c in self.constants.get("industry_code", ()) if isinstance(c, str) and len(c) == 4
                       and c.isdigit())
        if named and rng.random() < 0.1:  # an industry code a condition names
            return rng.choice(named)
        if codes and rng.random() < 0.9:
            code = rng.choice(codes)
        elif sector != GENERAL and rng.random() < 0.5:
            code = rng.choice(self.codes[rng.choice(self.sectors[:-1])])  # a code of another sector: flagged
        else:
            code = f"{rng.randint(1300, 4390):04d}"
        return "".join(str(rng.randint(0, 9)) if c == "x" else c for c in code)

    def _products(self, rng: random.Random, sector: str) -> list[dict]:
        known = sorted({p for m in self.product_metrics for row in m.thresholds if (p := row.product)})
        own = [p for p in self.sector_products.get(sector, ()) if p in known]
        pool = own if own and rng.random() < 0.8 else known
        if not pool or rng.random() < 0.25:
            chosen: list[str] = []
        else:
            chosen = rng.sample(pool, min(len(pool), rng.choice((1, 1, 2, 3, 4))))
        if rng.random() < 0.15:
            chosen.append("unlisted_product")
        out = []
        for pid in chosen:
            product: dict = {"id": pid}
            if rng.random() < 0.8:
                product["output"] = _json(_round(Decimal(rng.uniform(0, 2e6)), rng))
            if rng.random() < 0.85:
                product["energy_use_tce"] = _json(rng.choice((Decimal(0), _round(Decimal(rng.uniform(0, 2e5)), rng),
                                                              Decimal(rng.randint(1, 5) * 1000))))
            values = {}
            for m in self.product_metrics:
                rows = [r for r in m.thresholds if r.product == pid]
                exact = sorted(set().union(*map(_row_exact, rows)))
                edges = set().union(*map(_row_edges, rows)) or {Decimal(0)}
                if rng.random() < 0.85:
                    spread = {e + d for e in edges for d in (0, TINY[0], -TINY[0], TINY[2] * 5, -TINY[2] * 5)}
                    values[m.value] = _json(self._value(rng, (exact, sorted(spread))))
            if values:
                product["values"] = values
            out.append(product)
        return out

    def _cases(self, rng: random.Random, key: str) -> list[dict]:
        return [{"title": f"案例 {n + 1}", **({"evidence": [_document(rng)]} if rng.random() < 0.7 else
                                              {"evidence": []} if rng.random() < 0.5 else {})}
                for n in range(rng.randint(0, self.case_caps[key] + 2))]


def _constants(policy: Policy) -> dict[str, set]:
    """The constants each field is compared with, in every condition of the policy."""
    out: dict[str, set] = {}

    def walk(cond: Condition | None) -> None:
        for c in comparisons(cond):
            if c.op != "present":
                for v in c.value if isinstance(c.value, tuple) else (c.value,):
                    out.setdefault(c.field, set()).add(Decimal(v) if isinstance(v, (int, Decimal))
                                                       and not isinstance(v, bool) else v)

    for gate in policy.gates:
        walk(gate.pass_when)
    for rule in policy.rules:
        walk(rule.applies_when)
        for m in rule.metrics:
            walk(m.when)
    for item in policy.bonus.items if policy.bonus else ():
        for award in item.awards:
            walk(award.when)
    return {k: {v for v in vs if not isinstance(v, bool)} for k, vs in out.items()}


def _row_exact(row) -> set[Decimal]:
    """The row's thresholds: baseline, leading, band edges."""
    out = {v for v in (row.baseline, row.leading) if v is not None}
    return out.union(*({b.min} | ({b.max} if b.max is not None else set()) for b in row.bands))


def _row_edges(row) -> set[Decimal]:
    """Around the row's thresholds: the middle, a quarter, a span beyond either end, just under a band's max."""
    edges = _row_exact(row)
    if row.baseline is not None and row.leading is not None:
        span = row.leading - row.baseline
        edges |= {row.baseline + span / 2, row.baseline + span / 4, row.baseline - span, row.leading + span}
    return edges | {b.max - CENT for b in row.bands if b.max is not None}


def _cases_for_full(points: Decimal, m: Metric) -> int:
    return int(points / m.per_case) + 1 if m.per_case else 5


def _input(m: Metric) -> str:
    assert m.input is not None  # the schema requires input on input and cases metrics
    return m.input


def _stub(facts: dict) -> Submission:
    """A submission with these facts and nothing else: enough for a gate that reads only facts."""
    return Submission(period="", uscc="", name="", region="110000", sector=GENERAL, industry_code="0000",
                      energy_use_tce=None, output_value=None, products=(), data={}, cases={}, facts=facts, evidence={},
                      digest="")


def _round(v: Decimal, rng: random.Random) -> Decimal:
    return v.quantize(Decimal(1).scaleb(-rng.choice((0, 1, 2, 3))))


def _json(v: Any) -> Any:
    """A JSON number that intake reads back as exactly v; other values as they are."""
    if not isinstance(v, Decimal):
        return v
    v = v.quantize(Decimal("0.000001")).normalize() if exponent(v) < -6 else v
    if v == v.to_integral_value():
        return int(v)
    f = float(v)
    assert Decimal(repr(f)) == v, v
    return f


def _document(rng: random.Random) -> dict:
    return {"name": f"evidence-{rng.randint(1, 9999)}.pdf", "sha256": "%064x" % rng.getrandbits(256),
            "uploaded_by": "张三"}
