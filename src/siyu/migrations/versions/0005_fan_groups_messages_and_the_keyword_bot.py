"""fan groups, messages and the keyword bot

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 14:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "community_autoreply_rules",
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
        sa.Column("match", sa.String(length=8), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("exclude_keywords", sa.JSON(), nullable=False),
        sa.Column("pattern", sa.String(length=500), nullable=True),
        sa.Column("reply", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column(
            "scope",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("active_hours", sa.JSON(), nullable=False),
        sa.Column("cooldown_seconds", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "cooldown_seconds >= 0", name=op.f("ck_community_autoreply_rules_cooldown_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_community_autoreply_rules_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_autoreply_rules")),
    )
    with op.batch_alter_table("community_autoreply_rules", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_community_autoreply_rules_workspace_id_is_active"),
            ["workspace_id", "is_active"],
            unique=False,
        )

    op.create_table(
        "community_cooldowns",
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("rule_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("conversation", sa.String(length=160), nullable=False),
        sa.Column("last_reply_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_community_cooldowns_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint(
            "workspace_id", "rule_id", "conversation", name=op.f("pk_community_cooldowns")
        ),
    )
    op.create_table(
        "community_families",
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
        sa.Column("group_type", sa.String(length=16), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name_base", sa.String(length=80), nullable=False),
        sa.Column("next_number", sa.Integer(), nullable=False),
        sa.Column("group_capacity", sa.Integer(), nullable=False),
        sa.Column("max_groups", sa.Integer(), nullable=True),
        sa.Column("min_paid_orders", sa.Integer(), nullable=True),
        sa.Column("min_intimacy_level", sa.Integer(), nullable=True),
        sa.Column(
            "segment_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True
        ),
        sa.Column("match_region", sa.Boolean(), nullable=False),
        sa.Column("regions", sa.JSON(), nullable=False),
        sa.Column("welcome_text", sa.Text(), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "group_capacity >= 1 AND group_capacity <= 500",
            name=op.f("ck_community_families_group_capacity_range"),
        ),
        sa.CheckConstraint(
            "max_groups IS NULL OR max_groups >= 1",
            name=op.f("ck_community_families_max_groups_positive"),
        ),
        sa.CheckConstraint(
            "next_number >= 1", name=op.f("ck_community_families_next_number_positive")
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_community_families_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_families")),
        sa.UniqueConstraint(
            "workspace_id", "slug", name=op.f("uq_community_families_workspace_id_slug")
        ),
    )
    op.create_table(
        "community_flags",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("term", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.String(length=200), nullable=True),
        sa.Column("group_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True),
        sa.Column(
            "message_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True
        ),
        sa.Column("sender_ref", sa.String(length=128), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_community_flags_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_flags")),
    )
    with op.batch_alter_table("community_flags", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_community_flags_workspace_id_status_id"),
            ["workspace_id", "status", "id"],
            unique=False,
        )

    op.create_table(
        "community_matchers",
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("blob", sa.LargeBinary(), nullable=False),
        sa.Column("rule_count", sa.Integer(), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_community_matchers_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("workspace_id", name=op.f("pk_community_matchers")),
    )
    op.create_table(
        "community_notifications",
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
            "operator_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True
        ),
        sa.Column("group_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("target_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operators.id"],
            name=op.f("fk_community_notifications_operator_id_operators"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_community_notifications_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_notifications")),
    )
    with op.batch_alter_table("community_notifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_community_notifications_workspace_id_operator_id_read_at"),
            ["workspace_id", "operator_id", "read_at"],
            unique=False,
        )

    op.create_table(
        "community_settings",
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("retention_days", sa.Integer(), nullable=False),
        sa.Column("sensitive_words", sa.JSON(), nullable=False),
        sa.Column("next_live_time", sa.String(length=64), nullable=True),
        sa.Column("gmv_window_days", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_community_settings_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("workspace_id", name=op.f("pk_community_settings")),
    )
    op.create_table(
        "community_groups",
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
        sa.Column("group_type", sa.String(length=16), nullable=False),
        sa.Column("external_ref", sa.String(length=128), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("member_count", sa.Integer(), nullable=False),
        sa.Column("region", sa.String(length=64), nullable=True),
        sa.Column(
            "owner_operator_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True
        ),
        sa.Column("operator_ids", sa.JSON(), nullable=False),
        sa.Column("rules_text", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("health_score", sa.Integer(), nullable=True),
        sa.Column("family_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True),
        sa.Column("number", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dismissed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "capacity >= 1 AND capacity <= 500", name=op.f("ck_community_groups_capacity_range")
        ),
        sa.CheckConstraint(
            "member_count >= 0 AND member_count <= capacity",
            name=op.f("ck_community_groups_member_count_within_capacity"),
        ),
        sa.ForeignKeyConstraint(
            ["family_id"],
            ["community_families.id"],
            name=op.f("fk_community_groups_family_id_community_families"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_operator_id"],
            ["operators.id"],
            name=op.f("fk_community_groups_owner_operator_id_operators"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_community_groups_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_groups")),
        sa.UniqueConstraint(
            "workspace_id",
            "external_ref",
            name=op.f("uq_community_groups_workspace_id_external_ref"),
        ),
        sa.UniqueConstraint(
            "workspace_id",
            "family_id",
            "number",
            name=op.f("uq_community_groups_workspace_id_family_id_number"),
        ),
    )
    with op.batch_alter_table("community_groups", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_community_groups_workspace_id_status"),
            ["workspace_id", "status"],
            unique=False,
        )

    op.create_table(
        "community_group_health",
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
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("fan_messages", sa.Integer(), nullable=False),
        sa.Column("staff_messages", sa.Integer(), nullable=False),
        sa.Column("active_members_7d", sa.Integer(), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.Column("joins", sa.Integer(), nullable=False),
        sa.Column("leaves", sa.Integer(), nullable=False),
        sa.Column("buyer_shows", sa.Integer(), nullable=False),
        sa.Column("after_sales", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["community_groups.id"],
            name=op.f("fk_community_group_health_group_id_community_groups"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_community_group_health_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_group_health")),
        sa.UniqueConstraint(
            "workspace_id",
            "group_id",
            "day",
            name=op.f("uq_community_group_health_workspace_id_group_id_day"),
        ),
    )
    op.create_table(
        "community_group_kocs",
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
        sa.Column("sender_ref", sa.String(length=128), nullable=False),
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True
        ),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("replies_drawn", sa.Integer(), nullable=False),
        sa.Column("buyer_shows", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["community_groups.id"],
            name=op.f("fk_community_group_kocs_group_id_community_groups"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_community_group_kocs_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_group_kocs")),
        sa.UniqueConstraint(
            "workspace_id",
            "group_id",
            "sender_ref",
            name=op.f("uq_community_group_kocs_workspace_id_group_id_sender_ref"),
        ),
    )
    op.create_table(
        "community_invitations",
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
            "family_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("group_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_community_invitations_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["family_id"],
            ["community_families.id"],
            name=op.f("fk_community_invitations_family_id_community_families"),
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["community_groups.id"],
            name=op.f("fk_community_invitations_group_id_community_groups"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_community_invitations_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_invitations")),
        sa.UniqueConstraint(
            "workspace_id",
            "family_id",
            "customer_id",
            name=op.f("uq_community_invitations_workspace_id_family_id_customer_id"),
        ),
    )
    with op.batch_alter_table("community_invitations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_community_invitations_workspace_id_family_id_status_id"),
            ["workspace_id", "family_id", "status", "id"],
            unique=False,
        )

    op.create_table(
        "community_memberships",
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
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True
        ),
        sa.Column("member_ref", sa.String(length=128), nullable=False),
        sa.Column("nickname", sa.String(length=100), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("scene", sa.String(length=16), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("left_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_community_memberships_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["community_groups.id"],
            name=op.f("fk_community_memberships_group_id_community_groups"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_community_memberships_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_memberships")),
    )
    with op.batch_alter_table("community_memberships", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_community_memberships_workspace_id_customer_id"),
            ["workspace_id", "customer_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_community_memberships_workspace_id_group_id_left_at"),
            ["workspace_id", "group_id", "left_at"],
            unique=False,
        )
        batch_op.create_index(
            "uq_community_memberships_open_ref",
            ["group_id", "member_ref"],
            unique=True,
            sqlite_where=sa.text("left_at IS NULL"),
            postgresql_where=sa.text("left_at IS NULL"),
        )

    op.create_table(
        "community_messages",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("msg_id", sa.String(length=128), nullable=False),
        sa.Column("chat", sa.String(length=8), nullable=False),
        sa.Column("group_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True),
        sa.Column("sender_ref", sa.String(length=128), nullable=False),
        sa.Column("sender_role", sa.String(length=8), nullable=False),
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True
        ),
        sa.Column("msg_type", sa.String(length=8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("reply_to_ref", sa.String(length=128), nullable=True),
        sa.Column("is_push", sa.Boolean(), nullable=False),
        sa.Column("is_buyer_show", sa.Boolean(), nullable=False),
        sa.Column("is_after_sales", sa.Boolean(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["community_groups.id"],
            name=op.f("fk_community_messages_group_id_community_groups"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_community_messages_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_messages")),
        sa.UniqueConstraint(
            "workspace_id", "msg_id", name=op.f("uq_community_messages_workspace_id_msg_id")
        ),
    )
    with op.batch_alter_table("community_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_community_messages_workspace_id_group_id_sent_at"),
            ["workspace_id", "group_id", "sent_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_community_messages_workspace_id_sent_at"),
            ["workspace_id", "sent_at"],
            unique=False,
        )

    op.create_table(
        "community_bot_replies",
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
            "message_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("rule_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("group_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("held", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["community_messages.id"],
            name=op.f("fk_community_bot_replies_message_id_community_messages"),
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["community_autoreply_rules.id"],
            name=op.f("fk_community_bot_replies_rule_id_community_autoreply_rules"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_community_bot_replies_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_bot_replies")),
    )
    with op.batch_alter_table("community_bot_replies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_community_bot_replies_workspace_id_created_at"),
            ["workspace_id", "created_at"],
            unique=False,
        )

    op.create_table(
        "community_tickets",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("group_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True),
        sa.Column(
            "message_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True
        ),
        sa.Column("rule_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True),
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True
        ),
        sa.Column("sender_ref", sa.String(length=128), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column(
            "assignee_operator_id",
            sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"),
            nullable=True,
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["assignee_operator_id"],
            ["operators.id"],
            name=op.f("fk_community_tickets_assignee_operator_id_operators"),
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["community_groups.id"],
            name=op.f("fk_community_tickets_group_id_community_groups"),
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["community_messages.id"],
            name=op.f("fk_community_tickets_message_id_community_messages"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_community_tickets_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_tickets")),
    )
    with op.batch_alter_table("community_tickets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_community_tickets_workspace_id_status_id"),
            ["workspace_id", "status", "id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("community_tickets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_community_tickets_workspace_id_status_id"))

    op.drop_table("community_tickets")
    with op.batch_alter_table("community_bot_replies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_community_bot_replies_workspace_id_created_at"))

    op.drop_table("community_bot_replies")
    with op.batch_alter_table("community_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_community_messages_workspace_id_sent_at"))
        batch_op.drop_index(batch_op.f("ix_community_messages_workspace_id_group_id_sent_at"))

    op.drop_table("community_messages")
    with op.batch_alter_table("community_memberships", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_community_memberships_open_ref",
            sqlite_where=sa.text("left_at IS NULL"),
            postgresql_where=sa.text("left_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_community_memberships_workspace_id_group_id_left_at"))
        batch_op.drop_index(batch_op.f("ix_community_memberships_workspace_id_customer_id"))

    op.drop_table("community_memberships")
    with op.batch_alter_table("community_invitations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_community_invitations_workspace_id_family_id_status_id"))

    op.drop_table("community_invitations")
    op.drop_table("community_group_kocs")
    op.drop_table("community_group_health")
    with op.batch_alter_table("community_groups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_community_groups_workspace_id_status"))

    op.drop_table("community_groups")
    op.drop_table("community_settings")
    with op.batch_alter_table("community_notifications", schema=None) as batch_op:
        batch_op.drop_index(
            batch_op.f("ix_community_notifications_workspace_id_operator_id_read_at")
        )

    op.drop_table("community_notifications")
    op.drop_table("community_matchers")
    with op.batch_alter_table("community_flags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_community_flags_workspace_id_status_id"))

    op.drop_table("community_flags")
    op.drop_table("community_families")
    op.drop_table("community_cooldowns")
    with op.batch_alter_table("community_autoreply_rules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_community_autoreply_rules_workspace_id_is_active"))

    op.drop_table("community_autoreply_rules")
