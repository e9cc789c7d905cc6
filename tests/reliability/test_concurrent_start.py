"""Processes started at once on a fresh database: four `greenfactory db upgrade`, or several servers, all succeed,
on SQLite and PostgreSQL (migrations and the bundled policies' load are serialised)."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from service.db import connect, current_revision
from tests.reliability.served import ROOT, count, server_env, shared_postgres_database, sqlite_url

pytestmark = pytest.mark.slow  # real servers or schemathesis runs: make test runs them, make test-fast does not

PROCESSES = 4
WAIT_SECONDS = 300  # a bound on a hang (four interpreters on a shared machine), not a measurement
START_APP = "import sys; from service import create_app; create_app({'database_url': sys.argv[1]})"


@pytest.fixture(params=["sqlite", "postgres"])
def fresh_url(request, tmp_path):
    if request.param == "sqlite":
        yield sqlite_url(tmp_path)
        return
    if os.environ.get("GF_SKIP_POSTGRES") == "1":
        pytest.skip("GF_SKIP_POSTGRES=1: PostgreSQL tests skipped on purpose")
    with shared_postgres_database() as url:
        yield url


def _at_once(commands: list[list[str]], url: str) -> list[tuple[int, str]]:
    env = server_env(url)
    started = [subprocess.Popen(c, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
               for c in commands]
    out = []
    for p in started:
        printed, _ = p.communicate(timeout=WAIT_SECONDS)
        out.append((p.returncode, printed))
    return out


def _head() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from service.db import MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


def test_four_upgrades_at_once_on_a_fresh_database(fresh_url):
    upgrade_cmd = [sys.executable, "-m", "tools.cli", "db", "upgrade", "--database-url", fresh_url]
    for code, printed in _at_once([upgrade_cmd] * PROCESSES, fresh_url):
        assert code == 0, printed
    db = connect(fresh_url)
    try:
        assert current_revision(db) == _head()
    finally:
        db.dispose()


def test_servers_started_at_once_load_the_bundled_policies_once(fresh_url):
    for code, printed in _at_once([[sys.executable, "-c", START_APP, fresh_url]] * PROCESSES, fresh_url):
        assert code == 0, printed
    assert count(fresh_url, "SELECT count(*) FROM policy_versions") == 4  # the four bundled versions, once each
    assert count(fresh_url, "SELECT count(*) FROM audit_log WHERE action = 'policy.load'") == 4
