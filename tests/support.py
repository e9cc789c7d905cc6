"""Helpers shared by test modules (fixtures live in conftest.py): paths, submitting a changed copy of an example,
comparing a population row with the exact outcome, and populations whose numbers sit on every edge.

Populations for the column evaluator's tests: generated submissions, and variants of them whose numbers sit
exactly on thresholds, band and tier edges, on x.xx5 rounding boundaries, and one float step either side. A variant
is built twice, as the raw JSON a file holds and as the Submission intake makes of it, so that the reference
(engine.evaluate) needs no second intake of 100,000 rows; the tests check a sample of variants against intake.
"""
from __future__ import annotations

import copy
import dataclasses
import math
import random
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from engine import load_policy_text, parse_submission
from engine.policy import set_scalar
from engine.testing import generate_submissions

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "submissions"
MINI = ROOT / "tests" / "fixtures" / "mini" / "2025.1.yaml"


def submit(cp, raw: dict, **changes):
    """parse_submission of a copy of raw with top-level keys replaced (None removes the key)."""
    doc = copy.deepcopy(raw)
    for key, value in changes.items():
        if value is None:
            doc.pop(key, None)
        else:
            doc[key] = value
    return parse_submission(cp.policy, doc)


MINI_SUB = {
    "period": "2025",
    "enterprise": {"uscc": "91350100M000100Y43", "name": "Test", "region": "350100", "sector": "general",
                   "industry_code": "3011"},
    "energy_use_tce": 2000, "output_value": 1000, "products": [],
    "data": {"energy_intensity_output": 85, "renewable_share": 0, "retrofit_projects": 0},
    "cases": {}, "facts": {"deregistered": False}, "evidence": {},
}


def variant(mini, *edits, text=None):
    """The mini policy (or text) with values set: variant(mini, path, value, path, value, ...), a Policy."""
    text = text or mini.policy.text
    for path, value in zip(edits[::2], edits[1::2]):
        text = set_scalar(text, path, value)
    return load_policy_text(text, "policies/mini/2025.2.yaml")


def same_outcome(got, ref) -> bool:
    """A population row's outcome is the exact one (the row carries no submission digest of its own)."""
    return got == dataclasses.replace(ref, submission_digest=got.submission_digest)


def as_json(d: Decimal):
    """The JSON number intake reads back as exactly d, or None if no int or float spells it."""
    if d == d.to_integral_value() and abs(d) < 2 ** 53:
        return int(d)
    f = float(d)
    return f if Decimal(repr(f)) == d else None


def read_back(v) -> Decimal:
    """engine.submission.intake's rule: a float is the decimal its repr writes, an int is itself."""
    return Decimal(repr(v)) if isinstance(v, float) else Decimal(v)


def half_steps(baseline: Decimal, leading: Decimal, points: Decimal, quantum: Decimal, rng: random.Random,
               count: int = 8) -> list[Decimal]:
    """Values x whose points points * (x - baseline) / (leading - baseline) lie exactly on k + 0.5 quanta."""
    full = Fraction(points / quantum)
    out: list[Decimal] = []
    for _ in range(400):
        k = rng.randrange(max(int(full), 1))
        x = Fraction(baseline) + Fraction(2 * k + 1, 2) * (Fraction(leading) - Fraction(baseline)) / full
        den = x.denominator
        for p in (2, 5):
            while den % p == 0:
                den //= p
        if den == 1:
            out.append(Decimal(x.numerator) / Decimal(x.denominator))
        if len(out) >= count:
            break
    return out


def neighbours(values) -> list[Decimal]:
    """Each value, and the decimals of the floats one step below and above it."""
    out = []
    for d in values:
        f = float(d)
        out += [d, Decimal(repr(math.nextafter(f, -math.inf))), Decimal(repr(math.nextafter(f, math.inf)))]
    return out


def value_bank(cp, rng: random.Random) -> tuple[dict, dict, list]:
    """Per input, per (value name, product), and for energy use: (json value, decimal) pairs worth testing."""
    q = cp.quantum
    inputs: dict = {}
    products: dict = {}
    tiers: set = set()
    for cr in cp.rules:
        for cm in cr.metrics:
            m = cm.metric
            for row in m.thresholds:
                edges = {v for v in (row.baseline, row.leading) if v is not None}
                edges |= {b.min for b in row.bands} | {b.max for b in row.bands if b.max is not None}
                found = set(edges)
                if row.baseline is not None and row.leading is not None and row.baseline != row.leading:
                    found |= set(half_steps(row.baseline, row.leading, cr.rule.points, q, rng))
                    span = row.leading - row.baseline
                    found |= {row.baseline + span * Decimal(rng.randint(-300, 1300)) / 1000 for _ in range(6)}
                target = products.setdefault((m.value, row.product), set()) if m.basis == "product" else \
                    inputs.setdefault(m.input, set()) if m.basis == "input" else None
                if target is not None:
                    target |= set(neighbours(found))
            if m.tier is not None and m.tier.by == "energy_use_tce":
                tiers |= set(neighbours({t.min for t in m.tier.tiers} | {t.max for t in m.tier.tiers if t.max}))
                tiers |= {t.min + Decimal("0.01") for t in m.tier.tiers}
    specs = {i.id: i for i in cp.policy.inputs}

    def usable(values, spec=None, low=None) -> list:
        out = []
        for d in sorted(values):
            if spec is not None and ((spec.min is not None and d < spec.min) or (spec.max is not None and d > spec.max)
                                     or (spec.integer and d != d.to_integral_value())):
                continue
            if low is not None and d < low:
                continue
            j = as_json(d)
            if j is not None and abs(d) <= Decimal(10) ** 15:
                out.append((j, read_back(j)))
        return out
    return ({k: usable(v, specs[k]) for k, v in inputs.items() if k in specs},
            {k: usable(v) for k, v in products.items()}, usable(tiers, low=Decimal(0)))


def variants(cp, count: int, seed: int, base: int = 2000) -> tuple[list, list]:
    """count raw submissions and their Submissions: generated ones, then variants with banked numbers."""
    rng = random.Random(seed)
    raws = generate_submissions(cp.policy, base, seed)
    subs = [parse_submission(cp.policy, r) for r in raws]
    inputs, products, tiers = value_bank(cp, rng)
    out_raw, out_sub = list(raws), list(subs)
    while len(out_raw) < count:
        b = rng.randrange(base)
        raw, sub = raws[b], subs[b]
        data_raw, data_sub = dict(raw.get("data", {})), dict(sub.data)
        for key, values in inputs.items():
            if values and rng.random() < 0.45:
                data_raw[key], data_sub[key] = rng.choice(values)
        raw2, changes = {**raw, "data": data_raw}, {"data": data_sub}
        if tiers and rng.random() < 0.3:
            raw2["energy_use_tce"], changes["energy_use_tce"] = rng.choice(tiers)
        if raw.get("products") and rng.random() < 0.6:
            reports_raw, reports_sub = list(raw["products"]), list(sub.products)
            p = rng.randrange(len(reports_raw))
            for (name, pid), values in products.items():
                if pid == reports_raw[p]["id"] and values:
                    j, d = rng.choice(values)
                    reports_raw[p] = {**reports_raw[p], "values": {**reports_raw[p].get("values", {}), name: j}}
                    reports_sub[p] = dataclasses.replace(reports_sub[p], values={**reports_sub[p].values, name: d})
            raw2["products"], changes["products"] = reports_raw, tuple(reports_sub)
        out_raw.append(raw2)
        out_sub.append(dataclasses.replace(sub, **changes))
    return out_raw, out_sub
