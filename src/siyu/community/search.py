"""Searching stored group messages and purging those past retention."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from siyu.community import service as groups
from siyu.community.models import (
    AfterSalesTicket,
    BotReply,
    GroupMessage,
)
from siyu.kit.clock import utcnow
from siyu.kit.pagination import keyset_page


def search_messages(
    session: Session,
    workspace_id: int,
    *,
    group_id: int | None = None,
    q: str | None = None,
    sender_ref: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[GroupMessage], str | None]:
    statement = select(GroupMessage).where(GroupMessage.workspace_id == workspace_id)
    if group_id:
        statement = statement.where(GroupMessage.group_id == group_id)
    if sender_ref:
        statement = statement.where(GroupMessage.sender_ref == sender_ref)
    if q and q.strip():
        statement = statement.where(GroupMessage.text.contains(q.strip()))
    return keyset_page(session, statement, GroupMessage.id, cursor=cursor, limit=limit)


def purge_expired_messages(session: Session, workspace_id: int) -> int:
    """Delete messages older than the workspace's retention (tickets, flags and replies that
    point at them lose the pointer, keep their own copy of the text)."""
    from sqlalchemy import delete

    days = groups.settings_of(session, workspace_id).retention_days
    cutoff = utcnow() - timedelta(days=days)
    old = select(GroupMessage.id).where(
        GroupMessage.workspace_id == workspace_id, GroupMessage.sent_at < cutoff
    )
    session.execute(
        update(AfterSalesTicket)
        .where(AfterSalesTicket.message_id.in_(old))
        .values(message_id=None)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        delete(BotReply)
        .where(BotReply.message_id.in_(old))
        .execution_options(synchronize_session=False)
    )
    result = session.execute(
        delete(GroupMessage)
        .where(GroupMessage.workspace_id == workspace_id, GroupMessage.sent_at < cutoff)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
