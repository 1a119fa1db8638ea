"""Read functions of the orders domain for other domains: GMV over business days.

GMV here is the net paid amount of paid orders (paid amount less refunds), by the business day
(workspace time zone) of payment: the same definition the analytics refresh uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from siyu.kit.clock import day_bounds
from siyu.kit.sql import local_date
from siyu.orders.models import Order

_ID_BATCH = 500


def gmv_by_day(
    session: Session,
    workspace_id: int,
    first: date,
    last: date,
    tz: str,
    *,
    customers: Select[Any] | None = None,
) -> dict[date, tuple[int, int]]:
    """Business day → (net GMV in fen, paid orders) for days ``first``..``last`` inclusive;
    ``customers`` (a select of customer ids) limits it to those fans' orders."""
    start, end = day_bounds(first, tz)[0], day_bounds(last, tz)[1]
    day = local_date(Order.paid_at, tz, session.get_bind().dialect.name).label("day")
    statement = (
        select(
            day,
            func.sum(Order.paid_amount_fen - func.coalesce(Order.refund_amount_fen, 0)),
            func.count(),
        )
        .where(
            Order.workspace_id == workspace_id,
            Order.paid_at.is_not(None),
            Order.paid_at >= start,
            Order.paid_at < end,
        )
        .group_by(day)
    )
    if customers is not None:
        statement = statement.where(Order.customer_id.in_(customers))
    return {
        date.fromisoformat(str(key)[:10]): (int(gmv or 0), int(orders))
        for key, gmv, orders in session.execute(statement)
    }


def net_paid_since(
    session: Session, workspace_id: int, since: Mapping[int, datetime]
) -> dict[int, int]:
    """Fan id → net GMV in fen of the fan's paid orders paid at or after the moment given for
    that fan (e.g. when a post brought them in); fans without such orders are left out."""
    totals: dict[int, int] = {}
    ids = list(since)
    for start in range(0, len(ids), _ID_BATCH):
        statement = select(
            Order.customer_id,
            Order.paid_at,
            Order.paid_amount_fen - func.coalesce(Order.refund_amount_fen, 0),
        ).where(
            Order.workspace_id == workspace_id,
            Order.customer_id.in_(ids[start : start + _ID_BATCH]),
            Order.paid_at.is_not(None),
        )
        for customer_id, paid_at, net in session.execute(statement):
            if customer_id is not None and paid_at is not None and paid_at >= since[customer_id]:
                totals[customer_id] = totals.get(customer_id, 0) + int(net)
    return totals


def gmv_by_customer(
    session: Session, workspace_id: int, customer_ids: list[int], since: datetime | None = None
) -> dict[int, tuple[int, int]]:
    """Fan id → (net GMV in fen, paid orders) of the given fans' orders paid since ``since``
    (all time without it); fans without a paid order are left out."""
    if not customer_ids:
        return {}
    statement = (
        select(
            Order.customer_id,
            func.sum(Order.paid_amount_fen - func.coalesce(Order.refund_amount_fen, 0)),
            func.count(),
        )
        .where(
            Order.workspace_id == workspace_id,
            Order.customer_id.in_(customer_ids),
            Order.paid_at.is_not(None),
        )
        .group_by(Order.customer_id)
    )
    if since is not None:
        statement = statement.where(Order.paid_at >= since)
    return {
        int(customer_id): (int(gmv or 0), int(orders))
        for customer_id, gmv, orders in session.execute(statement)
        if customer_id is not None
    }


def recent_orders(
    session: Session, workspace_id: int, customer_id: int, limit: int = 5
) -> list[tuple[str, datetime | None, int, str]]:
    """A fan's latest orders as (order number, paid at, paid amount in fen, status)."""
    rows = session.execute(
        select(Order.order_no, Order.paid_at, Order.paid_amount_fen, Order.status)
        .where(Order.workspace_id == workspace_id, Order.customer_id == customer_id)
        .order_by(Order.ordered_at.desc(), Order.id.desc())
        .limit(limit)
    )
    return [(no, paid_at, int(amount), status) for no, paid_at, amount, status in rows]


def paid_orders_between(
    workspace_id: int,
    start: datetime,
    end: datetime,
    *,
    platform: str,
    streamer_id: str | None = None,
) -> Select[tuple[int, int | None, int, datetime]]:
    """A select of the paid orders of one platform paid in [``start``, ``end``) (and brought by
    ``streamer_id`` when given): order id, customer id, net paid fen, paid at. A live's orders,
    for the live domain to count and attribute in SQL."""
    statement = select(
        Order.id,
        Order.customer_id,
        (Order.paid_amount_fen - func.coalesce(Order.refund_amount_fen, 0)).label("net_fen"),
        Order.paid_at,
    ).where(
        Order.workspace_id == workspace_id,
        Order.platform == platform,
        Order.paid_at.is_not(None),
        Order.paid_at >= start,
        Order.paid_at < end,
    )
    if streamer_id:
        statement = statement.where(Order.streamer_id == streamer_id)
    return statement  # type: ignore[return-value]
