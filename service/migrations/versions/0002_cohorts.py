"""Cohorts: factories, rounds and their entries, baseline snapshots, approvals, plausibility resolutions; the
evaluation context (baseline and sector best it was compared with) so that a replay compares the same way.

Revision ID: 0002
Revises: 0001
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("evaluations") as batch:
        batch.add_column(sa.Column("context", sa.LargeBinary))
    op.create_table(
        "factories",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("uscc", sa.String(18), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("region", sa.String(6), nullable=False),
        sa.Column("authority", sa.String(6), nullable=False),
        sa.Column("sector", sa.String(64), nullable=False),
        sa.Column("provincial_year", sa.Integer),
        sa.Column("national_year", sa.Integer),
        sa.Column("removed_year", sa.Integer),
        sa.Column("created_at", sa.String(32), nullable=False),
    )
    op.create_index("ix_factories_authority", "factories", ["authority"])
    op.create_table(
        "rounds",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(16), nullable=False, unique=True),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("policy_id", sa.String(64), nullable=False),
        sa.Column("policy_version", sa.String(40), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("snapshot", sa.String(64)),
        sa.Column("run_at", sa.String(32)),
        sa.Column("bests", sa.LargeBinary),
        sa.Column("created_at", sa.String(32), nullable=False),
    )
    op.create_table(
        "round_entries",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("round_pk", sa.Integer, sa.ForeignKey("rounds.pk"), nullable=False),
        sa.Column("factory_pk", sa.Integer, sa.ForeignKey("factories.pk"), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("submission", sa.LargeBinary, nullable=False),
        sa.Column("evaluation_id", sa.String(36)),
        sa.Column("score", sa.String(32)),
        sa.Column("eligible", sa.Boolean),
        sa.Column("meets_baseline", sa.Boolean),
        sa.Column("recommended", sa.Boolean),
        sa.Column("rank", sa.Integer),
        sa.Column("cohort_size", sa.Integer),
        sa.Column("percentile", sa.String(8)),
        sa.Column("grade", sa.String(8)),
        sa.Column("bottom", sa.Boolean),
        sa.Column("removal", sa.String(32)),
        sa.Column("flags", sa.Text, nullable=False),
        sa.UniqueConstraint("round_pk", "factory_pk", name="uq_round_entries"),
    )
    op.create_index("ix_round_entries_evaluation", "round_entries", ["evaluation_id"])
    op.create_table(
        "baseline_snapshots",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("round_pk", sa.Integer, sa.ForeignKey("rounds.pk"), nullable=False),
        sa.Column("snapshot", sa.String(64), nullable=False),
        sa.Column("scope", sa.String(128), nullable=False),
        sa.Column("authority", sa.String(6), nullable=False),
        sa.Column("sector", sa.String(64)),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("mean", sa.String(32), nullable=False),
        sa.Column("policy_digest", sa.String(80), nullable=False),
        sa.Column("taken_at", sa.String(32), nullable=False),
        sa.UniqueConstraint("snapshot", "scope", name="uq_baseline_snapshots"),
    )
    op.create_table(
        "approvals",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("round_pk", sa.Integer, sa.ForeignKey("rounds.pk"), nullable=False),
        sa.Column("factory_pk", sa.Integer, sa.ForeignKey("factories.pk"), nullable=False),
        sa.Column("approved", sa.Boolean, nullable=False),
        sa.Column("decided_by", sa.String(32), nullable=False),
        sa.Column("decided_at", sa.String(32), nullable=False),
        sa.UniqueConstraint("round_pk", "factory_pk", name="uq_approvals"),
    )
    op.create_table(
        "plausibility_resolutions",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("evaluation_id", sa.String(36), nullable=False),
        sa.Column("flag", sa.String(96), nullable=False),
        sa.Column("resolution", sa.String(16), nullable=False),
        sa.Column("corrected_by", sa.String(36)),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("resolved_by", sa.String(32), nullable=False),
        sa.Column("resolved_at", sa.String(32), nullable=False),
        sa.UniqueConstraint("evaluation_id", "flag", name="uq_plausibility_resolutions"),
    )


def downgrade() -> None:
    for table in ("plausibility_resolutions", "approvals", "baseline_snapshots", "round_entries", "rounds", "factories"):
        op.drop_table(table)
    with op.batch_alter_table("evaluations") as batch:
        batch.drop_column("context")
