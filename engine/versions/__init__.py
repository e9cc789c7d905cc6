"""Comparing policy versions: what changed in the policy (diff), what it changes for one submission (compare), for
a population (impact), and the golden cases a version must reproduce (golden).
"""
from .compare import Comparison, RuleDelta, compare
from .diff import diff_policies
from .golden import CaseResult, Coverage, case_files, percent, run_case
from .impact import QUANTILES, run_impact

__all__ = ["CaseResult", "Comparison", "Coverage", "QUANTILES", "RuleDelta", "case_files", "compare", "diff_policies",
           "percent", "run_case", "run_impact"]
