"""points ledger and points mall

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 14:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "gift_budgets",
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
            "operator_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("monthly_budget_fen", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "monthly_budget_fen >= 0", name=op.f("ck_gift_budgets_budget_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.id"], name=op.f("fk_gift_budgets_operator_id_operators")
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_gift_budgets_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gift_budgets")),
        sa.UniqueConstraint(
            "workspace_id", "operator_id", name=op.f("uq_gift_budgets_workspace_id_operator_id")
        ),
    )
    op.create_table(
        "mall_items",
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
        sa.Column("shelf", sa.String(length=16), nullable=False),
        sa.Column("points_price", sa.Integer(), nullable=False),
        sa.Column("cash_price_fen", sa.Integer(), nullable=True),
        sa.Column("cost_fen", sa.Integer(), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=False),
        sa.Column("per_customer_limit", sa.Integer(), nullable=True),
        sa.Column("min_tier_code", sa.String(length=32), nullable=True),
        sa.Column(
            "segment_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True
        ),
        sa.Column("available_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("available_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("image_url", sa.String(length=500), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("virtual", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "shelf IN ('aspirational','essentials','seasonal')",
            name=op.f("ck_mall_items_shelf_known"),
        ),
        sa.CheckConstraint(
            "cash_price_fen IS NULL OR cash_price_fen >= 0",
            name=op.f("ck_mall_items_cash_non_negative"),
        ),
        sa.CheckConstraint("cost_fen >= 0", name=op.f("ck_mall_items_cost_non_negative")),
        sa.CheckConstraint("points_price > 0", name=op.f("ck_mall_items_points_price_positive")),
        sa.CheckConstraint("stock >= 0", name=op.f("ck_mall_items_stock_non_negative")),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_mall_items_workspace_id_workspaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mall_items")),
    )
    with op.batch_alter_table("mall_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mall_items_workspace_id_shelf_active"),
            ["workspace_id", "shelf", "active"],
            unique=False,
        )
    op.create_table(
        "points_earn_rules",
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
        sa.Column("multiplier_permille", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=True),
        sa.Column(
            "segment_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True
        ),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "multiplier_permille > 0", name=op.f("ck_points_earn_rules_multiplier_positive")
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_points_earn_rules_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_earn_rules")),
    )
    with op.batch_alter_table("points_earn_rules", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_points_earn_rules_workspace_id_active"),
            ["workspace_id", "active"],
            unique=False,
        )
    op.create_table(
        "points_tiers",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("min_points_12m", sa.Integer(), nullable=False),
        sa.Column("min_spend_fen_12m", sa.Integer(), nullable=True),
        sa.Column("multiplier_permille", sa.Integer(), nullable=False),
        sa.Column("benefits", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "multiplier_permille > 0", name=op.f("ck_points_tiers_multiplier_positive")
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_points_tiers_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_tiers")),
        sa.UniqueConstraint("workspace_id", "code", name=op.f("uq_points_tiers_workspace_id_code")),
    )
    op.create_table(
        "mall_redemptions",
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
            "customer_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("item_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("idempotency_key", sa.String(length=128), nullable=False),
        sa.Column("payload_hash", sa.String(length=64), nullable=False),
        sa.Column("address_enc", sa.LargeBinary(), nullable=True),
        sa.Column(
            "lots_used",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("gift_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True),
        sa.Column("carrier", sa.String(length=50), nullable=True),
        sa.Column("tracking_no", sa.String(length=64), nullable=True),
        sa.Column("cancel_reason", sa.String(length=200), nullable=True),
        sa.Column("shipped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('pending','shipped','delivered','cancelled')",
            name=op.f("ck_mall_redemptions_state_known"),
        ),
        sa.CheckConstraint("points >= 0", name=op.f("ck_mall_redemptions_points_non_negative")),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_mall_redemptions_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_mall_redemptions_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["mall_items.id"], name=op.f("fk_mall_redemptions_item_id_mall_items")
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_mall_redemptions_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mall_redemptions")),
        sa.UniqueConstraint(
            "workspace_id",
            "idempotency_key",
            name=op.f("uq_mall_redemptions_workspace_id_idempotency_key"),
        ),
    )
    with op.batch_alter_table("mall_redemptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mall_redemptions_workspace_id_customer_id_item_id"),
            ["workspace_id", "customer_id", "item_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_mall_redemptions_workspace_id_state_id"),
            ["workspace_id", "state", "id"],
            unique=False,
        )
    op.create_table(
        "operator_gifts",
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
            "operator_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("item_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("cost_fen", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column(
            "decided_by", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True
        ),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "redemption_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True
        ),
        sa.Column("address_enc", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('pending_approval','approved','rejected')",
            name=op.f("ck_operator_gifts_state_known"),
        ),
        sa.CheckConstraint("cost_fen >= 0", name=op.f("ck_operator_gifts_cost_non_negative")),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_operator_gifts_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["operators.id"], name=op.f("fk_operator_gifts_decided_by_operators")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["mall_items.id"], name=op.f("fk_operator_gifts_item_id_mall_items")
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.id"], name=op.f("fk_operator_gifts_operator_id_operators")
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_operator_gifts_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operator_gifts")),
    )
    with op.batch_alter_table("operator_gifts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_operator_gifts_workspace_id_operator_id_month"),
            ["workspace_id", "operator_id", "month"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_operator_gifts_workspace_id_state_id"),
            ["workspace_id", "state", "id"],
            unique=False,
        )
    op.create_table(
        "points_accounts",
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
            "customer_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("balance", sa.Integer(), nullable=False),
        sa.Column("pending", sa.Integer(), nullable=False),
        sa.Column("debt", sa.Integer(), nullable=False),
        sa.Column("tier_code", sa.String(length=32), nullable=True),
        sa.Column("auto_convert", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("balance >= 0", name=op.f("ck_points_accounts_balance_non_negative")),
        sa.CheckConstraint("debt >= 0", name=op.f("ck_points_accounts_debt_non_negative")),
        sa.CheckConstraint("pending >= 0", name=op.f("ck_points_accounts_pending_non_negative")),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_points_accounts_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_points_accounts_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_accounts")),
        sa.UniqueConstraint(
            "workspace_id", "customer_id", name=op.f("uq_points_accounts_workspace_id_customer_id")
        ),
    )
    op.create_table(
        "points_entries",
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
            "customer_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("debt_delta", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("actor_kind", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True),
        sa.Column("idempotency_key", sa.String(length=128), nullable=True),
        sa.Column("payload_hash", sa.String(length=64), nullable=True),
        sa.Column(
            "conversion_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True
        ),
        sa.Column(
            "redemption_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "actor_kind IN ('fan','operator','token','system')",
            name=op.f("ck_points_entries_actor_known"),
        ),
        sa.CheckConstraint(
            "kind IN ('earn','redeem','expire','adjust','clawback','redemption_refund')",
            name=op.f("ck_points_entries_kind_known"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_points_entries_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_points_entries_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_entries")),
        sa.UniqueConstraint(
            "workspace_id",
            "idempotency_key",
            name=op.f("uq_points_entries_workspace_id_idempotency_key"),
        ),
    )
    with op.batch_alter_table("points_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_points_entries_workspace_id_customer_id_id"),
            ["workspace_id", "customer_id", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_points_entries_workspace_id_kind_created_at"),
            ["workspace_id", "kind", "created_at"],
            unique=False,
        )
    op.create_table(
        "points_tier_changes",
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
            "customer_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("from_tier", sa.String(length=32), nullable=True),
        sa.Column("to_tier", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_points_tier_changes_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_points_tier_changes_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_tier_changes")),
    )
    with op.batch_alter_table("points_tier_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_points_tier_changes_workspace_id_customer_id_id"),
            ["workspace_id", "customer_id", "id"],
            unique=False,
        )
    op.create_table(
        "points_conversions",
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
            "customer_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("order_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("order_no", sa.String(length=64), nullable=False),
        sa.Column("net_paid_fen", sa.Integer(), nullable=False),
        sa.Column("multiplier_permille", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("clawed_back", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("vests_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("vested_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("actor_kind", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('pending','vested','cancelled')",
            name=op.f("ck_points_conversions_state_known"),
        ),
        sa.CheckConstraint("points >= 0", name=op.f("ck_points_conversions_points_non_negative")),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_points_conversions_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_points_conversions_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_points_conversions_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_conversions")),
        sa.UniqueConstraint(
            "workspace_id",
            "platform",
            "order_no",
            name=op.f("uq_points_conversions_workspace_id_platform_order_no"),
        ),
    )
    with op.batch_alter_table("points_conversions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_points_conversions_workspace_id_customer_id_id"),
            ["workspace_id", "customer_id", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_points_conversions_workspace_id_state_vests_at"),
            ["workspace_id", "state", "vests_at"],
            unique=False,
        )
    op.create_table(
        "points_lots",
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
            "customer_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("entry_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("remaining", sa.Integer(), nullable=False),
        sa.Column("earned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "remaining <= points", name=op.f("ck_points_lots_remaining_within_points")
        ),
        sa.CheckConstraint("remaining >= 0", name=op.f("ck_points_lots_remaining_non_negative")),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_points_lots_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["points_entries.id"], name=op.f("fk_points_lots_entry_id_points_entries")
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_points_lots_workspace_id_workspaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_lots")),
    )
    with op.batch_alter_table("points_lots", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_points_lots_workspace_id_customer_id_expires_at"),
            ["workspace_id", "customer_id", "expires_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_points_lots_workspace_id_expires_at"),
            ["workspace_id", "expires_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("points_lots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_points_lots_workspace_id_expires_at"))
        batch_op.drop_index(batch_op.f("ix_points_lots_workspace_id_customer_id_expires_at"))
    op.drop_table("points_lots")
    with op.batch_alter_table("points_conversions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_points_conversions_workspace_id_state_vests_at"))
        batch_op.drop_index(batch_op.f("ix_points_conversions_workspace_id_customer_id_id"))
    op.drop_table("points_conversions")
    with op.batch_alter_table("points_tier_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_points_tier_changes_workspace_id_customer_id_id"))
    op.drop_table("points_tier_changes")
    with op.batch_alter_table("points_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_points_entries_workspace_id_kind_created_at"))
        batch_op.drop_index(batch_op.f("ix_points_entries_workspace_id_customer_id_id"))
    op.drop_table("points_entries")
    op.drop_table("points_accounts")
    with op.batch_alter_table("operator_gifts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_operator_gifts_workspace_id_state_id"))
        batch_op.drop_index(batch_op.f("ix_operator_gifts_workspace_id_operator_id_month"))
    op.drop_table("operator_gifts")
    with op.batch_alter_table("mall_redemptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mall_redemptions_workspace_id_state_id"))
        batch_op.drop_index(batch_op.f("ix_mall_redemptions_workspace_id_customer_id_item_id"))
    op.drop_table("mall_redemptions")
    op.drop_table("points_tiers")
    with op.batch_alter_table("points_earn_rules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_points_earn_rules_workspace_id_active"))
    op.drop_table("points_earn_rules")
    with op.batch_alter_table("mall_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mall_items_workspace_id_shelf_active"))
    op.drop_table("mall_items")
    op.drop_table("gift_budgets")
