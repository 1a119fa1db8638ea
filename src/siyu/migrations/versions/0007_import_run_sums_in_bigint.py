"""import run sums in bigint

A file's paid and refunded sums overflow a 32-bit integer past 21 million yuan, which a large
export reaches.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 17:35:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SUMS = ("paid_amount_fen", "refund_amount_fen")


def upgrade() -> None:
    with op.batch_alter_table("import_runs") as batch:
        for name in _SUMS:
            batch.alter_column(name, existing_type=sa.Integer(), type_=sa.BigInteger())


def downgrade() -> None:
    with op.batch_alter_table("import_runs") as batch:
        for name in _SUMS:
            batch.alter_column(name, existing_type=sa.BigInteger(), type_=sa.Integer())
