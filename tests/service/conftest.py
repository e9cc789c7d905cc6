"""Fixtures for the API tests: every app-using test runs once on SQLite (a temporary file) and once on
PostgreSQL (a throwaway database gf_test_<random> on 127.0.0.1:5432, dropped at the end of the session).

PostgreSQL being unreachable fails the tests that need it; set GF_SKIP_POSTGRES=1 to skip them on purpose.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import pytest

from engine import Catalog
from engine.policy import DEFAULT_ROOT
from service import create_app, policy_store
from service.auth import new_token

from tests.service.service_helpers import NINGBO_USCC, SUZHOU_USCC

ADMIN_URL = os.environ.get("GF_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(scope="session")
def postgres_url():
    if os.environ.get("GF_SKIP_POSTGRES") == "1":
        pytest.skip("GF_SKIP_POSTGRES=1: PostgreSQL tests skipped on purpose")
    import psycopg

    name = f"gf_test_{secrets.token_hex(6)}"
    try:
        with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL at {ADMIN_URL} is unreachable ({str(exc).strip()}): start it (.ci/run does) or set"
                    " GF_SKIP_POSTGRES=1 to skip these tests on purpose.", pytrace=False)
    yield ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'gf.db'}"
    url = request.getfixturevalue("postgres_url")
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:  # a clean schema per test; migrations rebuild it
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    return url


@pytest.fixture(scope="session")
def bundled_catalog() -> Catalog:
    return Catalog.from_dir(DEFAULT_ROOT)


@pytest.fixture
def make_app(database_url, bundled_catalog, monkeypatch):
    """create_app on the test database. Parsing the bundled YAML takes a second, so the bundled catalog is
    parsed once per session and handed to the store; any other folder is read as usual."""
    class CachedCatalog(Catalog):
        @classmethod
        def from_dir(cls, root=DEFAULT_ROOT):
            return bundled_catalog if Path(root) == DEFAULT_ROOT else Catalog.from_dir(root)

    monkeypatch.setattr(policy_store, "Catalog", CachedCatalog)
    apps = []

    def make(**settings):
        app = create_app({"database_url": database_url, "TESTING": True, **settings})
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["greenfactory"].db.dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@dataclass
class Tokens:
    """Authorization headers by name."""

    headers: dict[str, dict]

    def __getitem__(self, name: str) -> dict:
        return self.headers[name]


TOKEN_SPECS = {
    "enterprise": ("enterprise", None, NINGBO_USCC),  # the Ningbo plant of general-plant.json
    "other_enterprise": ("enterprise", None, SUZHOU_USCC),
    "reviewer": ("reviewer", "330000", None),  # Zhejiang: covers Ningbo 330212
    "reviewer_elsewhere": ("reviewer", "320000", None),  # Jiangsu
    "authority": ("authority", "330200", None),  # Ningbo, a city with separate planning status
    "authority_elsewhere": ("authority", "440000", None),
    "policy_admin": ("policy_admin", None, None),
}


@pytest.fixture
def tokens_for():
    """Tokens of every kind in TOKEN_SPECS, stored in an app's database."""
    def make(app) -> Tokens:
        db = app.extensions["greenfactory"].db
        headers = {}
        with db.write() as session:
            for name, (role, region, enterprise) in TOKEN_SPECS.items():
                row, secret = new_token(role, region, enterprise, name)
                session.add(row)
                headers[name] = {"Authorization": f"Bearer {secret}"}
        return Tokens(headers)

    return make


@pytest.fixture
def tokens(app, tokens_for) -> Tokens:
    return tokens_for(app)
