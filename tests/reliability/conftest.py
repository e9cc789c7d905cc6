"""The reliability tests reuse the API tests' fixtures: make_app on SQLite and PostgreSQL, tokens by role.

tests/service is not a package: pytest puts that folder on sys.path when it collects it, and its modules import
service_helpers and cohort_helpers by bare name. Running tests/reliability alone needs the same path.
"""
from __future__ import annotations

import sys
from pathlib import Path

SERVICE_TESTS = str(Path(__file__).resolve().parents[1] / "service")
if SERVICE_TESTS not in sys.path:
    sys.path.insert(0, SERVICE_TESTS)

from tests.service.conftest import (  # noqa: E402,F401  (fixtures, found by pytest through this module)
    TOKEN_SPECS, Tokens, app, bundled_catalog, client, database_url, make_app, postgres_url, tokens, tokens_for)
