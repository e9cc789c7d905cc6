"""A deterministic, realistic demo population: factories across the 37 recommending authorities, the key sectors and
the general rules, with their listing history, and each factory's self-report for a round.

Scale follows DOMAIN.md §6 (scaled by `factories`): about 36 % are national green factories listed before the first
round (2017–2022), the rest provincial ones that apply in a round (2023–2025), about as many per round as the real
rounds listed (1,491 / 1,382 / 2,038) over a 60 % approval rate. Values are drawn around each factory's own threshold
rows (its sector's, else the general rules'): a persistent quality per factory, a small yearly improvement and
noise, so the same factories stay strong or weak over rounds; about 3 % fail a gate, a few report implausible values.
Same policy, size and seed: the same bytes.
"""
from __future__ import annotations

import hashlib
import random
from decimal import Decimal
from typing import Any

from ..policy.model import Policy
from ..submission.record import GENERAL
from ..submission.region import AUTHORITIES
from ..submission.uscc import CHARSET, with_check_digit
from .generate import Plan

ROUNDS = (2023, 2024, 2025)
APPLY_WEIGHTS = (1491, 1382, 2038)
# rough weight of each authority's share of green factories (coastal manufacturing provinces lead)
HEAVY = {"320000": 9, "330000": 7, "440000": 7, "370000": 7, "340000": 5, "410000": 4, "420000": 4, "350000": 4,
         "130000": 4, "510000": 3, "430000": 3, "360000": 3, "310000": 3, "500000": 2, "120000": 2, "110000": 2,
         "330200": 2, "440300": 2, "370200": 2, "350200": 1, "210200": 1}


def _rng(*parts) -> random.Random:
    return random.Random(int.from_bytes(hashlib.sha256("/".join(map(str, parts)).encode()).digest()[:8], "big"))


def population(policy: Policy, factories: int, seed: int) -> list[dict]:
    """The factories: uscc, name, region, sector, industry_code, quality, provincial_year, national_year, apply_year."""
    rng = _rng("population", seed)
    codes = list(AUTHORITIES)
    weights = [HEAVY.get(c, 1) for c in codes]
    sectors = [s for s in policy.sectors]
    out, seen = [], set()
    national = int(factories * 0.36)
    for n in range(factories):
        authority = rng.choices(codes, weights)[0]
        region = authority if rng.random() < 0.2 else (
            authority[:4] + f"{rng.randint(1, 30):02d}" if authority[2:4] != "00" else authority[:2] + f"{rng.randint(1, 12):02d}"
            + f"{rng.randint(1, 30):02d}")
        sector = rng.choice(sectors) if rng.random() < 0.6 else None
        uscc = with_check_digit("91" + region + "".join(rng.choice(CHARSET) for _ in range(9)))
        if uscc in seen:
            continue
        seen.add(uscc)
        code = rng.choice(sector.codes) if sector else f"{rng.randint(1300, 4390):04d}"
        code = "".join(str(rng.randint(1, 9)) if c == "x" else c for c in code)
        label = sector.label.zh if sector else "制造"
        row: dict[str, Any] = {"uscc": uscc, "name": f"{AUTHORITIES[authority].label.zh}{label}示范工厂{n:05d}有限公司", "region": region,
               "sector": sector.id if sector else GENERAL, "industry_code": code,
               "quality": round(rng.gauss(0.6 if n < national else 0, 1), 4), "provincial_year": rng.randint(2016, 2022)}
        if n < national:
            row["national_year"] = rng.choices(range(2017, 2023), (201, 213, 602, 719, 662, 874))[0]
            row["provincial_year"] = min(row["provincial_year"], row["national_year"] - 1)
        else:
            row["apply_year"] = rng.choices(ROUNDS, APPLY_WEIGHTS)[0]
        out.append(row)
    return out


def applies(factory: dict, year: int, seed: int) -> bool:
    """A provincial factory applies in its year, and again in a later one with a chance if it was not listed."""
    first = factory.get("apply_year")
    return first is not None and (year == first or (year > first and _rng("reapply", seed, factory["uscc"], year).random() < 0.35))


def approves(factory: dict, year: int, seed: int) -> bool:
    """The ministry approves most recommended applicants (recorded by the authority)."""
    return _rng("approve", seed, factory["uscc"], year).random() < 0.6 + 0.3 * min(max(factory["quality"], -1), 1)


class Reporter:
    """Self-reports for a policy, built on the generator's plan (passing facts, evidence keys, case caps)."""

    def __init__(self, policy: Policy):
        self.policy = policy
        self.plan = Plan(policy)
        self.metrics = {m.input: (rule, m) for rule in policy.rules for m in rule.metrics if m.basis == "input"}
        self.cases = {m.input: (rule, m) for rule in policy.rules for m in rule.metrics if m.basis == "cases"}
        self.products = {m.value: m for rule in policy.rules for m in rule.metrics if m.basis == "product"}
        self.sector_products = {s.id: s.products for s in policy.sectors}

    def submission(self, factory: dict, year: int, seed: int) -> dict:
        rng = _rng("submission", seed, factory["uscc"], year)
        q = factory["quality"] + 0.08 * (year - ROUNDS[0]) + rng.gauss(0, 0.35)
        sector = factory["sector"]
        energy = Decimal(int(rng.lognormvariate(8.3, 1.1)))  # tce: a few hundred to tens of thousands
        raw = {"period": str(year - 1),
               "enterprise": {k: factory[k] for k in ("uscc", "name", "region", "sector", "industry_code")},
               "energy_use_tce": int(energy), "output_value": int(energy * rng.randint(8, 60))}
        data = {}
        for spec in self.policy.inputs:
            if rng.random() < 0.04:
                continue  # not reported
            value = self._value(rng, spec, sector, energy, q)
            if value is not None:
                data[spec.id] = value
        raw["data"] = data
        products = [self._product(rng, pid, q) for pid in self.sector_products.get(sector, ())[:3] if rng.random() < 0.8]
        if products:
            raw["products"] = products
        raw["cases"] = {key: [{"title": f"案例{n + 1}", "evidence": [_document(rng)] if rng.random() < 0.9 else []}
                              for n in range(max(0, int(round(rng.gauss(2.5 + q, 1.2)))))] for key in self.cases}
        facts = {k: v for k, v in self.plan.passing.items()}
        if rng.random() < 0.03:  # a failed gate
            gate, test = rng.choice(self.plan.gates)
            name = next((f[6:] for f in _fields(gate) if f.startswith("facts.")), None)
            if name and isinstance(facts.get(name), bool):
                facts[name] = not facts[name]
        raw["facts"] = {k: (int(v) if isinstance(v, Decimal) and v == v.to_integral_value() else
                            float(v) if isinstance(v, Decimal) else v) for k, v in facts.items()}
        raw["evidence"] = {k: [_document(rng)] for k in self.plan.evidence_keys if rng.random() < 0.92}
        return raw

    def _row(self, m, sector: str, energy: Decimal):
        tier = None
        if m.tier is not None:
            tier = next((t.id for t in m.tier.tiers if energy >= t.min and (t.max is None or energy < t.max)), None)
        rows = {(r.sector, r.tier): r for r in m.thresholds}
        return rows.get((sector, tier)) or rows.get((None, tier))

    def _value(self, rng: random.Random, spec, sector: str, energy: Decimal, q: float):
        found = self.metrics.get(spec.id)
        if found is None:
            return float(round(rng.uniform(float(spec.min or 0), float(spec.max or 100)), 2))
        _, m = found
        row = self._row(m, sector, energy)
        if row is None:
            return None
        if row.bands:
            low, top = row.bands[0].min, row.bands[-1].min
            share = min(max(0.5 + 0.3 * q + rng.gauss(0, 0.25), -0.2), 1.4)
            x = float(low) + share * float(top - low + 1)
        else:
            share = 0.45 + 0.3 * q + rng.gauss(0, 0.2)
            if rng.random() < 0.004:  # a few implausible reports, for the reviewers
                share = rng.choice((2.5, -3.0))
            x = float(row.baseline) + share * float(row.leading - row.baseline)
        low = float(spec.min) if spec.min is not None else None
        high = float(spec.max) if spec.max is not None else None
        x = max(x, low) if low is not None else x
        x = min(x, high) if high is not None else x
        return int(round(x)) if spec.integer else round(x, 2)

    def _product(self, rng: random.Random, pid: str, q: float) -> dict:
        values = {}
        for name, m in self.products.items():
            row = next((r for r in m.thresholds if r.product == pid), None)
            if row is not None and row.leading is not None and row.baseline is not None:  # a linear row
                span = row.leading - row.baseline or Decimal(-1 if m.direction == "lower" else 1)
                values[name] = round(float(row.baseline) + (0.4 + 0.35 * q + rng.gauss(0, 0.3)) * float(span), 1)
        return {"id": pid, "output": rng.randint(10000, 2000000), "energy_use_tce": rng.randint(1000, 400000),
                "values": values}


def _fields(gate) -> list[str]:
    from ..scoring.condition import fields_read

    return list(fields_read(gate.pass_when))


def _document(rng: random.Random) -> dict:
    return {"name": f"evidence-{rng.randint(1, 99999)}.pdf", "sha256": "%064x" % rng.getrandbits(256), "uploaded_by": "填报人"}
