"""import chunks

An import commits a chunk at a time; each chunk's undo record is kept while its run is
running, so a run that fails half-way, or whose process died, can be taken back.

Revision ID: 0017
Revises: 0011
Create Date: 2026-12-07 04:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql, sqlite

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "import_chunks",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sqlite.INTEGER(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "workspace_id",
            sa.BigInteger().with_variant(sqlite.INTEGER(), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "run_id", sa.BigInteger().with_variant(sqlite.INTEGER(), "sqlite"), nullable=False
        ),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column(
            "undo",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["import_runs.id"],
            name=op.f("fk_import_chunks_run_id_import_runs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_import_chunks_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_chunks")),
        sa.UniqueConstraint(
            "workspace_id", "run_id", "seq", name=op.f("uq_import_chunks_workspace_id_run_id_seq")
        ),
    )


def downgrade() -> None:
    op.drop_table("import_chunks")
