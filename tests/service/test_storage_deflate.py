"""Stored outcomes are deflated on disk and read back as the exact canonical bytes; migration 0003
rewrites rows stored before it, both ways."""
from __future__ import annotations

import zlib

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from service.db import MIGRATIONS, WRITE, upgrade

from tests.service.service_helpers import evaluate


def stored_bytes(app, evaluation_id: str) -> bytes:
    with app.extensions["greenfactory"].db.engine.connect() as connection:
        return bytes(connection.execute(text("SELECT outcome FROM evaluations WHERE id = :id"),
                                        {"id": evaluation_id}).scalar_one())


def api_outcome(client, headers, evaluation_id: str) -> bytes:
    body = client.get(f"/api/v1/evaluations/{evaluation_id}", headers=headers).get_data()
    return body[body.index(b',"outcome":') + len(b',"outcome":'):-1]


def downgrade(db, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with db.engine.execution_options(**{WRITE: True}).begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def test_outcome_is_stored_deflated_and_read_back_exactly(app, client, tokens):
    created = evaluate(client, tokens["enterprise"])
    assert created.status_code == 201
    evaluation_id = created.get_json()["id"]
    on_disk = stored_bytes(app, evaluation_id)
    plain = api_outcome(client, tokens["reviewer"], evaluation_id)
    assert zlib.decompress(on_disk) == plain
    assert len(on_disk) * 4 < len(plain)


def test_migration_0003_rewrites_existing_rows_both_ways(app, client, tokens):
    evaluation_id = evaluate(client, tokens["enterprise"]).get_json()["id"]
    plain = api_outcome(client, tokens["reviewer"], evaluation_id)
    db = app.extensions["greenfactory"].db
    downgrade(db, "0002")
    assert stored_bytes(app, evaluation_id) == plain  # as 0002 stored it
    upgrade(db)
    assert zlib.decompress(stored_bytes(app, evaluation_id)) == plain
    assert api_outcome(client, tokens["reviewer"], evaluation_id) == plain
    replay = client.get(f"/api/v1/evaluations/{evaluation_id}/replay", headers=tokens["reviewer"]).get_json()
    assert replay["matches"] is True
