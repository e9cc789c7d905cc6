"""Generated inputs for tests, benchmarks and demonstrations: submissions that exercise every rule of a policy
(generate), and a demonstration population of factories over several rounds (demo). Never used to score."""
from .demo import ROUNDS, Reporter, applies, approves, population
from .generate import Plan, generate_submissions

__all__ = ["Plan", "ROUNDS", "Reporter", "applies", "approves", "generate_submissions", "population"]
