"""Stage 2, the submission: raw JSON checked against the submission schema and the policy (intake) into a frozen
Submission record (record); the unified social credit code (uscc) and the administrative region with its
recommending authority (region) are checked here too.
"""
from .intake import SCHEMA, fast_validator, intake_for, non_finite, parse_submission, project
from .record import GENERAL, Case, Document, Fact, ProductReport, Submission
from .region import AUTHORITIES, NO_AUTHORITY, authority_for, region_problem
from .uscc import CHARSET, WEIGHTS, check_character, is_well_formed, uscc_problem, with_check_digit

__all__ = ["AUTHORITIES", "CHARSET", "Case", "Document", "Fact", "GENERAL", "NO_AUTHORITY", "ProductReport", "SCHEMA",
           "Submission", "WEIGHTS", "authority_for", "check_character", "fast_validator", "intake_for", "is_well_formed", "non_finite",
           "parse_submission", "project", "region_problem", "uscc_problem", "with_check_digit"]
