"""Reading orders and import runs; every query filters by the workspace."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.kit.errors import NotFound
from siyu.kit.i18n import N_
from siyu.kit.pagination import keyset_page
from siyu.kit.sql import get_in_workspace
from siyu.orders.models import ImportReject, ImportRun, Order, OrderItem


def list_orders(
    session: Session,
    workspace_id: int,
    *,
    customer_id: int | None = None,
    platform: str | None = None,
    status: str | None = None,
    order_no: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[Order], str | None]:
    """Newest first; ``order_no`` matches the start of the number (numbers are long)."""
    statement = select(Order).where(Order.workspace_id == workspace_id)
    if customer_id is not None:
        statement = statement.where(Order.customer_id == customer_id)
    if platform:
        statement = statement.where(Order.platform == platform)
    if status:
        statement = statement.where(Order.status == status)
    if order_no:
        statement = statement.where(Order.order_no.startswith(order_no.strip(), autoescape=True))
    return keyset_page(session, statement, Order.id, cursor=cursor, limit=limit)


def get_order(session: Session, workspace_id: int, order_id: int) -> Order:
    not_found = NotFound("order-not-found", title=N_("Order not found"))
    return get_in_workspace(session, Order, workspace_id, order_id, not_found)


def items_of(session: Session, workspace_id: int, order_id: int) -> list[OrderItem]:
    return list(
        session.scalars(
            select(OrderItem)
            .where(OrderItem.workspace_id == workspace_id, OrderItem.order_id == order_id)
            .order_by(OrderItem.id)
        )
    )


def list_runs(
    session: Session, workspace_id: int, *, cursor: str | None = None, limit: int = 50
) -> tuple[list[ImportRun], str | None]:
    statement = select(ImportRun).where(ImportRun.workspace_id == workspace_id)
    return keyset_page(session, statement, ImportRun.id, cursor=cursor, limit=limit)


def get_run(session: Session, workspace_id: int, run_id: int) -> ImportRun:
    not_found = NotFound("import-run-not-found", title=N_("Import not found"))
    return get_in_workspace(session, ImportRun, workspace_id, run_id, not_found)


def list_rejects(
    session: Session, run: ImportRun, *, cursor: str | None = None, limit: int = 50
) -> tuple[list[ImportReject], str | None]:
    """In file order: rejects are stored as the file is read."""
    statement = select(ImportReject).where(
        ImportReject.workspace_id == run.workspace_id, ImportReject.run_id == run.id
    )
    return keyset_page(
        session, statement, ImportReject.id, cursor=cursor, limit=limit, descending=False
    )


def iter_rejects(session: Session, run: ImportRun) -> Iterator[ImportReject]:
    """Every reject of a run, streamed (a bad file can have a million)."""
    statement = (
        select(ImportReject)
        .where(ImportReject.workspace_id == run.workspace_id, ImportReject.run_id == run.id)
        .order_by(ImportReject.id)
        .execution_options(yield_per=1_000)
    )
    yield from session.scalars(statement)
