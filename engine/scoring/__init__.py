"""Stage 3, scoring: compile a Policy once (compiler, into the types of compiled) and evaluate submissions with it.

    compile_policy(policy) -> CompiledPolicy            compiler.py; the types are in compiled.py
    evaluate(compiled, submission) -> Outcome           evaluator.py: gates, rules, totals, bonus, decision
        score_rule(compiled, rule, submission)          rules.py: one rule's points (the exact Decimal arithmetic
                                                        is in arithmetic.py, conditions in condition.py)
    outcome.trace.steps                                 explain.py writes each step's sentence, in Chinese and
                                                        English, when a trace is first read
    canonical_json(outcome)                             trace.py: the records and their canonical bytes

context.py holds what the evaluator reads beside the policy: the regional baseline and the sector's best values.
"""
from .arithmetic import MODES, band_points, linear_share, points_of, rescale, weighted
from .compiled import CompiledMetric, CompiledPolicy, CompiledRule
from .compiler import compile_policy
from .condition import compile_condition, describe, fields_read, getter
from .context import FLAGS, RANGE, SECTOR_BEST, RegionalBaseline, SectorBest, beyond_best, flags_for, out_of_range
from .evaluator import assemble, evaluate
from .rules import Scored, flags_of, score_rule
from .trace import GateResult, Outcome, Parameter, Reading, RuleResult, Step, Trace, canonical_json

__all__ = ["CompiledMetric", "CompiledPolicy", "CompiledRule", "FLAGS", "GateResult", "MODES", "Outcome", "Parameter",
           "RANGE", "Reading", "RegionalBaseline", "RuleResult", "SECTOR_BEST", "Scored", "SectorBest", "Step", "Trace",
           "assemble", "band_points", "beyond_best", "canonical_json", "compile_condition", "compile_policy", "describe",
           "evaluate", "fields_read", "flags_for", "flags_of", "getter", "linear_share", "out_of_range", "points_of",
           "rescale", "score_rule", "weighted"]
