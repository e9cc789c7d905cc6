"""Store evaluation outcomes deflated (zlib): a trace is some 40 kB of JSON and compresses about 5.5×.

The column stays a binary column; service.models.Deflated compresses on write and inflates on read.
Existing rows are rewritten in batches, in this migration's transaction.
"""
from __future__ import annotations

import zlib

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BATCH = 500
LEVEL = 3  # as service.models.DEFLATE_LEVEL; a migration keeps its own copy so that it never changes


def _rewrite(transform) -> None:
    evaluations = sa.table("evaluations", sa.column("pk", sa.Integer), sa.column("outcome", sa.LargeBinary))
    connection = op.get_bind()
    last = 0
    while True:
        rows = connection.execute(sa.select(evaluations.c.pk, evaluations.c.outcome)
                                  .where(evaluations.c.pk > last).order_by(evaluations.c.pk).limit(BATCH)).all()
        if not rows:
            return
        connection.execute(evaluations.update().where(evaluations.c.pk == sa.bindparam("row_pk"))
                           .values(outcome=sa.bindparam("blob")),
                           [{"row_pk": pk, "blob": transform(bytes(blob))} for pk, blob in rows])
        last = rows[-1].pk


def upgrade() -> None:
    _rewrite(lambda blob: zlib.compress(blob, LEVEL))


def downgrade() -> None:
    _rewrite(zlib.decompress)
