"""Storage faults, on SQLite and PostgreSQL: a moment of read-only storage refuses writes with 503 and is over when
it is over (no restart), and a database migrated by a newer release is refused as exactly that.

Read-only storage is simulated where the driver opens its connections, because the tests run as root, whom a
chmod does not stop: on SQLite the connections are opened with mode=ro (what SQLite does by itself when it may not
write the file), on PostgreSQL with default_transaction_read_only (what a failover to a standby looks like)."""
from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import event, text

from service.db import SchemaNewer
from tools.cli import main

from tests.service.service_helpers import evaluate


def test_a_moment_of_read_only_storage_does_not_outlast_it(app, client, tokens):
    db = app.extensions["greenfactory"].db
    read_only = False

    @event.listens_for(db.engine, "do_connect")
    def open_read_only(dialect, _record, _cargs, cparams):
        if not read_only:
            return None
        if dialect.name == "sqlite":
            return sqlite3.connect(f"file:{db.engine.url.database}?mode=ro", uri=True, **cparams)
        cparams["options"] = "-c default_transaction_read_only=on"
        return None

    assert evaluate(client, tokens["enterprise"]).status_code == 201
    read_only = True
    db.engine.dispose()  # every connection from now on opens read-only, as after the storage turned read-only
    refused = evaluate(client, tokens["enterprise"])
    assert refused.status_code == 503 and refused.json["code"] == "database.unavailable"
    assert refused.headers["Retry-After"] == "5"
    read_only = False  # the storage is writable again; the pool still holds the connections opened meanwhile
    for _ in range(3):
        assert evaluate(client, tokens["enterprise"]).status_code == 201


@pytest.fixture
def newer_url(make_app, database_url):
    """The test database at a schema revision this software does not know, as a newer release would leave it."""
    db = make_app().extensions["greenfactory"].db
    with db.write() as session:
        session.execute(text("UPDATE alembic_version SET version_num = '9001'"))
    return database_url


def test_a_newer_schema_is_refused_as_that(make_app, newer_url, capsys):
    with pytest.raises(SchemaNewer) as caught:
        make_app()
    assert caught.value.code == "database.schema.newer" and caught.value.found == "9001"
    for command in (["db", "upgrade"], ["serve", "--port", "1"], ["token", "list"], ["round", "list"]):
        assert main([*command, "--database-url", newer_url]) == 1, command
        err = capsys.readouterr().err
        assert err.count("database.schema.newer") == 2 and "internal error" not in err  # a line in each language
