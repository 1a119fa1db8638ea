"""API token scopes

A token names what it may do: read, write, pii (reveal, export or erase personal data), admin
(tokens, operators, settings). Tokens made before scopes existed could do everything, and keep
every scope so no integration breaks; new tokens default to read and write.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(
            sa.Column(
                "scopes", sa.String(64), nullable=False, server_default="read write pii admin"
            )
        )
    with op.batch_alter_table("api_tokens") as batch:
        batch.alter_column("scopes", existing_type=sa.String(64), server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("scopes")
