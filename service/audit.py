"""The audit log: who loaded, uploaded, published and evaluated what, each entry chained to the one before.

hash = sha256(prev_hash + canonical JSON of the entry without its hashes). Appending locks the one-row
audit_head table, so concurrent writers take turns and the chain never forks; the entry is written in the
caller's transaction, so it exists exactly when the write it records does. The statements are Core ones on the
session's connection, run at once: the ORM's unit of work cost more than the rest of an evaluation's write.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.orm import Session

from . import faults
from .auth import Principal
from .models import AuditEntry, AuditHead, now

GENESIS = "0" * 64
HASHED = ("seq", "at", "actor", "role", "action", "subject", "input_digest", "policy_digest", "outcome_digest")


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def entry_hash(prev_hash: str, fields: dict) -> str:
    canonical = json.dumps({k: fields[k] for k in HASHED}, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


def append(session: Session, who: Principal, action: str, subject: str, *, input_digest: str | None = None,
           policy_digest: str | None = None, outcome_digest: str | None = None) -> None:
    connection = session.connection()
    entry, = chained(connection, who, [{"action": action, "subject": subject, "input_digest": input_digest,
                                        "policy_digest": policy_digest, "outcome_digest": outcome_digest}])
    connection.execute(INSERT_ENTRY, entry)
    faults.point(action, session)  # test-only, inert unless GF_FAULT is set: see service/faults.py


def append_many(session: Session, who: Principal, items: list[dict]) -> None:
    """Append many entries at once (bulk loads): the head is locked once, the chain computed in order, the rows
    inserted with one executemany. items: dicts of action, subject and the optional digests."""
    if not items:
        return
    connection = session.connection()
    connection.execute(INSERT_ENTRY, chained(connection, who, items))
    faults.point(items[-1]["action"], session)  # test-only, inert unless GF_FAULT is set


def chained(connection: Connection, who: Principal, items: list[dict]) -> list[dict]:
    """The audit rows for items, chained after the head, which is locked and moved past them: the caller
    inserts the rows in the same transaction (with INSERT_ENTRY)."""
    prev, seq = connection.execute(_LOCK_HEAD).one()
    at, rows = now(), []
    for item in items:
        seq += 1
        fields = {"seq": seq, "at": at, "actor": who.token_id, "role": who.role, "action": item["action"],
                  "subject": item["subject"], "input_digest": item.get("input_digest"),
                  "policy_digest": item.get("policy_digest"), "outcome_digest": item.get("outcome_digest")}
        digest = entry_hash(prev, fields)
        rows.append({**fields, "prev_hash": prev, "hash": digest})
        prev = digest
    connection.execute(_MOVE_HEAD, {"new_seq": seq, "new_hash": prev})
    return rows


_HEAD = AuditHead.__table__
_LOCK_HEAD = select(_HEAD.c.hash, _HEAD.c.seq).where(_HEAD.c.id == 1).with_for_update()
_MOVE_HEAD = update(_HEAD).where(_HEAD.c.id == 1).values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))
INSERT_ENTRY = AuditEntry.__table__.insert()


@dataclass(frozen=True, slots=True)
class Finding:
    """Something audit verification found wrong: a stable code, what it concerns, one sentence."""

    code: str
    subject: str
    message: str

    def __str__(self) -> str:
        return f"{self.subject}: {self.code} {self.message}"


def verify_chain(session: Session) -> tuple[int, list[Finding]]:
    """Walk the whole log in order: contiguous seqs, each prev_hash the hash before, each hash recomputed."""
    findings: list[Finding] = []
    prev, expected, count = GENESIS, 1, 0
    for entry in session.execute(select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=500)).scalars():
        count += 1
        subject = f"audit#{entry.seq}"
        if entry.seq != expected:
            findings.append(Finding("audit.seq.gap", subject, f"Entry {expected} is missing: entries were deleted."))
        if entry.prev_hash != prev:
            findings.append(Finding("audit.chain.broken", subject, "The entry does not point at the hash of the one"
                                    " before it: entries were removed, inserted or altered."))
        fields = {k: getattr(entry, k) for k in HASHED}
        if entry_hash(entry.prev_hash, fields) != entry.hash:
            findings.append(Finding("audit.hash.mismatch", subject, "The entry's hash does not match its content:"
                                    " the entry was altered."))
        prev, expected = entry.hash, entry.seq + 1
    head = session.get(AuditHead, 1)
    if head is None or head.seq != count or head.hash != prev:
        findings.append(Finding("audit.head.mismatch", "audit_head", "The recorded head of the log is not its last"
                                " entry: entries were removed from the end."))
    return count, findings
