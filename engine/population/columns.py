"""A frame bound to one compiled policy: which rows it can evaluate, and its inputs as columns.

A row is valid when engine.submission.intake would accept it under this policy. The frame settled the
policy-independent checks for most rows; here the policy's own checks (sector, key names, ranges, whole
numbers, fact types and answers) run on the columns. Every row either check leaves in doubt goes through
engine.submission.intake.parse_submission itself, which decides it and, for a bad row, lists every issue with its path.

project=True reads a submission as engine.versions.compare does for another version: keys of data, facts, cases and
evidence that the policy does not know are left out, not refused.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from ..issue import IssueList
from ..scoring.compiled import CompiledPolicy
from ..submission.intake import FACT_KIND, intake_for, parse_submission, project as project_keys
from ..submission.record import ABSENT, GENERAL, Submission
from .exact import compare, tie_sign
from .frame import Facts, Frame, Numbers

@dataclass(eq=False)
class Columns:
    cp: CompiledPolicy
    frame: Frame
    project: bool
    valid: np.ndarray  # intake accepts the row under this policy
    issues: dict  # row -> tuple of Issues, for every row intake refused
    one_by_one: np.ndarray  # valid rows whose numbers the floats do not spell exactly: the single evaluator scores them
    sector: np.ndarray  # int: index into sectors (the policy's, then general); -1 for rows that are not valid
    sectors: tuple
    _parsed: dict = field(default_factory=dict)
    _views: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        return self.frame.n

    def raw(self, i: int) -> dict:
        """Row i as this policy reads it."""
        raw = self.frame.rows[i]
        return project_keys(raw, self.cp.policy)[0] if self.project and isinstance(raw, dict) else raw

    def submission(self, i: int) -> Submission:
        """Row i through engine.submission.intake (SubmissionInvalid for a row that is not valid)."""
        sub = self._parsed.get(i)
        if sub is None:
            sub = self._parsed[i] = parse_submission(self.cp.policy, self.raw(i))
        return sub

    def numbers(self, key: str) -> Numbers:
        return self.frame.data.get(key) or _absent(self.n)

    def facts(self, key: str) -> Facts | None:
        return self.frame.facts.get(key)


def bind(cp: CompiledPolicy, frame: Frame, *, project: bool = False) -> Columns:
    """The rows of frame as cp reads them; every row intake would refuse is refused, with its issues."""
    policy = cp.policy
    intake = intake_for(policy)
    n = frame.n
    sectors = tuple(s.id for s in policy.sectors) + (GENERAL,)
    index = {s: i for i, s in enumerate(sectors)}
    sector = np.array([index.get(s, -1) if type(s) is str else -1 for s in frame.sector], dtype=np.int64)
    doubt = ~frame.checked | (sector < 0)
    inexact = np.zeros(n, dtype=bool)
    for key, col in frame.data.items():
        spec = intake.inputs.get(key)
        if spec is None:
            if not project:
                doubt |= col.present
            continue
        inexact |= col.inexact
        doubt |= col.present & _out_of_range(col.value, spec.min, spec.max, spec.integer)
    for key, fact in frame.facts.items():
        fact_spec = intake.facts.get(key)
        if fact_spec is None:
            if not project:
                doubt |= fact.kind != ABSENT
            continue
        inexact |= fact.number.inexact
        doubt |= (fact.kind != ABSENT) & (fact.kind != FACT_KIND[fact_spec.type])
        if fact_spec.values:
            allowed = np.array([t in fact_spec.values for t in fact.text], dtype=np.bool_)
            doubt |= (fact.kind != ABSENT) & ~allowed
    for product in frame.products.values():
        for key, col in product.values.items():
            if key not in intake.product_values:
                doubt[product.rows[col.present]] = True
            else:
                inexact[product.rows[col.inexact]] = True
        for col in (product.energy, product.output):
            inexact[product.rows[col.inexact]] = True
    if not project:
        for key, (total, _) in frame.cases.items():
            if key not in intake.case_keys:
                doubt |= total >= 0
        for key in frame.evidence:
            if key not in intake.evidence_keys:
                doubt |= frame.evidence_present(key)
    for col in (frame.energy_use_tce, frame.output_value):
        inexact |= col.inexact
    cols = Columns(cp, frame, project, ~doubt, {}, np.zeros(n, dtype=bool), sector, sectors)
    for i in np.flatnonzero(doubt):
        try:
            cols.submission(int(i))
        except IssueList as exc:
            cols.issues[int(i)] = exc.issues
            continue
        cols.valid[i] = True  # the checks here were stricter than intake: it is valid after all
    cols.sector[~cols.valid] = -1
    cols.one_by_one = cols.valid & inexact
    return cols


def _out_of_range(x: np.ndarray, low: Decimal | None, high: Decimal | None, integer: bool) -> np.ndarray:
    out = np.zeros(len(x), dtype=bool)
    if low is not None:
        out |= compare(x, float(low), tie_sign(low)) < 0
    if high is not None:
        out |= compare(x, float(high), tie_sign(high)) > 0
    if integer:
        out |= np.floor(x) != x  # the decimal of an exact float is whole exactly when the float is
    return out


def _absent(n: int) -> Numbers:
    return Numbers(np.zeros(n), np.zeros(n, bool), np.zeros(n, bool), np.zeros(n, bool))
