"""playbook delivery

Playbook messages go out through WeCom when the workspace is connected: one ``playbook_sends``
row per WeCom task (a step's due fans of one sender in one run), and each step task keeps the
send it went out in and what became of it (``delivery``).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 14:34:36.137745
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "playbook_sends",
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
        sa.Column("step_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
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
            "reminders_today BETWEEN 0 AND 3", name=op.f("ck_playbook_sends_reminders_limit")
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.id"], name=op.f("fk_playbook_sends_operator_id_operators")
        ),
        sa.ForeignKeyConstraint(
            ["playbook_id"],
            ["playbooks.id"],
            name=op.f("fk_playbook_sends_playbook_id_playbooks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["step_id"],
            ["playbook_steps.id"],
            name=op.f("fk_playbook_sends_step_id_playbook_steps"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_playbook_sends_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playbook_sends")),
    )
    with op.batch_alter_table("playbook_sends", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_playbook_sends_workspace_id_state"),
            ["workspace_id", "state"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_playbook_sends_workspace_id_step_id"),
            ["workspace_id", "step_id"],
            unique=False,
        )

    with op.batch_alter_table("outreach_tasks", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "send_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True
            )
        )
        batch_op.add_column(sa.Column("delivery", sa.String(length=16), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_outreach_tasks_send_id_playbook_sends"),
            "playbook_sends",
            ["send_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("outreach_tasks", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_outreach_tasks_send_id_playbook_sends"), type_="foreignkey"
        )
        batch_op.drop_column("delivery")
        batch_op.drop_column("send_id")

    with op.batch_alter_table("playbook_sends", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_playbook_sends_workspace_id_step_id"))
        batch_op.drop_index(batch_op.f("ix_playbook_sends_workspace_id_state"))

    op.drop_table("playbook_sends")
