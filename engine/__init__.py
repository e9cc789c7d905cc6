"""The green factory scoring engine: a pure library (no IO beyond reading policy files), in folders by pipeline stage.

    policy = load_policy_file("policies/green-factory/2025.1.yaml")   # engine/policy/: read, check, build Policy
    compiled = compile_policy(policy)                                  # engine/scoring/compiler.py
    submission = parse_submission(policy, raw_json)                   # engine/submission/: intake into a record
    outcome = evaluate(compiled, submission)                          # engine/scoring/evaluator.py
    canonical_json(outcome)                                           # the stored bytes, trace included

Where a rule is scored: engine/scoring/rules.py (score_rule: chooses the metric and the threshold row, computes
the points with the exact Decimal arithmetic of engine/scoring/arithmetic.py); every condition is compiled once by
engine/scoring/condition.py into a form that defines its meaning, from which each path derives its test (a closure
here, columns in engine/population, Rete patterns in engine/backends); engine/scoring/evaluator.py adds the rules up
into totals, bonus and decision. Where its sentence is written: engine/scoring/explain.py renders each trace step,
in Chinese and English, from what the evaluator recorded, the first time a trace is read (engine/scoring/trace.py
holds the records and the canonical JSON).

The other stages: engine/backends/ (the same rules matched by durable-rules), engine/population/ (many submissions
at once, column-wise with NumPy; exact agreement with evaluate), engine/versions/ (diff, compare and impact of
policy versions; golden cases), engine/cohort/ (baselines, standings, what it takes), engine/testing/ (generated
submissions). Errors are values: engine/issue.py (Issue; every error raised is an EngineError: PolicyInvalid and
SubmissionInvalid carry issues, UnknownPolicy names a missing version, BackendError a backend that cannot run).
"""
from .issue import BackendError, EngineError, Issue, IssueList, PolicyInvalid, SubmissionInvalid
from .policy.catalog import Catalog, UnknownPolicy
from .policy.loader import load_policy_file, load_policy_text
from .policy.model import Policy
from .scoring.compiled import CompiledPolicy
from .scoring.compiler import compile_policy
from .scoring.context import RegionalBaseline, SectorBest
from .scoring.evaluator import evaluate
from .scoring.trace import Outcome, Trace, canonical_json
from .submission.intake import parse_submission
from .submission.record import Submission

__all__ = ["BackendError", "Catalog", "CompiledPolicy", "EngineError", "Issue", "IssueList", "Outcome", "Policy", "PolicyInvalid",
           "RegionalBaseline", "SectorBest", "Submission", "SubmissionInvalid", "Trace", "UnknownPolicy",
           "canonical_json", "compile_policy", "evaluate", "load_policy_file", "load_policy_text", "parse_submission"]
