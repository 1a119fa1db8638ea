"""Read functions of the orders domain for other domains: GMV over business days.

GMV here is the net paid amount of paid orders (paid amount less refunds), by the business day
(workspace time zone) of payment: the same definition the analytics refresh uses.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from siyu.kit.clock import day_bounds
from siyu.kit.sql import local_date
from siyu.orders.models import Order


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
