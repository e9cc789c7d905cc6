"""Schemathesis as an outsider runs it: the app served on a loopback port, /api/v1/openapi.json loaded from there,
and schemathesis' own engine running every phase (examples, coverage, fuzzing, stateful) with every check, once per
role, against a small demo population with a round that has run and one still open. The settings are
tests/reliability/schemathesis.toml's, which docs/security.md gives to anyone who fuzzes the service.

On top of schemathesis' checks, one of ours: a schema-valid request may be refused for its content (415 or 422 with a
domain code) but never for its shape (a request.* code) — the document must be as strict as the server.

Deterministic (a fixed seed, deterministic generation) and bounded (a few examples per operation and phase).
"""
from __future__ import annotations

import json
import logging
import threading
import tomllib
from pathlib import Path

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import Failure
from schemathesis.engine import Status, events, from_schema
from werkzeug.serving import make_server

from tests.service.cohort_helpers import run_cohort
from tests.service.service_helpers import evaluate

pytestmark = pytest.mark.slow  # real servers or schemathesis runs: make test runs them, make test-fast does not

CONFIG = Path(__file__).with_name("schemathesis.toml")
EXAMPLES = 8  # per operation and phase: some 1,500 requests a role
SEED = 20261204
ROLES = ["enterprise", "reviewer", "authority", "policy_admin"]


class RefusedForItsShape(Failure):
    """A request valid by the document was refused with a request.* code."""


@schemathesis.check
def valid_requests_are_not_refused_for_their_shape(ctx, response, case):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code not in (400, 415, 422):
        return None
    try:
        code = json.loads(response.content).get("code", "")
    except ValueError:
        code = ""
    if code.startswith("request."):
        raise RefusedForItsShape(operation=case.operation.label, title="Schema-valid request refused for its shape",
                                 message=f"{response.status_code} {code}: the document allows what the server refuses")
    return None


@pytest.fixture
def served(app, client, tokens):
    """The app on a loopback port, with an evaluation, a run round (2026) and an open one (2031) to link to."""
    evaluate(client, tokens["enterprise"])
    run_cohort(client, tokens)
    assert client.post("/api/v1/rounds", json={"id": "2031", "policy": "green-factory@2026.1"},
                       headers=tokens["policy_admin"]).status_code == 201
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line a request otherwise
    server = make_server("127.0.0.1", 0, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


def settings(headers: dict) -> SchemathesisConfig:
    data = tomllib.loads(CONFIG.read_text("utf-8"))
    data["generation"].update({"max-examples": EXAMPLES, "deterministic": True})
    return SchemathesisConfig.from_dict({**data, "seed": SEED, "headers": headers, "workers": 1})


def failures(recorder) -> list[str]:
    found = []
    for case_id, checks in recorder.checks.items():
        for check in checks:
            if check.status == Status.FAILURE:
                interaction = recorder.interactions.get(case_id)
                request = interaction.request if interaction else None
                found.append(f"{check.name}: {request.method if request else ''} {request.uri if request else ''}"
                             f" -> {interaction.response.status_code if interaction else '?'}\n"
                             f"{check.failure_info.failure if check.failure_info else ''}")
    return found


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("role", ROLES)
def test_an_outsiders_full_run_finds_nothing(served, tokens, role):
    schema = schemathesis.openapi.from_url(f"{served}/api/v1/openapi.json", config=settings(tokens[role]))
    found, phases = [], {}
    for event in from_schema(schema).execute():
        if isinstance(event, (events.ScenarioFinished, events.FuzzScenarioFinished)):
            found += failures(event.recorder)
        elif isinstance(event, (events.NonFatalError, events.FatalError)):
            found.append(f"error: {getattr(event, 'label', '')} {getattr(event, 'value', '') or event.exception}")
        elif isinstance(event, events.PhaseFinished):
            phases[event.phase.name.value] = event.status
    assert set(phases) >= {"examples", "coverage", "fuzzing", "stateful"}, phases
    assert phases["stateful"] != Status.SKIP  # links were found: the stateful phase ran
    assert found == [], "\n\n".join(sorted(set(found)))
