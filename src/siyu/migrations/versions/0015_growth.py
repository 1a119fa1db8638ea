"""referrals and check-in camps

The referral tree (depth kept by a composite foreign key to the inviter's own row and CHECKs),
invite codes, rewards once per invitee and level, the workspace's referral rules; check-in camps
on fan groups with their daily tasks, check-ins and completions.

Revision ID: 0015
Revises: 0011
Create Date: 2026-12-07 03:58:40.728040
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import siyu.db

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "referral_codes",
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
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("created_at", siyu.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_referral_codes_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_referral_codes_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_codes")),
        sa.UniqueConstraint("code", name=op.f("uq_referral_codes_code")),
        sa.UniqueConstraint(
            "workspace_id", "customer_id", name=op.f("uq_referral_codes_workspace_id_customer_id")
        ),
    )
    op.create_table(
        "referrals",
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
        sa.Column(
            "inviter_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True
        ),
        sa.Column("inviter_depth", sa.Integer(), nullable=True),
        sa.Column("depth", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("touched_at", siyu.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_at", siyu.db.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "source IN ('link', 'api', 'console', 'demo')", name=op.f("ck_referrals_source_known")
        ),
        sa.CheckConstraint(
            "(inviter_id IS NULL AND inviter_depth IS NULL AND depth = 0)"
            " OR (inviter_id IS NOT NULL AND inviter_depth IS NOT NULL"
            " AND depth = inviter_depth + 1)",
            name=op.f("ck_referrals_depth_follows_inviter"),
        ),
        sa.CheckConstraint(
            "depth >= 0 AND depth <= 2", name=op.f("ck_referrals_depth_at_most_two")
        ),
        sa.CheckConstraint(
            "inviter_id IS NULL OR inviter_id <> customer_id", name=op.f("ck_referrals_not_self")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_referrals_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["inviter_id"], ["customers.id"], name=op.f("fk_referrals_inviter_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id", "inviter_id", "inviter_depth"],
            ["referrals.workspace_id", "referrals.customer_id", "referrals.depth"],
            name="fk_referrals_inviter_depth",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_referrals_workspace_id_workspaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
        sa.UniqueConstraint(
            "workspace_id",
            "customer_id",
            "depth",
            name=op.f("uq_referrals_workspace_id_customer_id_depth"),
        ),
        sa.UniqueConstraint(
            "workspace_id", "customer_id", name=op.f("uq_referrals_workspace_id_customer_id")
        ),
    )
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_referrals_workspace_id_created_at"),
            ["workspace_id", "created_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_referrals_workspace_id_inviter_id"),
            ["workspace_id", "inviter_id"],
            unique=False,
        )

    op.create_table(
        "engagement_camps",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("group_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("rule", sa.String(length=16), nullable=False),
        sa.Column("required_days", sa.Integer(), nullable=False),
        sa.Column("reward_kind", sa.String(length=8), nullable=False),
        sa.Column("reward_points", sa.Integer(), nullable=False),
        sa.Column(
            "coupon_campaign_id",
            sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"),
            nullable=True,
        ),
        sa.Column("created_at", siyu.db.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "reward_kind IN ('points', 'coupon')",
            name=op.f("ck_engagement_camps_reward_kind_known"),
        ),
        sa.CheckConstraint(
            "rule IN ('consecutive', 'cumulative')", name=op.f("ck_engagement_camps_rule_known")
        ),
        sa.CheckConstraint("days >= 1 AND days <= 60", name=op.f("ck_engagement_camps_days_range")),
        sa.CheckConstraint(
            "required_days >= 1 AND required_days <= days",
            name=op.f("ck_engagement_camps_required_days_range"),
        ),
        sa.CheckConstraint(
            "reward_points >= 0", name=op.f("ck_engagement_camps_reward_points_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["coupon_campaign_id"],
            ["coupon_campaigns.id"],
            name=op.f("fk_engagement_camps_coupon_campaign_id_coupon_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["community_groups.id"],
            name=op.f("fk_engagement_camps_group_id_community_groups"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_engagement_camps_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engagement_camps")),
    )
    with op.batch_alter_table("engagement_camps", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_engagement_camps_workspace_id_group_id"),
            ["workspace_id", "group_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_engagement_camps_workspace_id_starts_on"),
            ["workspace_id", "starts_on"],
            unique=False,
        )

    op.create_table(
        "referral_rewards",
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
            "invitee_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column(
            "beneficiary_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("order_paid_fen", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("coupon_claim_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", siyu.db.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('points', 'coupon')", name=op.f("ck_referral_rewards_kind_known")
        ),
        sa.CheckConstraint("level IN (1, 2)", name=op.f("ck_referral_rewards_level_one_or_two")),
        sa.CheckConstraint("points >= 0", name=op.f("ck_referral_rewards_points_non_negative")),
        sa.ForeignKeyConstraint(
            ["beneficiary_id"],
            ["customers.id"],
            name=op.f("fk_referral_rewards_beneficiary_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["invitee_id"], ["customers.id"], name=op.f("fk_referral_rewards_invitee_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_referral_rewards_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_referral_rewards_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral_rewards")),
        sa.UniqueConstraint(
            "workspace_id",
            "invitee_id",
            "level",
            name=op.f("uq_referral_rewards_workspace_id_invitee_id_level"),
        ),
    )
    with op.batch_alter_table("referral_rewards", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_referral_rewards_workspace_id_beneficiary_id"),
            ["workspace_id", "beneficiary_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_referral_rewards_workspace_id_created_at"),
            ["workspace_id", "created_at"],
            unique=False,
        )

    op.create_table(
        "referral_settings",
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("max_depth", sa.Integer(), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("reward_kind", sa.String(length=8), nullable=False),
        sa.Column("reward_points", sa.Integer(), nullable=False),
        sa.Column("reward_points_level2", sa.Integer(), nullable=False),
        sa.Column(
            "coupon_campaign_id",
            sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"),
            nullable=True,
        ),
        sa.Column("updated_at", siyu.db.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "reward_kind IN ('points', 'coupon')",
            name=op.f("ck_referral_settings_reward_kind_known"),
        ),
        sa.CheckConstraint(
            "max_depth IN (1, 2)", name=op.f("ck_referral_settings_max_depth_one_or_two")
        ),
        sa.CheckConstraint(
            "reward_points >= 0 AND reward_points_level2 >= 0",
            name=op.f("ck_referral_settings_reward_points_non_negative"),
        ),
        sa.CheckConstraint(
            "window_days >= 1 AND window_days <= 90",
            name=op.f("ck_referral_settings_window_days_range"),
        ),
        sa.ForeignKeyConstraint(
            ["coupon_campaign_id"],
            ["coupon_campaigns.id"],
            name=op.f("fk_referral_settings_coupon_campaign_id_coupon_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_referral_settings_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("workspace_id", name=op.f("pk_referral_settings")),
    )
    op.create_table(
        "engagement_camp_tasks",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("camp_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.CheckConstraint("day >= 1", name=op.f("ck_engagement_camp_tasks_day_positive")),
        sa.ForeignKeyConstraint(
            ["camp_id"],
            ["engagement_camps.id"],
            name=op.f("fk_engagement_camp_tasks_camp_id_engagement_camps"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_engagement_camp_tasks_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engagement_camp_tasks")),
        sa.UniqueConstraint("camp_id", "day", name=op.f("uq_engagement_camp_tasks_camp_id_day")),
    )
    with op.batch_alter_table("engagement_camp_tasks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_engagement_camp_tasks_workspace_id_camp_id"),
            ["workspace_id", "camp_id"],
            unique=False,
        )

    op.create_table(
        "engagement_checkins",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("camp_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("photo", sa.LargeBinary(), nullable=True),
        sa.Column("photo_type", sa.String(length=16), nullable=True),
        sa.Column("created_at", siyu.db.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("day >= 1", name=op.f("ck_engagement_checkins_day_positive")),
        sa.CheckConstraint(
            "note IS NOT NULL OR photo IS NOT NULL",
            name=op.f("ck_engagement_checkins_note_or_photo"),
        ),
        sa.ForeignKeyConstraint(
            ["camp_id"],
            ["engagement_camps.id"],
            name=op.f("fk_engagement_checkins_camp_id_engagement_camps"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_engagement_checkins_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_engagement_checkins_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engagement_checkins")),
        sa.UniqueConstraint(
            "camp_id",
            "customer_id",
            "day",
            name=op.f("uq_engagement_checkins_camp_id_customer_id_day"),
        ),
    )
    with op.batch_alter_table("engagement_checkins", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_engagement_checkins_workspace_id_camp_id_customer_id"),
            ["workspace_id", "camp_id", "customer_id"],
            unique=False,
        )

    op.create_table(
        "engagement_completions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("camp_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("coupon_claim_id", sa.String(length=32), nullable=True),
        sa.Column("completed_at", siyu.db.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "points >= 0", name=op.f("ck_engagement_completions_points_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["camp_id"],
            ["engagement_camps.id"],
            name=op.f("fk_engagement_completions_camp_id_engagement_camps"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_engagement_completions_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_engagement_completions_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engagement_completions")),
        sa.UniqueConstraint(
            "camp_id", "customer_id", name=op.f("uq_engagement_completions_camp_id_customer_id")
        ),
    )
    with op.batch_alter_table("engagement_completions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_engagement_completions_workspace_id_camp_id"),
            ["workspace_id", "camp_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("engagement_completions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_engagement_completions_workspace_id_camp_id"))

    op.drop_table("engagement_completions")
    with op.batch_alter_table("engagement_checkins", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_engagement_checkins_workspace_id_camp_id_customer_id"))

    op.drop_table("engagement_checkins")
    with op.batch_alter_table("engagement_camp_tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_engagement_camp_tasks_workspace_id_camp_id"))

    op.drop_table("engagement_camp_tasks")
    op.drop_table("referral_settings")
    with op.batch_alter_table("referral_rewards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_rewards_workspace_id_created_at"))
        batch_op.drop_index(batch_op.f("ix_referral_rewards_workspace_id_beneficiary_id"))

    op.drop_table("referral_rewards")
    with op.batch_alter_table("engagement_camps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_engagement_camps_workspace_id_starts_on"))
        batch_op.drop_index(batch_op.f("ix_engagement_camps_workspace_id_group_id"))

    op.drop_table("engagement_camps")
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referrals_workspace_id_inviter_id"))
        batch_op.drop_index(batch_op.f("ix_referrals_workspace_id_created_at"))

    op.drop_table("referrals")
    op.drop_table("referral_codes")
