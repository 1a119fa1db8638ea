"""The audit log: recorded by services, in the same transaction as the change it describes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.db import write_beside
from siyu.kit.clock import business_day, utcnow
from siyu.kit.pagination import keyset_page
from siyu.kit.sql import local_date
from siyu.workspace.models import AuditEntry


@dataclass(frozen=True)
class Actor:
    """Who is acting: an operator in the console, an API token, the system, or a fan."""

    type: str  # operator | token | system | fan
    id: int | None = None
    label: str | None = None
    ip: str | None = None
    user_agent: str | None = None


SYSTEM = Actor("system", label="siyu")


def record(
    session: Session,
    actor: Actor,
    action: str,
    *,
    workspace_id: int | None,
    target_type: str | None = None,
    target_id: object = None,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        workspace_id=workspace_id,
        actor_type=actor.type,
        actor_id=actor.id,
        actor_label=actor.label,
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        detail=detail or {},
        ip=actor.ip,
        user_agent=(actor.user_agent or "")[:300] or None,
    )
    # A read that is audited (an export, personal data in clear) records it in a short write
    # of its own before answering; a busy store fails the read rather than skip the record.
    write_beside(session, lambda s: s.add(entry), required=True)
    return entry


def actions_per_day(session: Session, workspace_id: int, tz: str, days: int) -> dict[str, int]:
    """Audited actions per business day (ISO date) over the last ``days`` days, oldest first,
    days without any included as 0."""
    now = utcnow()
    day = local_date(AuditEntry.created_at, tz, session.get_bind().dialect.name)
    rows = session.execute(
        select(day, func.count())
        .where(
            AuditEntry.workspace_id == workspace_id,
            AuditEntry.created_at >= now - timedelta(days=days - 1),
        )
        .group_by(day)
    ).all()
    counts = {str(label): int(count) for label, count in rows}
    labels = [
        business_day(now - timedelta(days=back), tz).isoformat() for back in range(days - 1, -1, -1)
    ]
    return {label: counts.get(label, 0) for label in labels}


def list_entries(
    session: Session,
    workspace_id: int,
    *,
    action: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[AuditEntry], str | None]:
    statement = select(AuditEntry).where(AuditEntry.workspace_id == workspace_id)
    if action:
        statement = statement.where(AuditEntry.action.startswith(action))
    return keyset_page(session, statement, AuditEntry.id, cursor=cursor, limit=limit)
