"""Cohorts of factories: regional baselines from a snapshot of existing national green factories (baseline), where a
factory stands among its peers (benchmark), the sectors' best values for plausibility flags (plausibility), a
recommendation round (round), who leaves the list (dynamic), and what it would take to reach a target (inverse).

The values the evaluator reads (RegionalBaseline, SectorBest) are defined in engine.scoring.context.
"""
from .baseline import Peer, baseline_for, baselines, kept_mean, scope_of, target_score
from .benchmark import Cohort, Standing, mean, median, rule_gaps
from .dynamic import BOTTOM_SHARE, BOTTOM_THREE_ROUNDS, GATE_FAILED, removal_reason
from .inverse import CENT, Change, points_needed, score_with, what_it_takes, with_value
from .plausibility import input_directions, sector_bests
from .round import APPLICANT, EXISTING, Member, Result, RoundRun, result_of, run_round, snapshot_of

__all__ = ["APPLICANT", "BOTTOM_SHARE", "BOTTOM_THREE_ROUNDS", "CENT", "Change", "Cohort", "EXISTING", "GATE_FAILED",
           "Member", "Peer", "Result", "RoundRun", "Standing", "baseline_for", "baselines", "input_directions",
           "kept_mean", "mean", "median", "points_needed", "removal_reason", "result_of", "rule_gaps", "run_round",
           "scope_of", "score_with", "sector_bests", "snapshot_of", "target_score", "what_it_takes",
           "with_value"]
