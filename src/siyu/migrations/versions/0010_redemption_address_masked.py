"""redemption address masked

A points-mall redemption keeps a masked line of its shipping address (name and phone masked,
no street) beside the encrypted address, for the shipping queue.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 01:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("mall_redemptions") as batch:
        batch.add_column(sa.Column("address_masked", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("mall_redemptions") as batch:
        batch.drop_column("address_masked")
