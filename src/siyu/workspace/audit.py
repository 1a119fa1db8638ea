"""The audit log: recorded by services, in the same transaction as the change it describes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.db import write_beside
from siyu.kit.pagination import keyset_page
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


def cli_actor() -> Actor:
    """The person at the terminal, as the audit log names them."""
    import getpass

    return Actor("system", label=f"cli:{getpass.getuser()}")


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
