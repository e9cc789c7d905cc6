"""The built-in backend's fast paths give the exact Decimal path's numbers, digit for digit.

engine.fastpoints rounds linear points in float64 with a guard band; engine.fastscore specialises rule scorers per
policy. Checked here against engine.arithmetic and engine.rulescore.score_rule: on every rounding jump of every
mode (values exactly on k + 0.5 or k quanta, and a hair either side), on thresholds, on huge and long values, and
over generated submissions (values on thresholds and band edges, missing data, every sector) of every policy.
"""
from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

import pytest

from engine.arithmetic import CONTEXT, linear_share, points_of
from engine.catalog import Catalog
from engine.fastpoints import linear_points, quanta_table
from engine.generate import generate_submissions
from engine.intake import parse_submission
from engine.rulescore import score_rule

from tests.support import ROOT

MODES = (ROUND_HALF_UP, ROUND_HALF_EVEN, ROUND_DOWN)
ROWS = [  # baseline, leading, higher is better, full points
    (Decimal("110"), Decimal("97"), False, Decimal(8)),  # DOMAIN.md's clinker row
    (Decimal("0"), Decimal("30"), True, Decimal(8)),
    (Decimal("-12"), Decimal("-20"), False, Decimal(3)),  # negative thresholds (converter)
    (Decimal("0.3"), Decimal("0.7"), True, Decimal("2.5")),
    (Decimal("1"), Decimal("1.000001"), True, Decimal(6)),  # a narrow band: a large factor k
    (Decimal("1E+9"), Decimal("2E+9"), True, Decimal(4)),
    (Decimal("95"), Decimal("95"), True, Decimal(8)),  # zero width: a step
]
TINY = Decimal("1E-20")


def exact(row, quantum: Decimal, mode: str, x: Decimal) -> Decimal:
    baseline, leading, higher, full = row
    return points_of(full, linear_share(x, baseline, leading, higher), quantum, mode)


def edge_values(row, quantum: Decimal) -> list[Decimal]:
    """x on every half and whole quantum of the row's points, a hair either side, the thresholds and beyond."""
    baseline, leading, _, full = row
    out = {baseline, leading, baseline - (leading - baseline), leading + (leading - baseline), Decimal(0),
           Decimal("1E+30"), Decimal("-1E+30"), Decimal("1.2345678901234567890123456789"), baseline + TINY}
    if leading != baseline:
        most = int(full / quantum)
        for n in range(0, 2 * most + 1, max(1, most // 40)):  # r = n / 2 quanta: every other one on a half
            x = CONTEXT.add(baseline, CONTEXT.divide(CONTEXT.multiply(Decimal(n) / 2 * quantum, leading - baseline), full))
            out |= {x, x + TINY, x - TINY, x.quantize(Decimal("0.0001"))}
    return sorted(out)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("places", [0, 1, 2])
@pytest.mark.parametrize("row", ROWS)
def test_linear_points_equal_the_exact_path_on_every_rounding_edge(row, places, mode):
    quantum = Decimal(1).scaleb(-places)
    points = linear_points(*row[:3], row[3], quantum, mode, quanta_table(quantum, int(row[3] / quantum)))
    for x in edge_values(row, quantum):
        want, got = exact(row, quantum, mode, x), points(x)
        assert (str(got), got.as_tuple()) == (str(want), want.as_tuple()), f"x={x}"


def test_a_value_on_a_half_quantum_is_decided_by_the_exact_path():
    # DOMAIN.md's row: 8 × (110 − x) / 13 = 2.125 exactly at x = 106.546875: half_up 2.13, half_even 2.12, down 2.12
    row, x = ROWS[0], Decimal("106.546875")
    q = Decimal("0.01")
    got = [linear_points(*row[:3], row[3], q, mode, quanta_table(q, 800))(x) for mode in MODES]
    assert [str(p) for p in got] == ["2.13", "2.12", "2.12"]


CATALOG = Catalog.from_dir(ROOT / "policies")


@pytest.mark.parametrize("ref", sorted(cp.policy.ref for cp in CATALOG.all()))
def test_specialised_scorers_record_what_score_rule_records(ref):
    cp = CATALOG.get(ref)
    fields = ("status", "scope", "points", "x", "entry", "band", "tier", "tier_value", "products", "parts", "missing",
              "counted", "total_cases", "share")
    specialised = 0
    for raw in generate_submissions(cp.policy, 400, seed=7):
        sub = parse_submission(cp.policy, raw)
        for cr, scorer in zip(cp.rules, cp.scorers):
            fast, slow = scorer(sub), score_rule(cp, cr, sub)
            specialised += type(fast) is not type(slow)
            assert fast.metric is slow.metric
            for name in fields:
                a, b = getattr(fast, name), getattr(slow, name)
                assert (a, str(a)) == (b, str(b)), (cr.rule.id, name)
    assert specialised  # the comparison covered specialised scorers, not score_rule against itself
