"""Evaluate a bound population: gates, rules, totals, bonus and decisions for every row, as engine.scoring.evaluator
does for one; rows the columns cannot settle for certain are evaluated by engine.scoring.evaluator itself.

Every number is a whole count of quanta (int64). outcome(i) rebuilds row i's Outcome (trace=None) from the
columns; trace(i) evaluates row i again with the single evaluator, trace included.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Sequence

import numpy as np

from . import logic
from ..scoring.arithmetic import ZERO
from ..scoring.context import RegionalBaseline
from ..scoring.evaluator import evaluate
from ..scoring.trace import Outcome, RuleResult
from ..submission.record import GENERAL
from .columns import Columns
from .exact import divide, quanta, scale_of, scaled
from .scoring import FLAGS, NOT_APPLICABLE, SCORED, STATUSES, RuleScores, Scopes, Scorer

GATE_STATUSES = ("passed", "failed", "undetermined")
NO, UNKNOWN, YES = 0, 1, 2  # a decision: False, None, True
_DECIDED = {False: NO, None: UNKNOWN, True: YES}
_GATE_CODE = np.array([1, 2, 0], dtype=np.int8)  # a gate's test F, U, T -> failed, undetermined, passed


@dataclass(eq=False)
class Population:
    """Outcomes of many submissions under one policy, column by column."""

    cols: Columns
    baselines: RegionalBaseline | Sequence[RegionalBaseline | None] | None  # for every row, one per row, or none
    sector_bests: dict  # sector -> SectorBest
    rules: list  # RuleScores per rule, in policy order
    flags: np.ndarray  # int8 [rules, n]: bits of scoring.FLAGS
    gates: np.ndarray  # int8 [gates, n]: GATE_STATUSES
    earned: np.ndarray  # int64 quanta
    applicable: np.ndarray  # int64 index into applicable_values
    applicable_values: list  # Decimal
    total: np.ndarray
    bonus: np.ndarray
    score: np.ndarray
    eligible: np.ndarray  # int8 NO / UNKNOWN / YES
    meets: np.ndarray
    recommended: np.ndarray
    mismatch: np.ndarray  # industry_code_mismatch
    scopes: list
    one_by_one: np.ndarray  # rows the single evaluator scored
    boundary_points: int  # rule points recomputed in Decimal: the float was within its error of a rounding jump
    _outcomes: dict = field(default_factory=dict)  # rows the single evaluator scored: its Outcome
    _cache: dict | None = None

    @property
    def valid(self) -> np.ndarray:
        return self.cols.valid

    @property
    def cp(self):
        return self.cols.cp

    def baseline(self, i: int) -> RegionalBaseline | None:
        b = self.baselines
        return b if b is None or isinstance(b, RegionalBaseline) else b[i]

    def number(self, q) -> Decimal:
        """A whole number of quanta as the Decimal the single evaluator writes."""
        return Decimal(int(q)).scaleb(-self.cp.policy.rounding_places)

    def outcome(self, i: int, *, digest: bool = True) -> Outcome:
        """Row i's Outcome without trace: equal to evaluate(cp, submission, trace=False, ...) (with
        submission_digest "" unless digest, which runs intake for it)."""
        return next(self.outcomes([i], digest=digest))

    def outcomes(self, rows=None, *, digest: bool = False):
        """The Outcome of each valid row of rows (default: all valid rows), in order."""
        rows = np.flatnonzero(self.valid) if rows is None else rows
        cp, places = self.cp, self.cp.policy.rounding_places
        lists = self._lists()
        rescale = cp.policy.not_applicable == "rescale"
        gate_results = [cg.results for cg in cp.gates]
        memo: dict = {}  # equal rule results are one immutable record
        for i in rows:
            i = int(i)
            if i in self._outcomes:
                settled = self._outcomes[i]
                yield settled if digest else replace(settled, submission_digest="")
                continue
            if not self.valid[i]:
                raise ValueError(f"row {i} is not valid under {cp.policy.ref}: see its issues")
            rules, pillars, any_scored = [], dict.fromkeys(cp.pillar_ids, ZERO), False
            for r, (status, points, metric, scope, flags) in enumerate(lists["rules"]):
                key = (r, status[i], points[i], metric[i], scope[i], flags[i])
                result = memo.get(key)
                if result is None:
                    result = memo[key] = self._rule_result(*key)
                any_scored |= key[1] == SCORED
                rules.append(result)
                pillars[result.pillar] += result.points
            applicable = self.applicable_values[lists["applicable"][i]]
            earned = Decimal(lists["earned"][i]).scaleb(-places) if any_scored else ZERO
            total = Decimal(lists["total"][i]).scaleb(-places) if rescale and applicable != cp.policy.total_points \
                else earned
            bonus = Decimal(lists["bonus"][i]).scaleb(-places) if cp.policy.bonus is not None else ZERO
            flags = [f"{f}:{r.id}" for r in rules for f in r.flags]
            if lists["mismatch"][i]:
                flags.append("industry_code_mismatch")
            b = self.baseline(i)
            decision = (("eligible", _DECISION[lists["eligible"][i]]),
                        ("meets_regional_baseline", _DECISION[lists["meets"][i]]),
                        ("recommended", _DECISION[lists["recommended"][i]]),
                        ("baseline", None if b is None else {"snapshot": b.snapshot, "scope": b.scope, "size": b.size,
                                                             "mean": b.mean}))
            yield Outcome(cp.policy.ref, cp.policy.digest, self.cols.submission(i).digest if digest else "",
                          self.cols.frame.sector[i],
                          tuple(results[(True, False, None)[g[i]]] for results, g in zip(gate_results, lists["gates"])),
                          tuple(rules), tuple(pillars.items()), earned, applicable, total, bonus, total + bonus,
                          decision, tuple(flags), None)

    def _rule_result(self, r: int, status: int, points: int, metric: int, scope: int, flags: int) -> RuleResult:
        cr = self.cp.rules[r]
        return RuleResult(cr.rule.id, cr.rule.indicator, cr.rule.pillar, STATUSES[status],
                          cr.metrics[metric].metric.id if metric >= 0 else None,
                          self.scopes[scope] if scope >= 0 else None,
                          self.number(points) if status == SCORED else ZERO, cr.rule.points, _FLAG_SETS[flags])

    def _lists(self) -> dict:
        """The columns as Python lists, once: indexing a list is far cheaper than a NumPy scalar."""
        if self._cache is None:
            self._cache = {
                "rules": [(s.status.tolist(), s.points.tolist(), s.metric.tolist(), s.scope.tolist(), f.tolist())
                          for s, f in zip(self.rules, self.flags)],
                "gates": [g.tolist() for g in self.gates],
                **{k: getattr(self, k).tolist() for k in ("applicable", "earned", "total", "bonus", "mismatch",
                                                          "eligible", "meets", "recommended")}}
        return self._cache

    def trace(self, i: int) -> Outcome:
        """Row i evaluated again by the single evaluator, with its full trace."""
        sub = self.cols.submission(i)
        return evaluate(self.cp, sub, baseline=self.baseline(i), sector_best=self.sector_bests.get(sub.sector))


_FLAG_SETS = [tuple(f for k, f in enumerate(FLAGS) if bits >> k & 1) for bits in range(1 << len(FLAGS))]
_DECISION = (False, None, True)


def evaluate_population(cols: Columns, *, baseline=None, sector_bests=None) -> Population:
    """Every valid row of cols evaluated under cols.cp, agreeing on each with
    engine.scoring.evaluator.evaluate(cp, sub, trace=False, baseline=..., sector_best=sector_bests.get(sub.sector)).
    baseline: one RegionalBaseline for every row, or a sequence with each row's (None: no baseline)."""
    cp, n = cols.cp, cols.n
    scopes = Scopes()
    sector_bests = dict(sector_bests or {})
    scorer = Scorer(cols, scopes, sector_bests)
    rules = [scorer.rule(cr) for cr in cp.rules]
    tests = np.array([logic.truth(cols, cg.condition.form) for cg in cp.gates], dtype=np.int8)
    gates = _GATE_CODE[tests.reshape(len(cp.gates), n)]
    flags = np.array([s.flags | _evidence_missing(cols, cr, s) for cr, s in zip(cp.rules, rules)],
                     dtype=np.int8).reshape(len(rules), n)
    earned = np.sum([s.points for s in rules], axis=0, dtype=np.int64) if rules else np.zeros(n, np.int64)
    assert isinstance(earned, np.ndarray)  # axis=0 over rows of n: one sum per row
    applicable, values, total = _totals(cols, rules, earned)
    bonus = _bonus(cols)
    score = total + bonus
    eligible = np.where((gates == 1).any(axis=0), NO, np.where((gates == 2).any(axis=0), UNKNOWN, YES)).astype(np.int8)
    meets = _meets(cp, score, baseline, n)
    recommended = np.where((eligible == NO) | (meets == NO), NO,
                           np.where((eligible == YES) & (meets == YES), YES, UNKNOWN)).astype(np.int8)
    out = Population(cols, baseline, sector_bests, rules, flags, gates, earned, applicable, values, total, bonus, score,
                     eligible, meets, recommended, _mismatch(cols), scopes.names,
                     cols.valid & (cols.one_by_one | scorer.unsafe), scorer.boundary)
    for i in np.flatnonzero(out.one_by_one):
        _settle(out, int(i), scopes)
    return out


def _evidence_missing(cols: Columns, cr, s: RuleScores) -> np.ndarray:
    """engine.scoring.rules.flags_of: data reported without the evidence the policy requires."""
    rule = cr.rule
    if rule.evidence != "required":
        return np.zeros(cols.n, dtype=bool)
    filed = np.zeros(cols.n, dtype=bool)
    for key in dict.fromkeys((rule.id, rule.indicator)):
        if key in cols.frame.evidence:
            filed |= cols.frame.evidence[key]
    cases = np.zeros(cols.n, dtype=bool)
    for m, cm in enumerate(cr.metrics):
        if cm.metric.basis == "cases":
            cases |= (s.metric == m) & (s.counted > 0)
    return (s.status == SCORED) & ~filed & ~cases


def _totals(cols: Columns, rules: list, earned: np.ndarray):
    """Applicable points per row (by the pattern of rules not applicable) and the total, rescaled if so."""
    policy, cp = cols.cp.policy, cols.cp
    n = cols.n
    conditional = [r for r, cr in enumerate(cp.rules) if cr.rule.applies_when is not None]
    if len(conditional) > 62:
        raise NotImplementedError("more than 62 rules with applies_when")
    code = np.zeros(n, dtype=np.int64)
    for bit, r in enumerate(conditional):
        code |= (rules[r].status == NOT_APPLICABLE).astype(np.int64) << bit
    codes, back = np.unique(code, return_inverse=True)
    patterns = [[bool(c >> conditional.index(r) & 1) if r in conditional else False for r in range(len(rules))]
                for c in codes.tolist()]
    values, total = [], earned.copy()
    for p, pattern in enumerate(patterns):
        applicable = ZERO
        for cr, off in zip(cp.rules, pattern):
            if policy.not_applicable == "zero" or not off:
                applicable += cr.rule.points
        values.append(applicable)
        if policy.not_applicable != "rescale" or applicable == policy.total_points:
            continue
        rows = back == p
        if applicable == ZERO:
            total[rows] = 0
            continue
        places = scale_of([policy.total_points, applicable])
        t, a = scaled(policy.total_points, places), scaled(applicable, places)
        if int(np.max(np.abs(earned[rows]), initial=0)) * t >= 2 ** 62:
            raise OverflowError("scores too large for exact int64 rescaling")
        total[rows] = divide(earned[rows] * t, a, cp.rounding)
    return back.astype(np.int64), values, total


def _bonus(cols: Columns) -> np.ndarray:
    cp, n = cols.cp, cols.n
    bonus = cp.policy.bonus
    if bonus is None:
        return np.zeros(n, dtype=np.int64)
    places = scale_of([bonus.max_points, cp.quantum] + [a.award.points for cb in cp.bonus for a in cb.awards])
    raw = np.zeros(n, dtype=np.int64)
    for cb in cp.bonus:
        won = np.zeros(n, dtype=bool)
        for ca in cb.awards:
            hit = ~won & (logic.truth(cols, ca.condition.form) == logic.T)
            raw[hit] += scaled(ca.award.points, places)
            won |= hit
    capped = np.minimum(raw, scaled(bonus.max_points, places))
    shift = places - cp.policy.rounding_places
    return divide(capped, 10 ** shift, cp.rounding) if shift > 0 else capped * 10 ** -shift


def _meets(cp, score: np.ndarray, baseline, n: int) -> np.ndarray:
    """score >= mean (ge) or > mean (gt), exactly: scores are whole quanta, so compare with the mean's
    ceiling or floor in quanta."""
    out = np.full(n, UNKNOWN, dtype=np.int8)
    rb = cp.policy.decision.regional_baseline
    if rb is None or baseline is None:
        return out
    if isinstance(baseline, RegionalBaseline):
        groups = {id(baseline): (baseline, np.ones(n, dtype=bool))}
    else:
        groups = {}
        for i, b in enumerate(baseline):
            if b is not None:
                groups.setdefault(id(b), (b, np.zeros(n, dtype=bool)))[1][i] = True
    for b, rows in groups.values():
        bar = Decimal(b.mean) / cp.quantum
        if rb.op == "ge":
            ok = score >= int(bar.to_integral_value(rounding=ROUND_CEILING))
        else:
            ok = score > int(bar.to_integral_value(rounding=ROUND_FLOOR))
        out[rows] = np.where(ok[rows], YES, NO)
    return out


def _mismatch(cols: Columns) -> np.ndarray:
    """industry_code_mismatch: a key sector whose GB/T 4754 codes the reported code does not start with."""
    codes = cols.cp.sector_codes
    # a refused row may carry any JSON there (a list, an object): key it by something hashable
    pairs = [(sector if type(sector) is str else None, code if type(code) is str else None)
             for sector, code in zip(cols.frame.sector, cols.frame.industry_code)]
    verdict = {(sector, code): type(sector) is str and type(code) is str and sector != GENERAL
               and not any(code.startswith(c) for c in codes.get(sector, ())) for sector, code in set(pairs)}
    return np.array([verdict[p] for p in pairs], dtype=bool) & cols.valid


def _settle(out: Population, i: int, scopes: Scopes) -> None:
    """Row i by the single evaluator; its numbers written over the columns'."""
    cp = out.cp
    sub = out.cols.submission(i)
    outcome = evaluate(cp, sub, trace=False, baseline=out.baseline(i), sector_best=out.sector_bests.get(sub.sector))
    out._outcomes[i] = outcome
    for r, (cr, result) in enumerate(zip(cp.rules, outcome.rules)):
        s = out.rules[r]
        s.status[i] = STATUSES.index(result.status)
        s.points[i] = quanta(result.points, cp.quantum)
        s.metric[i] = next((m for m, cm in enumerate(cr.metrics) if cm.metric.id == result.metric), -1)
        s.scope[i] = scopes(result.scope)
        out.flags[r, i] = sum(1 << FLAGS.index(f) for f in result.flags)
    for g, gate in enumerate(outcome.gates):
        out.gates[g, i] = GATE_STATUSES.index(gate.status)
    out.earned[i] = quanta(outcome.earned, cp.quantum)
    key = str(outcome.applicable_points)
    index = next((k for k, v in enumerate(out.applicable_values) if str(v) == key), None)
    if index is None:
        index = len(out.applicable_values)
        out.applicable_values.append(outcome.applicable_points)
    out.applicable[i] = index
    out.total[i], out.bonus[i], out.score[i] = (quanta(x, cp.quantum) for x in (outcome.total, outcome.bonus, outcome.score))
    decided = dict(outcome.decision)
    out.eligible[i], out.meets[i], out.recommended[i] = (_DECIDED[decided[k]] for k in
                                                         ("eligible", "meets_regional_baseline", "recommended"))
    out.mismatch[i] = "industry_code_mismatch" in outcome.flags
