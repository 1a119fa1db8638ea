"""channel post accounts

A post names the workspace's account on its platform it went out from, so figures can be read
per account. Existing posts are linked where the answer is certain: the workspace has exactly
one account on the post's platform.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 14:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The only account of the post's workspace on the post's platform; NULL when there are none
# or several (then nobody can say which one published it).
_BACKFILL = """
UPDATE content_posts SET account_id = (
    SELECT MIN(a.id) FROM content_accounts a
    WHERE a.workspace_id = content_posts.workspace_id AND a.platform = content_posts.platform
)
WHERE account_id IS NULL AND (
    SELECT COUNT(*) FROM content_accounts a
    WHERE a.workspace_id = content_posts.workspace_id AND a.platform = content_posts.platform
) = 1
"""


def upgrade() -> None:
    with op.batch_alter_table("content_posts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "account_id",
                sa.BigInteger().with_variant(sa.INTEGER(), "sqlite"),
                nullable=True,
            )
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_content_posts_account_id_content_accounts"),
            "content_accounts",
            ["account_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index(
            batch_op.f("ix_content_posts_workspace_id_account_id"),
            ["workspace_id", "account_id"],
            unique=False,
        )
    op.execute(_BACKFILL)


def downgrade() -> None:
    with op.batch_alter_table("content_posts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_content_posts_workspace_id_account_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_content_posts_account_id_content_accounts"), type_="foreignkey"
        )
        batch_op.drop_column("account_id")
