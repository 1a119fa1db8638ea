"""After-sales tickets opened from group messages, and the operators' notifications."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.community import labels
from siyu.community import service as groups
from siyu.community.messages import MessageIn
from siyu.community.models import (
    AfterSalesTicket,
    FanGroup,
    OperatorNotification,
)
from siyu.kit.clock import utcnow
from siyu.kit.errors import NotFound, Unprocessable
from siyu.kit.i18n import N_
from siyu.kit.pagination import keyset_page
from siyu.kit.sql import get_in_workspace
from siyu.workspace import audit
from siyu.workspace import service as workspace_service
from siyu.workspace.audit import Actor

# --- tickets and notifications ----------------------------------------------------------


def open_ticket(
    session: Session,
    workspace_id: int,
    group: FanGroup | None,
    message_id: int,
    rule_id: int | None,
    customer_id: int | None,
    message: MessageIn,
) -> AfterSalesTicket:
    """An after-sales ticket for the group's operators, and a notification to each of them."""
    ticket = AfterSalesTicket(
        workspace_id=workspace_id,
        group_id=group.id if group else None,
        message_id=message_id,
        rule_id=rule_id,
        customer_id=customer_id,
        sender_ref=message.sender_ref,
        text=message.text,
        status="open",
    )
    session.add(ticket)
    session.flush()
    notify(
        session,
        workspace_id,
        groups.operators_of(group) if group else [],
        kind="ticket",
        message=labels.notice(
            labels.AFTER_SALES, where=group.name if group else None, text=message.text[:80]
        ),
        group_id=group.id if group else None,
        target_id=ticket.id,
    )
    return ticket


def notify(
    session: Session,
    workspace_id: int,
    operator_ids: Sequence[int],
    *,
    kind: str,
    message: str,
    group_id: int | None = None,
    target_id: int | None = None,
) -> None:
    """One notification per operator; with none assigned, one the whole team sees."""
    recipients: list[int | None] = list(operator_ids) or [None]
    for operator_id in recipients:
        session.add(
            OperatorNotification(
                workspace_id=workspace_id,
                operator_id=operator_id,
                group_id=group_id,
                kind=kind,
                message=message,
                target_id=target_id,
            )
        )


def list_notifications(
    session: Session, workspace_id: int, operator_id: int | None, *, limit: int = 20
) -> list[OperatorNotification]:
    statement = select(OperatorNotification).where(
        OperatorNotification.workspace_id == workspace_id,
        OperatorNotification.read_at.is_(None),
    )
    if operator_id is not None:
        statement = statement.where(
            (OperatorNotification.operator_id == operator_id)
            | OperatorNotification.operator_id.is_(None)
        )
    return list(session.scalars(statement.order_by(OperatorNotification.id.desc()).limit(limit)))


def get_ticket(session: Session, workspace_id: int, ticket_id: int) -> AfterSalesTicket:
    not_found = NotFound("ticket-not-found", title=N_("Ticket not found"))
    return get_in_workspace(session, AfterSalesTicket, workspace_id, ticket_id, not_found)


def list_tickets(
    session: Session,
    workspace_id: int,
    *,
    status: str | None = None,
    group_id: int | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[AfterSalesTicket], str | None]:
    statement = select(AfterSalesTicket).where(AfterSalesTicket.workspace_id == workspace_id)
    if status:
        statement = statement.where(AfterSalesTicket.status == status)
    if group_id:
        statement = statement.where(AfterSalesTicket.group_id == group_id)
    return keyset_page(session, statement, AfterSalesTicket.id, cursor=cursor, limit=limit)


def update_ticket(
    session: Session,
    workspace_id: int,
    ticket_id: int,
    actor: Actor,
    *,
    status: str | None = None,
    assignee_operator_id: int | None = None,
    note: str | None = None,
) -> AfterSalesTicket:
    ticket = get_ticket(session, workspace_id, ticket_id)
    if status is not None:
        if status not in ("open", "in_progress", "resolved"):
            raise Unprocessable(
                "invalid-ticket-status", title=N_("Use open, in_progress or resolved")
            )
        ticket.status = status
        ticket.resolved_at = utcnow() if status == "resolved" else None
    if assignee_operator_id is not None:
        workspace_service.check_operators(
            session, workspace_id, [assignee_operator_id], "assignee_operator_id"
        )
        ticket.assignee_operator_id = assignee_operator_id
    if note is not None:
        ticket.note = note
    audit.record(
        session,
        actor,
        "community.ticket_update",
        workspace_id=workspace_id,
        target_type="ticket",
        target_id=ticket.id,
        detail={"status": ticket.status},
    )
    session.flush()
    return ticket


def open_ticket_count(session: Session, workspace_id: int) -> int:
    return int(
        session.scalar(
            select(func.count()).where(
                AfterSalesTicket.workspace_id == workspace_id,
                AfterSalesTicket.status != "resolved",
            )
        )
        or 0
    )
