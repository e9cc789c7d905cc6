"""Schemathesis against /api/v1/openapi.json, in process on SQLite: for each role, every operation gets generated
requests (valid ones and, where there is something to break, invalid ones) with free path parameters, and
valid ones whose path parameters name stored data. No response may be a 5xx, and every response must be documented: its
status code, its content type and its body's schema.

Deterministic (derandomized, fixed example counts) and bounded: a few examples per operation and mode.
"""
from __future__ import annotations

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis import checks as st_checks
from schemathesis.errors import FailureGroup

from tests.service.cohort_helpers import run_cohort
from tests.service.service_helpers import NINGBO_USCC, evaluate

CHECKS = [st_checks.not_a_server_error, st_checks.status_code_conformance, st_checks.content_type_conformance,
          st_checks.response_schema_conformance]
EXAMPLES = {GenerationMode.POSITIVE: 4, GenerationMode.NEGATIVE: 2}
FUZZ = settings(derandomize=True, database=None, deadline=None, phases=[Phase.explicit, Phase.generate],
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])


@pytest.fixture
def seeded(app, client, tokens):
    """Stored data for the pinned path parameters to name: an evaluation, a round that has run, a draft."""
    eid = evaluate(client, tokens["enterprise"]).json["id"]
    run_cohort(client, tokens)
    return {"policy_id": "green-factory", "version": "2025.1", "evaluation_id": eid, "round_id": "2026",
            "uscc": NINGBO_USCC, "code": "330200"}


def failures_of(operation, mode: GenerationMode, headers: dict, path_parameters: dict | None) -> list[str]:
    found: list[str] = []

    @settings(FUZZ, max_examples=EXAMPLES[mode])
    @given(case=operation.as_strategy(mode, path_parameters=path_parameters))
    def run(case):
        try:
            case.call_and_validate(headers=headers, checks=CHECKS)
        except FailureGroup as failure:  # keep going: report every operation's failures at the end
            found.append(f"{operation.label} ({mode.value}, {'pinned' if path_parameters else 'free'}): {failure}")

    try:
        run()
    except Unsatisfiable:  # nothing in the operation to make invalid (no parameters, no body)
        if mode is GenerationMode.POSITIVE:
            raise
    return found


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("role", ["none", "enterprise", "reviewer", "authority", "policy_admin"])
def test_every_response_is_documented_and_none_is_a_server_error(app, tokens, seeded, role):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = {} if role == "none" else tokens[role]
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 25
    for operation in operations:
        pinned = {name: seeded[name] for name in re.findall(r"{(\w+)}", operation.path) if name in seeded} or None
        failures += failures_of(operation, GenerationMode.POSITIVE, headers, None)
        failures += failures_of(operation, GenerationMode.NEGATIVE, headers, None)
        if pinned:  # valid requests about stored data: past the 404s, into the views' own refusals and answers
            failures += failures_of(operation, GenerationMode.POSITIVE, headers, pinned)
    assert failures == [], "\n\n".join(failures)
