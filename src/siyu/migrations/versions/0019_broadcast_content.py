"""broadcast content: attachments, their images, per-fan tasks and link clicks

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 14:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.add_column("broadcasts", sa.Column("attachment", _JSON, nullable=True))
    op.add_column("broadcast_members", sa.Column("message_id", sa.String(128), nullable=True))
    op.create_table(
        "outreach_media",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("workspace_id", _ID, nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_outreach_media_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outreach_media")),
    )
    op.create_index(
        op.f("ix_outreach_media_workspace_id_id"), "outreach_media", ["workspace_id", "id"]
    )
    op.create_table(
        "outreach_link_clicks",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("workspace_id", _ID, nullable=False),
        sa.Column("broadcast_id", _ID, nullable=False),
        sa.Column("customer_id", _ID, nullable=True),
        sa.Column("clicks", sa.Integer(), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_outreach_link_clicks_workspace_id_workspaces"),
        ),
        sa.ForeignKeyConstraint(
            ["broadcast_id"],
            ["broadcasts.id"],
            name=op.f("fk_outreach_link_clicks_broadcast_id_broadcasts"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_outreach_link_clicks_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outreach_link_clicks")),
        sa.UniqueConstraint(
            "broadcast_id",
            "customer_id",
            name=op.f("uq_outreach_link_clicks_broadcast_id_customer_id"),
        ),
    )
    op.create_index(
        op.f("ix_outreach_link_clicks_workspace_id_broadcast_id"),
        "outreach_link_clicks",
        ["workspace_id", "broadcast_id"],
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_outreach_link_clicks_workspace_id_broadcast_id"), table_name="outreach_link_clicks"
    )
    op.drop_table("outreach_link_clicks")
    op.drop_index(op.f("ix_outreach_media_workspace_id_id"), table_name="outreach_media")
    op.drop_table("outreach_media")
    with op.batch_alter_table("broadcast_members") as batch:
        batch.drop_column("message_id")
    with op.batch_alter_table("broadcasts") as batch:
        batch.drop_column("attachment")
