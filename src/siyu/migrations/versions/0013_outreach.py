"""outreach: broadcasts, playbooks, the content check and the quota ledger

Broadcasts with their members (arm and exclusion recorded before sending) and per-operator
tasks, the per-fan receipts the quota counts, SOP playbooks with steps, enrolments and operator
tasks, the workspace's own content terms and the digests of texts it sent.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 04:13:01.820772
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "content_terms",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("term", sa.String(length=100), nullable=False),
        sa.Column("category", sa.String(length=24), nullable=False),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("suggestion", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "severity IN ('block', 'warn')", name=op.f("ck_content_terms_severity_kind")
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_content_terms_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_terms")),
        sa.UniqueConstraint(
            "workspace_id",
            "category",
            "term",
            name=op.f("uq_content_terms_workspace_id_category_term"),
        ),
    )
    op.create_table(
        "outreach_sent_texts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_outreach_sent_texts_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outreach_sent_texts")),
    )
    with op.batch_alter_table("outreach_sent_texts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outreach_sent_texts_workspace_id_digest_sent_at"),
            ["workspace_id", "digest", "sent_at"],
            unique=False,
        )

    op.create_table(
        "outreach_settings",
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("wecom_quota", sa.String(length=16), nullable=False),
        sa.Column("max_per_fan_per_week", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "wecom_quota IN ('daily', 'weekly7', 'monthly_days')",
            name=op.f("ck_outreach_settings_quota_kind"),
        ),
        sa.CheckConstraint(
            "max_per_fan_per_week IS NULL OR max_per_fan_per_week >= 0",
            name=op.f("ck_outreach_settings_cap_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_outreach_settings_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("workspace_id", name=op.f("pk_outreach_settings")),
    )
    op.create_table(
        "outreach_receipts",
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
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column(
            "source_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "source IN ('broadcast', 'playbook')", name=op.f("ck_outreach_receipts_source_kind")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_outreach_receipts_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_outreach_receipts_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outreach_receipts")),
        sa.UniqueConstraint(
            "workspace_id",
            "source",
            "source_id",
            "customer_id",
            name=op.f("uq_outreach_receipts_workspace_id_source_source_id_customer_id"),
        ),
    )
    with op.batch_alter_table("outreach_receipts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outreach_receipts_workspace_id_customer_id_received_at"),
            ["workspace_id", "customer_id", "received_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_outreach_receipts_workspace_id_received_at_customer_id"),
            ["workspace_id", "received_at", "customer_id"],
            unique=False,
        )

    op.create_table(
        "outreach_unsubscribes",
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
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_outreach_unsubscribes_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_outreach_unsubscribes_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outreach_unsubscribes")),
        sa.UniqueConstraint(
            "workspace_id",
            "customer_id",
            name=op.f("uq_outreach_unsubscribes_workspace_id_customer_id"),
        ),
    )
    op.create_table(
        "broadcasts",
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
        sa.Column(
            "segment_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True
        ),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("holdout_percent", sa.Integer(), nullable=False),
        sa.Column("send_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("audience_size", sa.Integer(), nullable=False),
        sa.Column("holdout_size", sa.Integer(), nullable=False),
        sa.Column(
            "excluded",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "warnings",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_by", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('draft', 'scheduled', 'sending', 'sent', 'failed')",
            name=op.f("ck_broadcasts_state_kind"),
        ),
        sa.CheckConstraint(
            "holdout_percent BETWEEN 0 AND 50", name=op.f("ck_broadcasts_holdout_range")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["operators.id"], name=op.f("fk_broadcasts_created_by_operators")
        ),
        sa.ForeignKeyConstraint(
            ["segment_id"],
            ["segments.id"],
            name=op.f("fk_broadcasts_segment_id_segments"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_broadcasts_workspace_id_workspaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcasts")),
    )
    with op.batch_alter_table("broadcasts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_broadcasts_workspace_id_id"), ["workspace_id", "id"], unique=False
        )

    op.create_table(
        "playbooks",
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
        sa.Column("template", sa.String(length=32), nullable=True),
        sa.Column("anchor", sa.String(length=16), nullable=False),
        sa.Column(
            "segment_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True
        ),
        sa.Column(
            "stop_on",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("holdout_percent", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "holdout_percent BETWEEN 0 AND 50", name=op.f("ck_playbooks_holdout_range")
        ),
        sa.ForeignKeyConstraint(
            ["segment_id"],
            ["segments.id"],
            name=op.f("fk_playbooks_segment_id_segments"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_playbooks_workspace_id_workspaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playbooks")),
        sa.UniqueConstraint("workspace_id", "name", name=op.f("uq_playbooks_workspace_id_name")),
    )
    op.create_table(
        "broadcast_members",
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
            "broadcast_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("arm", sa.String(length=8), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("sender", sa.String(length=64), nullable=True),
        sa.Column(
            "operator_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True
        ),
        sa.CheckConstraint(
            "arm IS NULL OR arm IN ('treated', 'control')",
            name=op.f("ck_broadcast_members_arm_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["broadcast_id"],
            ["broadcasts.id"],
            name=op.f("fk_broadcast_members_broadcast_id_broadcasts"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_broadcast_members_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operators.id"],
            name=op.f("fk_broadcast_members_operator_id_operators"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_broadcast_members_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcast_members")),
        sa.UniqueConstraint(
            "broadcast_id",
            "customer_id",
            name=op.f("uq_broadcast_members_broadcast_id_customer_id"),
        ),
    )
    with op.batch_alter_table("broadcast_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_broadcast_members_workspace_id_broadcast_id_status"),
            ["workspace_id", "broadcast_id", "status"],
            unique=False,
        )

    op.create_table(
        "broadcast_tasks",
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
            "broadcast_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("sender", sa.String(length=64), nullable=False),
        sa.Column(
            "operator_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True
        ),
        sa.Column("external_id", sa.String(length=128), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("fans", sa.Integer(), nullable=False),
        sa.Column("reminders_today", sa.Integer(), nullable=False),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "reminders_today BETWEEN 0 AND 3", name=op.f("ck_broadcast_tasks_reminders_limit")
        ),
        sa.ForeignKeyConstraint(
            ["broadcast_id"],
            ["broadcasts.id"],
            name=op.f("fk_broadcast_tasks_broadcast_id_broadcasts"),
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.id"], name=op.f("fk_broadcast_tasks_operator_id_operators")
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_broadcast_tasks_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcast_tasks")),
        sa.UniqueConstraint(
            "broadcast_id", "sender", name=op.f("uq_broadcast_tasks_broadcast_id_sender")
        ),
    )
    with op.batch_alter_table("broadcast_tasks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_broadcast_tasks_workspace_id_broadcast_id"),
            ["workspace_id", "broadcast_id"],
            unique=False,
        )

    op.create_table(
        "playbook_enrolments",
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
            "playbook_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column(
            "operator_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True
        ),
        sa.Column("anchor_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("arm", sa.String(length=8), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("stop_reason", sa.String(length=16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "arm IN ('treated', 'control')", name=op.f("ck_playbook_enrolments_arm_kind")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_playbook_enrolments_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operators.id"],
            name=op.f("fk_playbook_enrolments_operator_id_operators"),
        ),
        sa.ForeignKeyConstraint(
            ["playbook_id"],
            ["playbooks.id"],
            name=op.f("fk_playbook_enrolments_playbook_id_playbooks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_playbook_enrolments_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playbook_enrolments")),
        sa.UniqueConstraint(
            "playbook_id",
            "customer_id",
            name=op.f("uq_playbook_enrolments_playbook_id_customer_id"),
        ),
    )
    with op.batch_alter_table("playbook_enrolments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_playbook_enrolments_workspace_id_state"),
            ["workspace_id", "state"],
            unique=False,
        )

    op.create_table(
        "playbook_steps",
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
            "playbook_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("day_offset", sa.Integer(), nullable=True),
        sa.Column("at_minute", sa.Integer(), nullable=True),
        sa.Column("hours_after", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("tag_name", sa.String(length=64), nullable=True),
        sa.Column(
            "coupon_campaign_id",
            sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"),
            nullable=True,
        ),
        sa.CheckConstraint(
            "(day_offset IS NULL) = (at_minute IS NULL)",
            name=op.f("ck_playbook_steps_day_and_minute"),
        ),
        sa.CheckConstraint(
            "(hours_after IS NULL) = (day_offset IS NOT NULL)",
            name=op.f("ck_playbook_steps_one_timing"),
        ),
        sa.CheckConstraint(
            "at_minute IS NULL OR at_minute BETWEEN 0 AND 1439",
            name=op.f("ck_playbook_steps_minute_range"),
        ),
        sa.ForeignKeyConstraint(
            ["playbook_id"],
            ["playbooks.id"],
            name=op.f("fk_playbook_steps_playbook_id_playbooks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_playbook_steps_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playbook_steps")),
        sa.UniqueConstraint(
            "playbook_id", "position", name=op.f("uq_playbook_steps_playbook_id_position")
        ),
    )
    op.create_table(
        "outreach_tasks",
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
            "enrolment_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True
        ),
        sa.Column("step_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True),
        sa.Column(
            "broadcast_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True
        ),
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True
        ),
        sa.Column(
            "operator_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True
        ),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('pending', 'ready', 'done', 'skipped', 'blocked')",
            name=op.f("ck_outreach_tasks_task_state_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["broadcast_id"],
            ["broadcasts.id"],
            name=op.f("fk_outreach_tasks_broadcast_id_broadcasts"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_outreach_tasks_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["enrolment_id"],
            ["playbook_enrolments.id"],
            name=op.f("fk_outreach_tasks_enrolment_id_playbook_enrolments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.id"], name=op.f("fk_outreach_tasks_operator_id_operators")
        ),
        sa.ForeignKeyConstraint(
            ["step_id"],
            ["playbook_steps.id"],
            name=op.f("fk_outreach_tasks_step_id_playbook_steps"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_outreach_tasks_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outreach_tasks")),
        sa.UniqueConstraint(
            "enrolment_id", "step_id", name=op.f("uq_outreach_tasks_enrolment_id_step_id")
        ),
    )
    with op.batch_alter_table("outreach_tasks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outreach_tasks_workspace_id_operator_id_due_at"),
            ["workspace_id", "operator_id", "due_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_outreach_tasks_workspace_id_state_due_at"),
            ["workspace_id", "state", "due_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("outreach_tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outreach_tasks_workspace_id_state_due_at"))
        batch_op.drop_index(batch_op.f("ix_outreach_tasks_workspace_id_operator_id_due_at"))

    op.drop_table("outreach_tasks")
    op.drop_table("playbook_steps")
    with op.batch_alter_table("playbook_enrolments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_playbook_enrolments_workspace_id_state"))

    op.drop_table("playbook_enrolments")
    with op.batch_alter_table("broadcast_tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_broadcast_tasks_workspace_id_broadcast_id"))

    op.drop_table("broadcast_tasks")
    with op.batch_alter_table("broadcast_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_broadcast_members_workspace_id_broadcast_id_status"))

    op.drop_table("broadcast_members")
    op.drop_table("playbooks")
    with op.batch_alter_table("broadcasts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_broadcasts_workspace_id_id"))

    op.drop_table("broadcasts")
    op.drop_table("outreach_unsubscribes")
    with op.batch_alter_table("outreach_receipts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outreach_receipts_workspace_id_received_at_customer_id"))
        batch_op.drop_index(batch_op.f("ix_outreach_receipts_workspace_id_customer_id_received_at"))

    op.drop_table("outreach_receipts")
    op.drop_table("outreach_settings")
    with op.batch_alter_table("outreach_sent_texts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outreach_sent_texts_workspace_id_digest_sent_at"))

    op.drop_table("outreach_sent_texts")
    op.drop_table("content_terms")
