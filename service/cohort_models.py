"""Tables of the cohort functions: factories and their history, rounds, each round's entries (submission, outcome
summary, standing), the dated baseline snapshots, authorities' approvals and reviewers' plausibility resolutions.
Alembic revision 0002 creates them."""
from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .models import Base, now


class Factory(Base):
    """An enterprise's factory: on the provincial list since a year, on the national list since a year (and
    removed in one), or neither yet (an applicant's record)."""

    __tablename__ = "factories"
    __table_args__ = (Index("ix_factories_authority", "authority"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str] = mapped_column(String(6))
    authority: Mapped[str] = mapped_column(String(6))  # the recommending authority (engine.submission.region.authority_for)
    sector: Mapped[str] = mapped_column(String(64))
    provincial_year: Mapped[int | None] = mapped_column(Integer)
    national_year: Mapped[int | None] = mapped_column(Integer)
    removed_year: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[str] = mapped_column(String(32), default=now)


class Round(Base):
    """A round of national evaluation under one published policy version."""

    __tablename__ = "rounds"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(16), unique=True)  # e.g. 2025
    year: Mapped[int] = mapped_column(Integer)
    policy_id: Mapped[str] = mapped_column(String(64))
    policy_version: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | run
    snapshot: Mapped[str | None] = mapped_column(String(64))
    run_at: Mapped[str | None] = mapped_column(String(32))
    bests: Mapped[bytes | None] = mapped_column(LargeBinary)  # JSON: sector -> {input: best value}
    created_at: Mapped[str] = mapped_column(String(32), default=now)


class RoundEntry(Base):
    """A factory in a round: its submission, and after the run its evaluation and standing."""

    __tablename__ = "round_entries"
    __table_args__ = (UniqueConstraint("round_pk", "factory_pk", name="uq_round_entries"),
                      Index("ix_round_entries_evaluation", "evaluation_id"))

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    round_pk: Mapped[int] = mapped_column(ForeignKey("rounds.pk"))
    factory_pk: Mapped[int] = mapped_column(ForeignKey("factories.pk"))
    role: Mapped[str] = mapped_column(String(16))  # existing | applicant
    submission: Mapped[bytes] = mapped_column(LargeBinary)  # as received
    evaluation_id: Mapped[str | None] = mapped_column(String(36))
    score: Mapped[str | None] = mapped_column(String(32))
    eligible: Mapped[bool | None] = mapped_column(Boolean)
    meets_baseline: Mapped[bool | None] = mapped_column(Boolean)
    recommended: Mapped[bool | None] = mapped_column(Boolean)
    rank: Mapped[int | None] = mapped_column(Integer)
    cohort_size: Mapped[int | None] = mapped_column(Integer)
    percentile: Mapped[str | None] = mapped_column(String(8))
    grade: Mapped[str | None] = mapped_column(String(8))
    bottom: Mapped[bool | None] = mapped_column(Boolean)
    removal: Mapped[str | None] = mapped_column(String(32))  # gate_failed | bottom_three_rounds
    flags: Mapped[str] = mapped_column(Text, default="")  # plausibility flags, space-separated


class BaselineSnapshot(Base):
    """One regional (or regional-sector) baseline of a round's dated snapshot."""

    __tablename__ = "baseline_snapshots"
    __table_args__ = (UniqueConstraint("snapshot", "scope", name="uq_baseline_snapshots"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    round_pk: Mapped[int] = mapped_column(ForeignKey("rounds.pk"))
    snapshot: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(String(128))
    authority: Mapped[str] = mapped_column(String(6))
    sector: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    mean: Mapped[str] = mapped_column(String(32))
    policy_digest: Mapped[str] = mapped_column(String(80))
    taken_at: Mapped[str] = mapped_column(String(32))


class Approval(Base):
    """An authority's decision on a recommended applicant."""

    __tablename__ = "approvals"
    __table_args__ = (UniqueConstraint("round_pk", "factory_pk", name="uq_approvals"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    round_pk: Mapped[int] = mapped_column(ForeignKey("rounds.pk"))
    factory_pk: Mapped[int] = mapped_column(ForeignKey("factories.pk"))
    approved: Mapped[bool] = mapped_column(Boolean)
    decided_by: Mapped[str] = mapped_column(String(32))
    decided_at: Mapped[str] = mapped_column(String(32), default=now)


class PlausibilityResolution(Base):
    """A reviewer's resolution of a plausibility flag: confirmed, or corrected by a new submission."""

    __tablename__ = "plausibility_resolutions"
    __table_args__ = (UniqueConstraint("evaluation_id", "flag", name="uq_plausibility_resolutions"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    evaluation_id: Mapped[str] = mapped_column(String(36))
    flag: Mapped[str] = mapped_column(String(96))  # e.g. implausible_range:water_reuse_rate
    resolution: Mapped[str] = mapped_column(String(16))  # confirmed | corrected
    corrected_by: Mapped[str | None] = mapped_column(String(36))  # the evaluation of the new submission
    note: Mapped[str] = mapped_column(Text, default="")
    resolved_by: Mapped[str] = mapped_column(String(32))
    resolved_at: Mapped[str] = mapped_column(String(32), default=now)
