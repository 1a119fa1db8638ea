"""import error detail

A rejected file's reason as a message id with its values, so the console shows it in the
operator's language; ``import_runs.error`` keeps the English text the API and CLI give.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 02:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("import_runs") as batch:
        batch.add_column(
            sa.Column(
                "error_detail",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("import_runs") as batch:
        batch.drop_column("error_detail")
