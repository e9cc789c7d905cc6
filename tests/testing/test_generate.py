"""Generated submissions: valid for their policy, deterministic for a seed, and covering what they claim."""
from __future__ import annotations

import json
from decimal import Decimal

from engine import parse_submission
from engine.testing import generate_submissions


def test_same_seed_same_submissions_and_another_seed_others(general):
    first = generate_submissions(general.policy, 200, 1)
    assert json.dumps(first, sort_keys=True) == json.dumps(generate_submissions(general.policy, 200, 1), sort_keys=True)
    assert first != generate_submissions(general.policy, 200, 2)


def test_every_submission_passes_intake_and_every_sector_comes_up(general, jiangsu, mini):
    for cp in (general, jiangsu, mini):
        subs = [parse_submission(cp.policy, raw) for raw in generate_submissions(cp.policy, 600, 3)]
        assert {s.sector for s in subs} == {s.id for s in cp.policy.sectors} | {"general"}


def test_thresholds_tier_edges_and_missing_values_come_up(general):
    raws = generate_submissions(general.policy, 2000, 4)
    data = [raw["data"] for raw in raws]
    reported = {(raw["enterprise"]["sector"], k, Decimal(str(v))) for raw in raws for k, v in raw["data"].items()}
    for rule in general.policy.rules:
        for m in rule.metrics:
            for row in m.thresholds if m.basis == "input" else ():
                for edge in (row.baseline, row.leading) if row.leading is not None else (row.bands[-1].min,):
                    sectors = [row.sector] if row.sector else ["general"]
                    assert any((s, m.input, edge) in reported for s in sectors), (m.input, row.sector, edge)
    edges = {t.min for rule in general.policy.rules for m in rule.metrics if m.tier for t in m.tier.tiers}
    assert edges <= {raw["energy_use_tce"] for raw in raws}
    assert any(len(d) < len(general.policy.inputs) for d in data)
    products = [p for raw in raws for p in raw.get("products", [])]
    assert any("energy_use_tce" not in p for p in products) and any("values" not in p for p in products)
    assert any(len(raw.get("products", [])) >= 3 for raw in raws)
    cases = [c for raw in raws for cs in raw["cases"].values() for c in cs]
    assert any(c.get("evidence") for c in cases) and any(not c.get("evidence") for c in cases)
