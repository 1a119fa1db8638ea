"""Read functions of the loyalty domain for other domains: points members and points owed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from siyu.loyalty.models import PointsAccount


def points_members(workspace_id: int) -> Select[Any]:
    """Customer ids with a points account (they converted orders or were given points)."""
    return select(PointsAccount.customer_id).where(PointsAccount.workspace_id == workspace_id)


def points_outstanding(session: Session, workspace_id: int) -> int:
    """Spendable points the workspace owes its fans now."""
    return int(
        session.scalar(
            select(func.coalesce(func.sum(PointsAccount.balance), 0)).where(
                PointsAccount.workspace_id == workspace_id
            )
        )
        or 0
    )
