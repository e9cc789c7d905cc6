"""The tables. Times are ISO 8601 UTC strings ("2025-11-28T14:00:00.123456Z"): the same bytes on every database,
so that audit entries hash the same wherever they are read back. Alembic owns the schema (service/migrations)."""
from __future__ import annotations

import zlib
from datetime import datetime, timezone

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

DEFLATE_LEVEL = 3  # a 40 kB trace: 5.5× smaller in about 65 µs; level 6 gains 10 % more for 3× the time


class Deflated(TypeDecorator):
    """Bytes stored zlib-deflated, read and written as the plain bytes: a trace is some 40 kB of JSON.

    Hashes and comparisons are over the plain bytes, so they do not depend on the compressor."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else zlib.compress(value, DEFLATE_LEVEL)

    def process_result_value(self, value, dialect):
        return None if value is None else zlib.decompress(value)


class Base(DeclarativeBase):
    pass


def now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Token(Base):
    """An API token: only the sha256 of the secret is kept."""

    __tablename__ = "tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # tok_…, shown in the audit log
    secret_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))  # enterprise | reviewer | authority | policy_admin
    region: Mapped[str | None] = mapped_column(String(6))
    enterprise: Mapped[str | None] = mapped_column(String(18))  # USCC
    name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[str] = mapped_column(String(32), default=now)
    revoked_at: Mapped[str | None] = mapped_column(String(32))


class PolicyVersion(Base):
    """One version of a policy: its YAML as written, and whether it is still a draft."""

    __tablename__ = "policy_versions"
    __table_args__ = (UniqueConstraint("policy_id", "version", name="uq_policy_versions_ref"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    policy_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16))  # draft | published
    digest: Mapped[str] = mapped_column(String(80))
    text: Mapped[str] = mapped_column(Text)
    title_zh: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    origin: Mapped[str] = mapped_column(String(16))  # bundled | uploaded
    created_at: Mapped[str] = mapped_column(String(32), default=now)
    created_by: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[str] = mapped_column(String(32), default=now)
    published_at: Mapped[str | None] = mapped_column(String(32))
    published_by: Mapped[str | None] = mapped_column(String(32))

    @property
    def ref(self) -> str:
        return f"{self.policy_id}@{self.version}"


class Evaluation(Base):
    """A submission as received and the outcome with its trace, as canonical JSON bytes."""

    __tablename__ = "evaluations"
    __table_args__ = (Index("ix_evaluations_region", "region"), Index("ix_evaluations_uscc", "uscc"))

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True)  # public, random
    policy_version_pk: Mapped[int] = mapped_column(ForeignKey("policy_versions.pk"))
    policy_id: Mapped[str] = mapped_column(String(64))
    policy_version: Mapped[str] = mapped_column(String(40))
    policy_digest: Mapped[str] = mapped_column(String(80))
    uscc: Mapped[str] = mapped_column(String(18))
    region: Mapped[str] = mapped_column(String(6))
    sector: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(32))
    submission: Mapped[bytes] = mapped_column(LargeBinary)  # the submission's JSON as received, key order kept
    submission_digest: Mapped[str] = mapped_column(String(80))
    outcome: Mapped[bytes] = mapped_column(Deflated)  # engine.scoring.trace.canonical_json, stored deflated (0003)
    outcome_sha256: Mapped[str] = mapped_column(String(80))  # "sha256:" + hex
    score: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[str] = mapped_column(String(32), default=now)
    created_by: Mapped[str] = mapped_column(String(32))
    context: Mapped[bytes | None] = mapped_column(LargeBinary)  # JSON: the baseline and sector best compared with


class AuditEntry(Base):
    """Append-only (triggers refuse UPDATE and DELETE); each entry's hash covers the previous hash."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(32))  # a token id, or "system"
    role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(32))  # policy.load | policy.upload | policy.replace | ...
    subject: Mapped[str] = mapped_column(String(128))  # id@version, or an evaluation id
    input_digest: Mapped[str | None] = mapped_column(String(80))
    policy_digest: Mapped[str | None] = mapped_column(String(80))
    outcome_digest: Mapped[str | None] = mapped_column(String(80))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(Base):
    """One row: the last entry's seq and hash. Appenders lock it, so the chain never forks."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class PageSession(Base):
    """A signed-in page session: the signed cookie holds a random id, this row its sha256. Signing out deletes the
    row, so a cookie copied before then is refused afterwards; so is one past expires_at."""

    __tablename__ = "page_sessions"

    id_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    token_id: Mapped[str] = mapped_column(ForeignKey("tokens.id"))
    created_at: Mapped[str] = mapped_column(String(32), default=now)
    expires_at: Mapped[str] = mapped_column(String(32), index=True)
