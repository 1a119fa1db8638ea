"""public channels: accounts, materials, posts, figures, calendar, imports, attribution

Revision ID: 0016
Revises: 0012
Create Date: 2026-12-07 03:58:12.708511
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "content_accounts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("handle", sa.String(length=100), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "platform IN ('douyin','kuaishou','xiaohongshu','bilibili','weibo','channels')",
            name=op.f("ck_content_accounts_platform_known"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_content_accounts_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_accounts")),
        sa.UniqueConstraint(
            "workspace_id",
            "platform",
            "handle",
            name=op.f("uq_content_accounts_workspace_id_platform_handle"),
        ),
    )
    op.create_table(
        "content_cadences",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("tenths_per_week", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "platform IN ('douyin','kuaishou','xiaohongshu','bilibili','weibo','channels')",
            name=op.f("ck_content_cadences_platform_known"),
        ),
        sa.CheckConstraint(
            "tenths_per_week >= 0 AND tenths_per_week <= 1000",
            name=op.f("ck_content_cadences_tenths_range"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_content_cadences_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_cadences")),
        sa.UniqueConstraint(
            "workspace_id", "platform", name=op.f("uq_content_cadences_workspace_id_platform")
        ),
    )
    op.create_table(
        "content_materials",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("copy_text", sa.Text(), nullable=True),
        sa.Column("media_ref", sa.String(length=500), nullable=True),
        sa.Column(
            "tags",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "owner_operator_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True
        ),
        sa.Column("spend_fen", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("spend_fen >= 0", name=op.f("ck_content_materials_spend_non_negative")),
        sa.ForeignKeyConstraint(
            ["owner_operator_id"],
            ["operators.id"],
            name=op.f("fk_content_materials_owner_operator_id_operators"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_content_materials_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_materials")),
    )
    with op.batch_alter_table("content_materials", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_content_materials_workspace_id_id"), ["workspace_id", "id"], unique=False
        )

    op.create_table(
        "content_uploads",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("rows_rejected", sa.Integer(), nullable=False),
        sa.Column("posts_created", sa.Integer(), nullable=False),
        sa.Column("posts_updated", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column(
            "operator_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.id"], name=op.f("fk_content_uploads_operator_id_operators")
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_content_uploads_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_uploads")),
    )
    with op.batch_alter_table("content_uploads", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_content_uploads_workspace_id_id"), ["workspace_id", "id"], unique=False
        )

    op.create_table(
        "content_follower_counts",
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
            "account_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("followers", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "followers >= 0", name=op.f("ck_content_follower_counts_followers_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["content_accounts.id"],
            name=op.f("fk_content_follower_counts_account_id_content_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_content_follower_counts_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_follower_counts")),
        sa.UniqueConstraint(
            "workspace_id",
            "account_id",
            "day",
            name=op.f("uq_content_follower_counts_workspace_id_account_id_day"),
        ),
    )
    op.create_table(
        "content_plans",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column(
            "material_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('video','note','live_announcement','group_entry')",
            name=op.f("ck_content_plans_kind_known"),
        ),
        sa.CheckConstraint(
            "platform IN ('douyin','kuaishou','xiaohongshu','bilibili','weibo','channels')",
            name=op.f("ck_content_plans_platform_known"),
        ),
        sa.ForeignKeyConstraint(
            ["material_id"],
            ["content_materials.id"],
            name=op.f("fk_content_plans_material_id_content_materials"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_content_plans_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_plans")),
    )
    with op.batch_alter_table("content_plans", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_content_plans_workspace_id_day"), ["workspace_id", "day"], unique=False
        )

    op.create_table(
        "content_posts",
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
            "material_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True
        ),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("platform_post_id", sa.String(length=64), nullable=True),
        sa.Column("url", sa.String(length=500), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("plays", sa.BigInteger(), nullable=False),
        sa.Column("likes", sa.BigInteger(), nullable=False),
        sa.Column("comments", sa.BigInteger(), nullable=False),
        sa.Column("shares", sa.BigInteger(), nullable=False),
        sa.Column("favorites", sa.BigInteger(), nullable=False),
        sa.Column("follower_gain", sa.BigInteger(), nullable=False),
        sa.Column("completion_permille", sa.Integer(), nullable=True),
        sa.Column("avg_watch_seconds", sa.Integer(), nullable=True),
        sa.Column("figures_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("link_code", sa.String(length=16), nullable=True),
        sa.Column("wecom_state", sa.String(length=64), nullable=True),
        sa.Column("wecom_qr_url", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('video','note','live_announcement','group_entry')",
            name=op.f("ck_content_posts_kind_known"),
        ),
        sa.CheckConstraint(
            "platform IN ('douyin','kuaishou','xiaohongshu','bilibili','weibo','channels')",
            name=op.f("ck_content_posts_platform_known"),
        ),
        sa.CheckConstraint(
            "plays >= 0 AND likes >= 0 AND comments >= 0 AND shares >= 0 AND favorites >= 0",
            name=op.f("ck_content_posts_figures_non_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["material_id"],
            ["content_materials.id"],
            name=op.f("fk_content_posts_material_id_content_materials"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_content_posts_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_posts")),
        sa.UniqueConstraint("link_code", name=op.f("uq_content_posts_link_code")),
        sa.UniqueConstraint(
            "workspace_id",
            "platform",
            "platform_post_id",
            name=op.f("uq_content_posts_workspace_id_platform_platform_post_id"),
        ),
    )
    with op.batch_alter_table("content_posts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_content_posts_workspace_id_material_id"),
            ["workspace_id", "material_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_content_posts_workspace_id_platform_published_at"),
            ["workspace_id", "platform", "published_at"],
            unique=False,
        )

    op.create_table(
        "content_upload_rejects",
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
            "upload_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("column_name", sa.String(length=100), nullable=True),
        sa.Column("value", sa.String(length=500), nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["upload_id"],
            ["content_uploads.id"],
            name=op.f("fk_content_upload_rejects_upload_id_content_uploads"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_content_upload_rejects_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_upload_rejects")),
    )
    with op.batch_alter_table("content_upload_rejects", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_content_upload_rejects_workspace_id_upload_id_row_number"),
            ["workspace_id", "upload_id", "row_number"],
            unique=False,
        )

    op.create_table(
        "content_post_days",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("post_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("plays", sa.BigInteger(), nullable=False),
        sa.Column("likes", sa.BigInteger(), nullable=False),
        sa.Column("comments", sa.BigInteger(), nullable=False),
        sa.Column("shares", sa.BigInteger(), nullable=False),
        sa.Column("favorites", sa.BigInteger(), nullable=False),
        sa.Column("follower_gain", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["content_posts.id"],
            name=op.f("fk_content_post_days_post_id_content_posts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_content_post_days_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_post_days")),
        sa.UniqueConstraint(
            "workspace_id",
            "post_id",
            "day",
            name=op.f("uq_content_post_days_workspace_id_post_id_day"),
        ),
    )
    op.create_table(
        "content_post_fans",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("post_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("via", sa.String(length=8), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("via IN ('link','wecom')", name=op.f("ck_content_post_fans_via_known")),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_content_post_fans_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["content_posts.id"],
            name=op.f("fk_content_post_fans_post_id_content_posts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_content_post_fans_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_post_fans")),
        sa.UniqueConstraint(
            "workspace_id",
            "customer_id",
            name=op.f("uq_content_post_fans_workspace_id_customer_id"),
        ),
    )
    with op.batch_alter_table("content_post_fans", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_content_post_fans_workspace_id_post_id"),
            ["workspace_id", "post_id"],
            unique=False,
        )

    op.create_table(
        "content_post_visits",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "workspace_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("post_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=False),
        sa.Column("visitor", sa.String(length=32), nullable=False),
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"), nullable=True
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_content_post_visits_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["content_posts.id"],
            name=op.f("fk_content_post_visits_post_id_content_posts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_content_post_visits_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_post_visits")),
        sa.UniqueConstraint(
            "workspace_id",
            "post_id",
            "visitor",
            name=op.f("uq_content_post_visits_workspace_id_post_id_visitor"),
        ),
    )


def downgrade() -> None:
    op.drop_table("content_post_visits")
    with op.batch_alter_table("content_post_fans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_content_post_fans_workspace_id_post_id"))

    op.drop_table("content_post_fans")
    op.drop_table("content_post_days")
    with op.batch_alter_table("content_upload_rejects", schema=None) as batch_op:
        batch_op.drop_index(
            batch_op.f("ix_content_upload_rejects_workspace_id_upload_id_row_number")
        )

    op.drop_table("content_upload_rejects")
    with op.batch_alter_table("content_posts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_content_posts_workspace_id_platform_published_at"))
        batch_op.drop_index(batch_op.f("ix_content_posts_workspace_id_material_id"))

    op.drop_table("content_posts")
    with op.batch_alter_table("content_plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_content_plans_workspace_id_day"))

    op.drop_table("content_plans")
    op.drop_table("content_follower_counts")
    with op.batch_alter_table("content_uploads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_content_uploads_workspace_id_id"))

    op.drop_table("content_uploads")
    with op.batch_alter_table("content_materials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_content_materials_workspace_id_id"))

    op.drop_table("content_materials")
    op.drop_table("content_cadences")
    op.drop_table("content_accounts")
