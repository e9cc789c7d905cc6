"""Stage 1, the policy: a YAML file read with its positions (source), checked against the JSON Schema (schema) and
by meaning (check), built into a frozen Policy (loader, model) with a content digest (digest); the catalog of a
policies folder with its ledger of published versions (catalog, ledger); a round-trip edit of one value (edit).
"""
from .catalog import DEFAULT_ROOT, Catalog, UnknownPolicy, parse_ref, version_key
from .digest import canonical, digest, jsonable
from .edit import set_scalar
from .ledger import ledger_issues, read_ledger, write_ledger
from .loader import load_policy_file, load_policy_text
from .model import AllOf, AnyOf, BaselineRule, Compare, Condition, Grade, Label, Not, Policy, SourceRef
from .schema import SCHEMA_DIR, validator
from .source import parse

__all__ = ["AllOf", "AnyOf", "BaselineRule", "Catalog", "Compare", "Condition", "DEFAULT_ROOT", "Grade", "Label", "Not",
           "Policy", "SCHEMA_DIR", "SourceRef", "UnknownPolicy", "canonical", "digest", "jsonable", "ledger_issues",
           "load_policy_file", "load_policy_text", "parse", "parse_ref", "read_ledger", "set_scalar", "validator",
           "version_key", "write_ledger"]
