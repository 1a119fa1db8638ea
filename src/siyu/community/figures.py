"""Read functions of the community domain for other domains: who is in a fan group, who joined
and left, and how many groups were active."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import Session

from siyu.community.models import GroupMembership, GroupMessage


def members_during(workspace_id: int, start: datetime, end: datetime) -> Select[Any]:
    """Customer ids in a fan group at some moment of [start, end), as a subquery to filter by."""
    return select(GroupMembership.customer_id).where(
        GroupMembership.workspace_id == workspace_id,
        GroupMembership.customer_id.is_not(None),
        GroupMembership.joined_at < end,
        (GroupMembership.left_at.is_(None)) | (GroupMembership.left_at >= start),
    )


@dataclass(frozen=True)
class GroupMoves:
    joined: int  # fans who joined a group in the period
    lost: int  # fans who left a group in the period and are in none at its end


def group_moves(session: Session, workspace_id: int, start: datetime, end: datetime) -> GroupMoves:
    joined = session.scalar(
        select(func.count(func.distinct(GroupMembership.customer_id))).where(
            GroupMembership.workspace_id == workspace_id,
            GroupMembership.joined_at >= start,
            GroupMembership.joined_at < end,
        )
    )
    still_in = select(GroupMembership.customer_id).where(
        GroupMembership.workspace_id == workspace_id,
        GroupMembership.customer_id.is_not(None),
        GroupMembership.joined_at < end,
        (GroupMembership.left_at.is_(None)) | (GroupMembership.left_at >= end),
    )
    lost = session.scalar(
        select(func.count(func.distinct(GroupMembership.customer_id))).where(
            GroupMembership.workspace_id == workspace_id,
            and_(GroupMembership.left_at >= start, GroupMembership.left_at < end),
            GroupMembership.customer_id.not_in(still_in),
        )
    )
    return GroupMoves(int(joined or 0), int(lost or 0))


def active_group_count(session: Session, workspace_id: int, start: datetime, end: datetime) -> int:
    """Groups where fans (not staff) wrote at least one message in [start, end)."""
    return int(
        session.scalar(
            select(func.count(func.distinct(GroupMessage.group_id))).where(
                GroupMessage.workspace_id == workspace_id,
                GroupMessage.chat == "group",
                GroupMessage.sender_role == "fan",
                GroupMessage.sent_at >= start,
                GroupMessage.sent_at < end,
            )
        )
        or 0
    )
