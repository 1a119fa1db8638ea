"""coupons and the flash grab

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 14:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "coupon_templates",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("threshold_cents", sa.Integer(), nullable=False),
        sa.Column("discount_cents", sa.Integer(), nullable=False),
        sa.Column("percent", sa.Integer(), nullable=True),
        sa.Column("cap_cents", sa.Integer(), nullable=True),
        sa.Column("valid_days", sa.Integer(), nullable=True),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "platforms",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "shops",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "products",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("face_value_cents", sa.Integer(), nullable=False),
        sa.Column("cost_cents", sa.Integer(), nullable=False),
        sa.Column("how_to_use", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('threshold','fixed','percent','no_threshold')",
            name=op.f("ck_coupon_templates_kind_known"),
        ),
        sa.CheckConstraint(
            "face_value_cents >= 0 AND cost_cents >= 0",
            name=op.f("ck_coupon_templates_money_non_negative"),
        ),
        sa.CheckConstraint(
            "percent IS NULL OR (percent > 0 AND percent < 100)",
            name=op.f("ck_coupon_templates_percent_range"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_coupon_templates_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupon_templates")),
    )
    with op.batch_alter_table("coupon_templates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_coupon_templates_workspace_id_id"), ["workspace_id", "id"], unique=False
        )
    op.create_table(
        "coupon_campaigns",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column(
            "template_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("remaining", sa.Integer(), nullable=False),
        sa.Column("per_customer_limit", sa.Integer(), nullable=False),
        sa.Column(
            "segment_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True
        ),
        sa.Column("uses_pool", sa.Boolean(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "channel IN ('grab','share','post_live','manual','points')",
            name=op.f("ck_coupon_campaigns_channel_known"),
        ),
        sa.CheckConstraint(
            "per_customer_limit >= 1", name=op.f("ck_coupon_campaigns_limit_positive")
        ),
        sa.CheckConstraint(
            "remaining >= 0 AND remaining <= quantity",
            name=op.f("ck_coupon_campaigns_remaining_in_stock"),
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["coupon_templates.id"],
            name=op.f("fk_coupon_campaigns_template_id_coupon_templates"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_coupon_campaigns_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupon_campaigns")),
    )
    with op.batch_alter_table("coupon_campaigns", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_coupon_campaigns_workspace_id_id"), ["workspace_id", "id"], unique=False
        )
    op.create_table(
        "coupon_claims",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column(
            "campaign_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=200), nullable=False),
        sa.Column("link", sa.String(length=500), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "slot >= 1 AND sequence >= 1", name=op.f("ck_coupon_claims_positions_positive")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["coupon_campaigns.id"],
            name=op.f("fk_coupon_claims_campaign_id_coupon_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_coupon_claims_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_coupon_claims_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupon_claims")),
        sa.UniqueConstraint(
            "campaign_id",
            "customer_id",
            "sequence",
            name=op.f("uq_coupon_claims_campaign_id_customer_id_sequence"),
        ),
        sa.UniqueConstraint("campaign_id", "slot", name=op.f("uq_coupon_claims_campaign_id_slot")),
    )
    with op.batch_alter_table("coupon_claims", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_coupon_claims_workspace_id_campaign_id_id"),
            ["workspace_id", "campaign_id", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_coupon_claims_workspace_id_customer_id_claimed_at"),
            ["workspace_id", "customer_id", "claimed_at"],
            unique=False,
        )
    op.create_table(
        "coupon_codes",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column(
            "campaign_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=200), nullable=False),
        sa.Column("link", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["coupon_campaigns.id"],
            name=op.f("fk_coupon_codes_campaign_id_coupon_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_coupon_codes_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupon_codes")),
        sa.UniqueConstraint("campaign_id", "slot", name=op.f("uq_coupon_codes_campaign_id_slot")),
        sa.UniqueConstraint(
            "workspace_id",
            "campaign_id",
            "code",
            name=op.f("uq_coupon_codes_workspace_id_campaign_id_code"),
        ),
    )
    op.create_table(
        "coupon_shares",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column(
            "campaign_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("visits", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["coupon_campaigns.id"],
            name=op.f("fk_coupon_shares_campaign_id_coupon_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_coupon_shares_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_coupon_shares_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupon_shares")),
        sa.UniqueConstraint(
            "campaign_id", "customer_id", name=op.f("uq_coupon_shares_campaign_id_customer_id")
        ),
        sa.UniqueConstraint("token", name=op.f("uq_coupon_shares_token")),
    )
    op.create_table(
        "coupon_redemptions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column(
            "campaign_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("claim_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("order_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("order_amount_fen", sa.Integer(), nullable=False),
        sa.Column("redeemed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "operator_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "method IN ('code','rule','operator')", name=op.f("ck_coupon_redemptions_method_known")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["coupon_campaigns.id"],
            name=op.f("fk_coupon_redemptions_campaign_id_coupon_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["coupon_claims.id"],
            name=op.f("fk_coupon_redemptions_claim_id_coupon_claims"),
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operators.id"],
            name=op.f("fk_coupon_redemptions_operator_id_operators"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_coupon_redemptions_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_coupon_redemptions_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupon_redemptions")),
        sa.UniqueConstraint("claim_id", name=op.f("uq_coupon_redemptions_claim_id")),
    )
    with op.batch_alter_table("coupon_redemptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_coupon_redemptions_workspace_id_campaign_id"),
            ["workspace_id", "campaign_id"],
            unique=False,
        )

    # ### end Alembic commands ###


def downgrade() -> None:
    with op.batch_alter_table("coupon_redemptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coupon_redemptions_workspace_id_campaign_id"))
    op.drop_table("coupon_redemptions")
    op.drop_table("coupon_shares")
    op.drop_table("coupon_codes")
    with op.batch_alter_table("coupon_claims", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coupon_claims_workspace_id_customer_id_claimed_at"))
        batch_op.drop_index(batch_op.f("ix_coupon_claims_workspace_id_campaign_id_id"))
    op.drop_table("coupon_claims")
    with op.batch_alter_table("coupon_campaigns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coupon_campaigns_workspace_id_id"))
    op.drop_table("coupon_campaigns")
    with op.batch_alter_table("coupon_templates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coupon_templates_workspace_id_id"))
    op.drop_table("coupon_templates")
