"""The column-wise evaluator for populations: many submissions under one compiled policy, with NumPy.

    frame = frame_of(raw_submissions)          # once: every row's reported values as columns
    cols = bind(compiled, frame)               # per policy: which rows intake accepts, with their issues
    result = evaluate_population(cols)         # every rule, total and decision for every valid row
    result.outcome(i) == evaluate(compiled, parse_submission(policy, raw[i]), trace=False)
    result.trace(i)                            # row i again with the single evaluator, full trace

Agreement with engine.scoring.evaluator is exact by construction, not by luck: see engine.population.exact.
"""
from .columns import Columns, bind
from .frame import Frame, frame_of
from .grade import grade_codes
from .result import Population, evaluate_population
from .scoring import FLAGS
from .shape import shaped

__all__ = ["Columns", "FLAGS", "Frame", "Population", "bind", "evaluate_population", "frame_of", "grade_codes", "shaped"]
