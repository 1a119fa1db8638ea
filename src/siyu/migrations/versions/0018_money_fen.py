"""money fen

Coupon template money columns end in ``_fen`` like every other amount in the store.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 05:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_AMOUNTS = ("threshold", "discount", "cap", "face_value", "cost")
_CHECK = "ck_coupon_templates_money_non_negative"


def _rename(old: str, new: str) -> None:
    # The CHECK names the columns, so it is rebuilt around the rename.
    with op.batch_alter_table("coupon_templates") as batch:
        batch.drop_constraint(op.f(_CHECK), type_="check")
        for amount in _AMOUNTS:
            batch.alter_column(f"{amount}_{old}", new_column_name=f"{amount}_{new}")
        batch.create_check_constraint(op.f(_CHECK), f"face_value_{new} >= 0 AND cost_{new} >= 0")


def upgrade() -> None:
    _rename("cents", "fen")


def downgrade() -> None:
    _rename("fen", "cents")
