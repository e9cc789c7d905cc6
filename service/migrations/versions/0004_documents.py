"""Supporting documents: each distinct content once (document_contents, keyed by sha256) and each enterprise's
upload of it (document_uploads: name, region, uploader).

Revision ID: 0004
Revises: 0003
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "document_contents",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
    )
    op.create_table(
        "document_uploads",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("sha256", sa.String(64), sa.ForeignKey("document_contents.sha256"), nullable=False),
        sa.Column("enterprise", sa.String(18), nullable=False),
        sa.Column("region", sa.String(6), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("uploaded_by", sa.String(32), nullable=False),
        sa.Column("uploaded_at", sa.String(32), nullable=False),
        sa.UniqueConstraint("sha256", "enterprise", name="uq_document_uploads"),
    )
    op.create_index("ix_document_uploads_region", "document_uploads", ["region"])


def downgrade() -> None:
    op.drop_index("ix_document_uploads_region", table_name="document_uploads")
    op.drop_table("document_uploads")
    op.drop_table("document_contents")
