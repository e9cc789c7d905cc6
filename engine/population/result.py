"""Evaluate a bound population: gates, rules, totals, bonus and decisions for every row, as engine.evaluator
does for one; rows the columns cannot settle for certain are evaluated by engine.evaluator itself.

Every number is a whole count of quanta (int64). outcome(i) rebuilds row i's Outcome (trace=None) from the
columns; trace(i) evaluates row i again with the single evaluator, trace included.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

import numpy as np

from ..arithmetic import ZERO
from ..evaluator import RegionalBaseline, evaluate
from ..submission import GENERAL
from ..trace import GateResult, Outcome, RuleResult
from . import logic
from .columns import Columns
from .exact import divide, quanta, scale_of, scaled
from .scoring import NOT_APPLICABLE, SCORED, STATUSES, RuleScores, Scorer, Scopes

GATE_STATUSES = ("passed", "failed", "undetermined")
NO, UNKNOWN, YES = 0, 1, 2  # a decision: False, None, True
_DECIDED = {False: NO, None: UNKNOWN, True: YES}
_GATE_CODE = np.array([1, 2, 0], dtype=np.int8)  # a gate's test F, U, T -> failed, undetermined, passed


@dataclass(eq=False)
class Population:
    """Outcomes of many submissions under one policy, column by column."""

    cols: Columns
    baseline: RegionalBaseline | None
    rules: list  # RuleScores per rule, in policy order
    evidence_missing: np.ndarray  # bool [rules, n]
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
    _outcomes: dict = field(default_factory=dict)

    @property
    def valid(self) -> np.ndarray:
        return self.cols.valid

    @property
    def cp(self):
        return self.cols.cp

    def number(self, q) -> Decimal:
        return Decimal(int(q)).scaleb(-self.cp.policy.rounding_places)

    def outcome(self, i: int, *, digest: bool = True) -> Outcome:
        """Row i's Outcome without trace, equal to evaluate(cp, submission, trace=False) (submission_digest ""
        unless digest)."""
        if i in self._outcomes:
            settled = self._outcomes[i]
            return settled if digest else replace(settled, submission_digest="")
        if not self.valid[i]:
            raise ValueError(f"row {i} is not valid under {self.cp.policy.ref}: see issues")
        cp, places = self.cp, self.cp.policy.rounding_places
        rules, pillars, any_scored = [], dict.fromkeys(cp.pillar_ids, ZERO), False
        for r, cr in enumerate(cp.rules):
            s = self.rules[r]
            status = int(s.status[i])
            metric = cr.metrics[s.metric[i]].metric.id if s.metric[i] >= 0 else None
            points = Decimal(int(s.points[i])).scaleb(-places) if status == SCORED else ZERO
            any_scored |= status == SCORED
            rules.append(RuleResult(cr.rule.id, cr.rule.indicator, cr.rule.pillar, STATUSES[status], metric,
                                    self.scopes[s.scope[i]] if s.scope[i] >= 0 else None, points, cr.rule.points,
                                    ("evidence_missing",) if self.evidence_missing[r, i] else ()))
            pillars[cr.rule.pillar] += points
        earned = self.number(self.earned[i]) if any_scored else ZERO
        total = self.number(self.total[i]) if self._rescaled(i) else earned
        bonus = self.number(self.bonus[i]) if cp.policy.bonus is not None else ZERO
        flags = [f"{f}:{r.id}" for r in rules for f in r.flags] + (["industry_code_mismatch"] if self.mismatch[i] else [])
        b = self.baseline
        decision = (("eligible", _decision(self.eligible[i])), ("meets_regional_baseline", _decision(self.meets[i])),
                    ("recommended", _decision(self.recommended[i])),
                    ("baseline", None if b is None else {"snapshot": b.snapshot, "scope": b.scope, "size": b.size,
                                                         "mean": b.mean}))
        sub_digest = self.cols.submission(i).digest if digest else ""
        return Outcome(cp.policy.ref, cp.policy.digest, sub_digest, self.cols.frame.sector[i],
                       tuple(cp.gates[g].results[(True, False, None)[int(self.gates[g, i])]] for g in range(len(cp.gates))),
                       tuple(rules), tuple(pillars.items()), earned, self.applicable_values[self.applicable[i]],
                       total, bonus, total + bonus, decision, tuple(flags), None)

    def trace(self, i: int) -> Outcome:
        """Row i evaluated again by the single evaluator, with its full trace."""
        return evaluate(self.cp, self.cols.submission(i), baseline=self.baseline)

    def _rescaled(self, i: int) -> bool:
        policy = self.cp.policy
        return policy.not_applicable == "rescale" and self.applicable_values[self.applicable[i]] != policy.total_points


def _decision(code) -> bool | None:
    return (False, None, True)[int(code)]


def evaluate_population(cols: Columns, *, baseline: RegionalBaseline | None = None) -> Population:
    """Every valid row of cols evaluated under cols.cp, agreeing with engine.evaluator.evaluate on each."""
    cp, n = cols.cp, cols.n
    scopes = Scopes()
    scorer = Scorer(cols, scopes)
    rules = [scorer.rule(cr) for cr in cp.rules]
    tests = np.array([logic.compile_test(cg.gate.pass_when)(cols) for cg in cp.gates], dtype=np.int8)
    gates = _GATE_CODE[tests.reshape(len(cp.gates), n)]
    evidence_missing = np.array([_evidence_missing(cols, cr, s) for cr, s in zip(cp.rules, rules)],
                                dtype=bool).reshape(len(rules), n)
    earned = np.sum([s.points for s in rules], axis=0, dtype=np.int64) if rules else np.zeros(n, np.int64)
    applicable, values, total = _totals(cols, rules, earned)
    bonus = _bonus(cols)
    score = total + bonus
    eligible = np.where((gates == 1).any(axis=0), NO, np.where((gates == 2).any(axis=0), UNKNOWN, YES)).astype(np.int8)
    meets = _meets(cp, score, baseline, n)
    recommended = np.where((eligible == NO) | (meets == NO), NO,
                           np.where((eligible == YES) & (meets == YES), YES, UNKNOWN)).astype(np.int8)
    out = Population(cols, baseline, rules, evidence_missing, gates, earned, applicable, values, total, bonus, score,
                     eligible, meets, recommended, _mismatch(cols), scopes.names,
                     cols.valid & (cols.one_by_one | scorer.unsafe))
    for i in np.flatnonzero(out.one_by_one):
        _settle(out, int(i), scopes)
    return out


def _evidence_missing(cols: Columns, cr, s: RuleScores) -> np.ndarray:
    """engine.rulescore.flags_of: data reported without the evidence the policy requires."""
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
            hit = ~won & (logic.compile_test(ca.award.when)(cols) == logic.T)
            raw[hit] += scaled(ca.award.points, places)
            won |= hit
    capped = np.minimum(raw, scaled(bonus.max_points, places))
    shift = places - cp.policy.rounding_places
    return divide(capped, 10 ** shift, cp.rounding) if shift > 0 else capped * 10 ** -shift


def _meets(cp, score: np.ndarray, baseline: RegionalBaseline | None, n: int) -> np.ndarray:
    rb = cp.policy.decision.regional_baseline
    if rb is None or baseline is None:
        return np.full(n, UNKNOWN, dtype=np.int8)
    bar = Decimal(baseline.mean) / cp.quantum
    if rb.op == "ge":
        ok = score >= int(bar.to_integral_value(rounding=ROUND_CEILING))
    else:
        ok = score > int(bar.to_integral_value(rounding=ROUND_FLOOR))
    return np.where(ok, YES, NO).astype(np.int8)


def _mismatch(cols: Columns) -> np.ndarray:
    """industry_code_mismatch: a key sector whose GB/T 4754 codes the reported code does not start with."""
    codes = cols.cp.sector_codes
    pairs = list(zip(cols.frame.sector, cols.frame.industry_code))
    verdict = {(sector, code): type(sector) is str and type(code) is str and sector != GENERAL
               and not any(code.startswith(c) for c in codes.get(sector, ())) for sector, code in set(pairs)}
    return np.array([verdict[p] for p in pairs], dtype=bool) & cols.valid


def _settle(out: Population, i: int, scopes: Scopes) -> None:
    """Row i by the single evaluator; its numbers written over the columns'."""
    cp = out.cp
    outcome = evaluate(cp, out.cols.submission(i), trace=False, baseline=out.baseline)
    out._outcomes[i] = outcome
    for r, (cr, result) in enumerate(zip(cp.rules, outcome.rules)):
        s = out.rules[r]
        s.status[i] = STATUSES.index(result.status)
        s.points[i] = quanta(result.points, cp.quantum)
        s.metric[i] = next((m for m, cm in enumerate(cr.metrics) if cm.metric.id == result.metric), -1)
        s.scope[i] = scopes(result.scope)
        out.evidence_missing[r, i] = bool(result.flags)
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
