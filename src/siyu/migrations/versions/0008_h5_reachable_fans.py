"""group join codes and coupon mall items

A fan group keeps the link its own join QR code holds, so the public live code can show it to
an anonymous newcomer; a mall item may hand out a coupon template instead of a parcel.

Revision ID: 0008_h5
Revises: 0007
Create Date: 2026-12-07 01:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_h5"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIG_ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("community_groups") as batch:
        batch.add_column(sa.Column("join_url", sa.String(length=500), nullable=True))
    with op.batch_alter_table("mall_items") as batch:
        batch.add_column(sa.Column("coupon_template_id", _BIG_ID, nullable=True))
        batch.create_foreign_key(
            "fk_mall_items_coupon_template_id_coupon_templates",
            "coupon_templates",
            ["coupon_template_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("mall_items") as batch:
        batch.drop_constraint(
            "fk_mall_items_coupon_template_id_coupon_templates", type_="foreignkey"
        )
        batch.drop_column("coupon_template_id")
    with op.batch_alter_table("community_groups") as batch:
        batch.drop_column("join_url")
