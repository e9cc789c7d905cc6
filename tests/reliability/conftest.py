"""The reliability tests reuse the API tests' fixtures: make_app on SQLite and PostgreSQL, tokens by role."""
from __future__ import annotations

from tests.service.conftest import (  # noqa: F401  (fixtures, found by pytest through this module)
    TOKEN_SPECS, Tokens, app, bundled_catalog, client, database_url, make_app, postgres_url, tokens, tokens_for)
