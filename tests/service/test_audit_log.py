"""The audit log: who did what, hash-chained and append-only; `greenfactory audit verify` replays every evaluation
and detects a changed outcome, a changed entry, and a removed one."""
from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from service.models import AuditEntry, Evaluation
from tools.cli import main

from tests.service.service_helpers import audit_actions, evaluate, mini_yaml


def verify(database_url, capsys) -> tuple[int, set[str]]:
    rc = main(["audit", "verify", "--database-url", database_url])
    out = capsys.readouterr().out
    codes = {line.split(": ", 1)[1].split()[0] for line in out.splitlines() if not line.startswith("audit ")}
    return rc, codes


@pytest.fixture
def history(app, client, tokens):
    """Load, upload, publish, two evaluations: a log with every kind of entry."""
    admin = tokens["policy_admin"]
    client.post("/api/v1/policies/mini/versions", data=mini_yaml(), content_type="application/yaml", headers=admin)
    client.post("/api/v1/policies/mini/versions/2025.1/publish", headers=admin)
    ids = [evaluate(client, tokens["enterprise"]).json["id"] for _ in range(2)]
    return ids


def drop_triggers(session) -> None:
    if session.bind.dialect.name == "sqlite":
        session.execute(text("DROP TRIGGER audit_log_no_update"))
        session.execute(text("DROP TRIGGER audit_log_no_delete"))
    else:
        session.execute(text("DROP TRIGGER audit_log_no_update ON audit_log"))


def test_the_log_records_who_did_what_with_digests(app, history):
    assert audit_actions(app) == ["policy.load"] * 4 + ["policy.upload", "policy.publish",
                                  "evaluation.create", "evaluation.create"]
    with app.extensions["greenfactory"].db.read() as session:
        entries = list(session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars())
        stored = session.execute(select(Evaluation).where(Evaluation.id == history[0])).scalar_one()
    upload, publish, created = entries[4], entries[5], entries[6]
    assert upload.actor.startswith("tok_") and upload.role == "policy_admin" and upload.subject == "mini@2025.1"
    assert upload.input_digest.startswith("sha256:") and upload.policy_digest.startswith("sha256:")
    assert publish.input_digest == upload.policy_digest != publish.policy_digest
    assert created.role == "enterprise" and created.subject == history[0]
    assert created.policy_digest == stored.policy_digest and created.outcome_digest == stored.outcome_sha256
    assert [e.prev_hash for e in entries[1:]] == [e.hash for e in entries[:-1]]


def test_verify_passes_on_an_untouched_log(database_url, history, capsys):
    assert verify(database_url, capsys) == (0, set())


def test_the_log_refuses_updates_and_deletes(app, history):
    db = app.extensions["greenfactory"].db
    for statement in ("UPDATE audit_log SET actor = 'someone' WHERE seq = 1", "DELETE FROM audit_log WHERE seq = 1"):
        with pytest.raises(DBAPIError):
            with db.write() as session:
                session.execute(text(statement))


def test_a_changed_outcome_is_detected(app, database_url, history, capsys):
    with app.extensions["greenfactory"].db.write() as session:
        row = session.execute(select(Evaluation).where(Evaluation.id == history[1])).scalar_one()
        row.outcome = row.outcome.replace(b'"score":"64.82"', b'"score":"99.99"')
    rc, codes = verify(database_url, capsys)
    assert rc == 1 and codes == {"evaluation.audit.mismatch", "evaluation.replay.mismatch"}


def test_a_changed_submission_is_detected(app, database_url, history, capsys):
    with app.extensions["greenfactory"].db.write() as session:
        row = session.execute(select(Evaluation).where(Evaluation.id == history[0])).scalar_one()
        row.submission = row.submission.replace(b'"carbon_intensity":75.4', b'"carbon_intensity":5.4')
    rc, codes = verify(database_url, capsys)
    assert rc == 1 and codes == {"evaluation.audit.mismatch", "evaluation.replay.mismatch"}


def test_a_changed_entry_is_detected(app, database_url, history, capsys):
    with app.extensions["greenfactory"].db.write() as session:
        drop_triggers(session)
        session.execute(text("UPDATE audit_log SET actor = 'tok_someoneelse' WHERE seq = 3"))
    rc, codes = verify(database_url, capsys)
    assert rc == 1 and codes == {"audit.hash.mismatch"}


def test_a_removed_entry_is_detected(app, database_url, history, capsys):
    with app.extensions["greenfactory"].db.write() as session:
        drop_triggers(session)
        session.execute(text("DELETE FROM audit_log WHERE seq = 8"))
    rc, codes = verify(database_url, capsys)
    assert rc == 1 and {"audit.head.mismatch", "evaluation.audit.missing"} <= codes


def test_a_rewritten_chain_is_detected_by_the_head(app, database_url, history, capsys):
    with app.extensions["greenfactory"].db.write() as session:
        drop_triggers(session)
        session.execute(text("DELETE FROM audit_log WHERE seq = 4"))
    rc, codes = verify(database_url, capsys)
    assert rc == 1 and {"audit.seq.gap", "audit.chain.broken"} <= codes
