"""the WeCom connector

Connection settings (secrets encrypted), staff, external contacts and follow relations (with the
channel a fan came through), corp tags, group chats and members, 「联系我」 and join-way live
codes, raw callback events (unique per event identity), welcomes (one per WelcomeCode) and
error counts.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 03:58:29.541272
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "wecom_api_errors",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("endpoint", sa.String(length=80), nullable=False),
        sa.Column("errcode", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("last_message", sa.String(length=300), nullable=True),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_wecom_api_errors_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wecom_api_errors")),
        sa.UniqueConstraint(
            "workspace_id",
            "endpoint",
            "errcode",
            name=op.f("uq_wecom_api_errors_workspace_id_endpoint_errcode"),
        ),
    )
    op.create_table(
        "wecom_callback_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("event_key", sa.String(length=64), nullable=False),
        sa.Column("event", sa.String(length=64), nullable=False),
        sa.Column("change_type", sa.String(length=64), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("deliveries", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('received', 'handled', 'ignored', 'failed')",
            name=op.f("ck_wecom_callback_events_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_wecom_callback_events_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wecom_callback_events")),
        sa.UniqueConstraint(
            "workspace_id",
            "event_key",
            name=op.f("uq_wecom_callback_events_workspace_id_event_key"),
        ),
    )
    with op.batch_alter_table("wecom_callback_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_wecom_callback_events_workspace_id_received_at"),
            ["workspace_id", "received_at"],
            unique=False,
        )

    op.create_table(
        "wecom_connections",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("corp_id", sa.String(length=64), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("secret_enc", sa.LargeBinary(), nullable=False),
        sa.Column("callback_token_enc", sa.LargeBinary(), nullable=False),
        sa.Column("encoding_aes_key_enc", sa.LargeBinary(), nullable=False),
        sa.Column("api_base", sa.String(length=300), nullable=False),
        sa.Column("default_welcome_text", sa.Text(), nullable=False),
        sa.Column("access_token_enc", sa.LargeBinary(), nullable=True),
        sa.Column("token_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_sync_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_sync_summary", JSON_DOC, nullable=False),
        sa.Column("last_callback_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("connected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_wecom_connections_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wecom_connections")),
        sa.UniqueConstraint("workspace_id", name=op.f("uq_wecom_connections_workspace_id")),
    )
    with op.batch_alter_table("wecom_connections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wecom_connections_corp_id"), ["corp_id"], unique=False)

    op.create_table(
        "wecom_contact_ways",
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
        sa.Column("channel_kind", sa.String(length=16), nullable=False),
        sa.Column("channel_ref", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=30), nullable=False),
        sa.Column("config_id", sa.String(length=64), nullable=True),
        sa.Column("qr_code", sa.String(length=500), nullable=True),
        sa.Column("userids", JSON_DOC, nullable=False),
        sa.Column("siyu_tag_ids", JSON_DOC, nullable=False),
        sa.Column("welcome_text", sa.Text(), nullable=True),
        sa.Column("welcome_attachments", JSON_DOC, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "channel_kind IN ('parcel_card', 'live_room', 'content_post', 'fission_task', 'other')",
            name=op.f("ck_wecom_contact_ways_channel_kind_known"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_wecom_contact_ways_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wecom_contact_ways")),
        sa.UniqueConstraint(
            "workspace_id", "state", name=op.f("uq_wecom_contact_ways_workspace_id_state")
        ),
    )
    with op.batch_alter_table("wecom_contact_ways", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_wecom_contact_ways_workspace_id_channel_kind_channel_ref"),
            ["workspace_id", "channel_kind", "channel_ref"],
            unique=False,
        )

    op.create_table(
        "wecom_follow_tags",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("external_userid", sa.String(length=64), nullable=False),
        sa.Column("userid", sa.String(length=64), nullable=False),
        sa.Column("tag_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_wecom_follow_tags_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wecom_follow_tags")),
        sa.UniqueConstraint(
            "workspace_id",
            "external_userid",
            "userid",
            "tag_id",
            name=op.f("uq_wecom_follow_tags_workspace_id_external_userid_userid_tag_id"),
        ),
    )
    op.create_table(
        "wecom_group_members",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.String(length=64), nullable=False),
        sa.Column("member_type", sa.Integer(), nullable=False),
        sa.Column("join_scene", sa.Integer(), nullable=True),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("quit_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("quit_scene", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_wecom_group_members_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wecom_group_members")),
        sa.UniqueConstraint(
            "workspace_id",
            "chat_id",
            "member_id",
            name=op.f("uq_wecom_group_members_workspace_id_chat_id_member_id"),
        ),
    )
    op.create_table(
        "wecom_join_ways",
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
        sa.Column("state", sa.String(length=30), nullable=False),
        sa.Column("config_id", sa.String(length=64), nullable=True),
        sa.Column("qr_code", sa.String(length=500), nullable=True),
        sa.Column("chat_ids", JSON_DOC, nullable=False),
        sa.Column("room_base_name", sa.String(length=40), nullable=True),
        sa.Column("auto_create_room", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_wecom_join_ways_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wecom_join_ways")),
        sa.UniqueConstraint(
            "workspace_id", "state", name=op.f("uq_wecom_join_ways_workspace_id_state")
        ),
    )
    op.create_table(
        "wecom_staff",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("userid", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=True),
        sa.Column(
            "operator_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True
        ),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.id"], name=op.f("fk_wecom_staff_operator_id_operators")
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_wecom_staff_workspace_id_workspaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wecom_staff")),
        sa.UniqueConstraint(
            "workspace_id", "userid", name=op.f("uq_wecom_staff_workspace_id_userid")
        ),
    )
    op.create_table(
        "wecom_contacts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("external_userid", sa.String(length=64), nullable=False),
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True
        ),
        sa.Column("name", sa.String(length=100), nullable=True),
        sa.Column("unionid", sa.String(length=64), nullable=True),
        sa.Column("contact_type", sa.Integer(), nullable=False),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_wecom_contacts_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_wecom_contacts_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wecom_contacts")),
        sa.UniqueConstraint(
            "workspace_id",
            "external_userid",
            name=op.f("uq_wecom_contacts_workspace_id_external_userid"),
        ),
    )
    with op.batch_alter_table("wecom_contacts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_wecom_contacts_workspace_id_customer_id"),
            ["workspace_id", "customer_id"],
            unique=False,
        )

    op.create_table(
        "wecom_follows",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("external_userid", sa.String(length=64), nullable=False),
        sa.Column("userid", sa.String(length=64), nullable=False),
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True
        ),
        sa.Column("remark", sa.String(length=100), nullable=True),
        sa.Column("add_way", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=64), nullable=True),
        sa.Column("channel_kind", sa.String(length=16), nullable=True),
        sa.Column("channel_ref", sa.String(length=64), nullable=True),
        sa.Column(
            "contact_way_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True
        ),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("lost_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "channel_kind IN ('parcel_card', 'live_room', 'content_post', 'fission_task', 'other')",
            name=op.f("ck_wecom_follows_channel_kind_known"),
        ),
        sa.CheckConstraint(
            "status IN ('active', 'lost', 'deleted')", name=op.f("ck_wecom_follows_status_known")
        ),
        sa.ForeignKeyConstraint(
            ["contact_way_id"],
            ["wecom_contact_ways.id"],
            name=op.f("fk_wecom_follows_contact_way_id_wecom_contact_ways"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_wecom_follows_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_wecom_follows_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wecom_follows")),
        sa.UniqueConstraint(
            "workspace_id",
            "external_userid",
            "userid",
            name=op.f("uq_wecom_follows_workspace_id_external_userid_userid"),
        ),
    )
    with op.batch_alter_table("wecom_follows", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_wecom_follows_workspace_id_channel_kind_channel_ref"),
            ["workspace_id", "channel_kind", "channel_ref"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_wecom_follows_workspace_id_customer_id"),
            ["workspace_id", "customer_id"],
            unique=False,
        )

    op.create_table(
        "wecom_welcomes",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("welcome_code", sa.String(length=128), nullable=False),
        sa.Column("external_userid", sa.String(length=64), nullable=False),
        sa.Column("userid", sa.String(length=64), nullable=False),
        sa.Column(
            "contact_way_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("errcode", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('sending', 'sent', 'failed')", name=op.f("ck_wecom_welcomes_status_known")
        ),
        sa.ForeignKeyConstraint(
            ["contact_way_id"],
            ["wecom_contact_ways.id"],
            name=op.f("fk_wecom_welcomes_contact_way_id_wecom_contact_ways"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_wecom_welcomes_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wecom_welcomes")),
        sa.UniqueConstraint(
            "workspace_id", "welcome_code", name=op.f("uq_wecom_welcomes_workspace_id_welcome_code")
        ),
    )
    op.create_table(
        "wecom_corp_tags",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("tag_id", sa.String(length=64), nullable=False),
        sa.Column("group_id", sa.String(length=64), nullable=False),
        sa.Column("group_name", sa.String(length=50), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column(
            "siyu_tag_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True
        ),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["siyu_tag_id"], ["tags.id"], name=op.f("fk_wecom_corp_tags_siyu_tag_id_tags")
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_wecom_corp_tags_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wecom_corp_tags")),
        sa.UniqueConstraint(
            "workspace_id", "tag_id", name=op.f("uq_wecom_corp_tags_workspace_id_tag_id")
        ),
    )
    with op.batch_alter_table("wecom_corp_tags", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_wecom_corp_tags_workspace_id_siyu_tag_id"),
            ["workspace_id", "siyu_tag_id"],
            unique=False,
        )

    op.create_table(
        "wecom_group_chats",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=True),
        sa.Column("owner_userid", sa.String(length=64), nullable=True),
        sa.Column(
            "fan_group_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True
        ),
        sa.Column("member_version", sa.String(length=64), nullable=True),
        sa.Column("dismissed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["fan_group_id"],
            ["community_groups.id"],
            name=op.f("fk_wecom_group_chats_fan_group_id_community_groups"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_wecom_group_chats_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wecom_group_chats")),
        sa.UniqueConstraint(
            "workspace_id", "chat_id", name=op.f("uq_wecom_group_chats_workspace_id_chat_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("wecom_group_chats")
    with op.batch_alter_table("wecom_corp_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wecom_corp_tags_workspace_id_siyu_tag_id"))

    op.drop_table("wecom_corp_tags")
    op.drop_table("wecom_welcomes")
    with op.batch_alter_table("wecom_follows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wecom_follows_workspace_id_customer_id"))
        batch_op.drop_index(batch_op.f("ix_wecom_follows_workspace_id_channel_kind_channel_ref"))

    op.drop_table("wecom_follows")
    with op.batch_alter_table("wecom_contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wecom_contacts_workspace_id_customer_id"))

    op.drop_table("wecom_contacts")
    op.drop_table("wecom_staff")
    op.drop_table("wecom_join_ways")
    op.drop_table("wecom_group_members")
    op.drop_table("wecom_follow_tags")
    with op.batch_alter_table("wecom_contact_ways", schema=None) as batch_op:
        batch_op.drop_index(
            batch_op.f("ix_wecom_contact_ways_workspace_id_channel_kind_channel_ref")
        )

    op.drop_table("wecom_contact_ways")
    with op.batch_alter_table("wecom_connections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wecom_connections_corp_id"))

    op.drop_table("wecom_connections")
    with op.batch_alter_table("wecom_callback_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wecom_callback_events_workspace_id_received_at"))

    op.drop_table("wecom_callback_events")
    op.drop_table("wecom_api_errors")
