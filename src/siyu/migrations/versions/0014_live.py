"""live campaigns: lives, reservations, share links, visits, effective invites, prizes, draws

Revision ID: 0014
Revises: 0011
Create Date: 2026-12-07 03:58:20.344042
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "live_settings",
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("grace_minutes", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "grace_minutes >= 0 AND grace_minutes <= 4320",
            name=op.f("ck_live_settings_grace_range"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_live_settings_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("workspace_id", name=op.f("pk_live_settings")),
    )
    op.create_table(
        "lives",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("room_url", sa.String(length=500), nullable=True),
        sa.Column("streamer_id", sa.String(length=64), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "products",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "coupon_campaign_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "platform IN ('taobao','douyin','kuaishou','xiaohongshu','channels')",
            name=op.f("ck_lives_platform_known"),
        ),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_lives_window_ordered")),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_lives_workspace_id_workspaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lives")),
    )
    with op.batch_alter_table("lives", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lives_workspace_id_starts_at"),
            ["workspace_id", "starts_at"],
            unique=False,
        )

    op.create_table(
        "live_draws",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("live_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("pool", sa.String(length=16), nullable=False),
        sa.Column(
            "segment_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True
        ),
        sa.Column("prize", sa.String(length=100), nullable=True),
        sa.Column("winners_wanted", sa.Integer(), nullable=False),
        sa.Column("seed_hex", sa.String(length=64), nullable=False),
        sa.Column("commitment", sa.String(length=64), nullable=False),
        sa.Column(
            "pool_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "winner_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("ran_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "pool <> 'segment' OR segment_id IS NOT NULL", name=op.f("ck_live_draws_segment_named")
        ),
        sa.CheckConstraint(
            "pool IN ('reservers','sharers','buyers','segment')",
            name=op.f("ck_live_draws_pool_known"),
        ),
        sa.CheckConstraint(
            "winners_wanted >= 1 AND winners_wanted <= 1000",
            name=op.f("ck_live_draws_winners_range"),
        ),
        sa.ForeignKeyConstraint(
            ["live_id"], ["lives.id"], name=op.f("fk_live_draws_live_id_lives")
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_live_draws_workspace_id_workspaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_draws")),
    )
    with op.batch_alter_table("live_draws", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_live_draws_workspace_id_live_id"),
            ["workspace_id", "live_id"],
            unique=False,
        )

    op.create_table(
        "live_prizes",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("live_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("basis", sa.String(length=16), nullable=False),
        sa.Column("top_n", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "basis IN ('rank','draw','shares')", name=op.f("ck_live_prizes_basis_known")
        ),
        sa.CheckConstraint("top_n IS NULL OR top_n >= 1", name=op.f("ck_live_prizes_top_positive")),
        sa.ForeignKeyConstraint(
            ["live_id"], ["lives.id"], name=op.f("fk_live_prizes_live_id_lives")
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_live_prizes_workspace_id_workspaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_prizes")),
    )
    with op.batch_alter_table("live_prizes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_live_prizes_workspace_id_live_id"),
            ["workspace_id", "live_id"],
            unique=False,
        )

    op.create_table(
        "live_shares",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("live_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_live_shares_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["live_id"], ["lives.id"], name=op.f("fk_live_shares_live_id_lives")
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_live_shares_workspace_id_workspaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_shares")),
        sa.UniqueConstraint("code", name=op.f("uq_live_shares_code")),
        sa.UniqueConstraint(
            "live_id", "customer_id", name=op.f("uq_live_shares_live_id_customer_id")
        ),
    )
    with op.batch_alter_table("live_shares", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_live_shares_workspace_id_live_id"),
            ["workspace_id", "live_id"],
            unique=False,
        )

    op.create_table(
        "live_invites",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("live_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("share_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column(
            "sharer_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column(
            "invitee_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('reserved','new_fan','ordered')", name=op.f("ck_live_invites_kind_known")
        ),
        sa.CheckConstraint("invitee_id <> sharer_id", name=op.f("ck_live_invites_not_self")),
        sa.ForeignKeyConstraint(
            ["invitee_id"], ["customers.id"], name=op.f("fk_live_invites_invitee_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["live_id"], ["lives.id"], name=op.f("fk_live_invites_live_id_lives")
        ),
        sa.ForeignKeyConstraint(
            ["share_id"], ["live_shares.id"], name=op.f("fk_live_invites_share_id_live_shares")
        ),
        sa.ForeignKeyConstraint(
            ["sharer_id"], ["customers.id"], name=op.f("fk_live_invites_sharer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_live_invites_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_invites")),
        sa.UniqueConstraint(
            "live_id", "invitee_id", name=op.f("uq_live_invites_live_id_invitee_id")
        ),
    )
    with op.batch_alter_table("live_invites", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_live_invites_workspace_id_live_id_sharer_id_id"),
            ["workspace_id", "live_id", "sharer_id", "id"],
            unique=False,
        )

    op.create_table(
        "live_reservations",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("live_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("share_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True),
        sa.Column(
            "wishlist",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_live_reservations_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["live_id"], ["lives.id"], name=op.f("fk_live_reservations_live_id_lives")
        ),
        sa.ForeignKeyConstraint(
            ["share_id"], ["live_shares.id"], name=op.f("fk_live_reservations_share_id_live_shares")
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_live_reservations_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_reservations")),
        sa.UniqueConstraint(
            "live_id", "customer_id", name=op.f("uq_live_reservations_live_id_customer_id")
        ),
    )
    with op.batch_alter_table("live_reservations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_live_reservations_workspace_id_live_id_id"),
            ["workspace_id", "live_id", "id"],
            unique=False,
        )

    op.create_table(
        "live_visits",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("live_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("share_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("visitor", sa.String(length=64), nullable=False),
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True
        ),
        sa.Column("visited_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_live_visits_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["live_id"], ["lives.id"], name=op.f("fk_live_visits_live_id_lives")
        ),
        sa.ForeignKeyConstraint(
            ["share_id"], ["live_shares.id"], name=op.f("fk_live_visits_share_id_live_shares")
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_live_visits_workspace_id_workspaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_live_visits")),
        sa.UniqueConstraint("share_id", "visitor", name=op.f("uq_live_visits_share_id_visitor")),
    )
    with op.batch_alter_table("live_visits", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_live_visits_workspace_id_live_id_customer_id"),
            ["workspace_id", "live_id", "customer_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_live_visits_workspace_id_live_id_visitor"),
            ["workspace_id", "live_id", "visitor"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("live_visits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_live_visits_workspace_id_live_id_visitor"))
        batch_op.drop_index(batch_op.f("ix_live_visits_workspace_id_live_id_customer_id"))

    op.drop_table("live_visits")
    with op.batch_alter_table("live_reservations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_live_reservations_workspace_id_live_id_id"))

    op.drop_table("live_reservations")
    with op.batch_alter_table("live_invites", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_live_invites_workspace_id_live_id_sharer_id_id"))

    op.drop_table("live_invites")
    with op.batch_alter_table("live_shares", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_live_shares_workspace_id_live_id"))

    op.drop_table("live_shares")
    with op.batch_alter_table("live_prizes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_live_prizes_workspace_id_live_id"))

    op.drop_table("live_prizes")
    with op.batch_alter_table("live_draws", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_live_draws_workspace_id_live_id"))

    op.drop_table("live_draws")
    with op.batch_alter_table("lives", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lives_workspace_id_starts_at"))

    op.drop_table("lives")
    op.drop_table("live_settings")
