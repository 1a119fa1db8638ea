"""Which fan owns which orders: the orders domain's side of merges, splits, erasure, export and
the fan's 360 view."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from siyu.customers.models import PLATFORM_LABELS
from siyu.kit.clock import utcnow
from siyu.kit.i18n import gettext
from siyu.kit.money import format_yuan
from siyu.kit.timeline import TimelineEntry
from siyu.orders.models import Order, OrderItem


def reassign_orders(
    session: Session,
    workspace_id: int,
    from_customer: int,
    to_customer: int,
    *,
    platform: str | None = None,
    buyer_id: str | None = None,
) -> list[int]:
    """Move a fan's orders (optionally only those bought under one identity); returns their ids."""
    statement = select(Order.id).where(
        Order.workspace_id == workspace_id, Order.customer_id == from_customer
    )
    if platform is not None:
        statement = statement.where(Order.platform == platform)
    if buyer_id is not None:
        statement = statement.where(Order.buyer_id == buyer_id)
    ids = list(session.scalars(statement))
    move_orders(session, workspace_id, ids, to_customer)
    return ids


def move_orders(
    session: Session, workspace_id: int, order_ids: list[int], customer_id: int
) -> None:
    if order_ids:
        session.execute(
            update(Order)
            .where(Order.workspace_id == workspace_id, Order.id.in_(order_ids))
            .values(customer_id=customer_id, updated_at=utcnow())
        )


def anonymise_orders(session: Session, workspace_id: int, customer_id: int) -> int:
    """Keep the facts the books need (amounts, times, status, items), drop who bought them."""
    result = session.execute(
        update(Order)
        .where(Order.workspace_id == workspace_id, Order.customer_id == customer_id)
        .values(raw={}, buyer_id=None, buyer_nick=None, updated_at=utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)


def orders_for_export(
    session: Session, workspace_id: int, customer_id: int
) -> list[dict[str, Any]]:
    orders = list(
        session.scalars(
            select(Order)
            .where(Order.workspace_id == workspace_id, Order.customer_id == customer_id)
            .order_by(Order.id)
        )
    )
    items = _items_by_order(session, workspace_id, [o.id for o in orders])
    return [
        {
            "platform": o.platform,
            "order_no": o.order_no,
            "shop": o.shop,
            "status": o.status,
            "refund_state": o.refund_state,
            "paid_amount_fen": o.paid_amount_fen,
            "refund_amount_fen": o.refund_amount_fen,
            "paid_at": o.paid_at.isoformat() if o.paid_at else None,
            "items": [
                {
                    "title": i.title,
                    "sku": i.sku,
                    "quantity": i.quantity,
                    "unit_price_fen": i.unit_price_fen,
                }
                for i in items.get(o.id, [])
            ],
        }
        for o in orders
    ]


@dataclass(frozen=True)
class FanOrderStats:
    paid_orders: int
    net_paid_fen: int
    spend_1y_fen: int
    first_paid_at: datetime | None
    last_paid_at: datetime | None
    platforms: list[str]


def fan_order_stats(session: Session, workspace_id: int, customer_id: int) -> FanOrderStats:
    """The numbers an operator glances at beside a chat: one query over the fan's paid orders."""
    year_ago = utcnow() - timedelta(days=365)
    net = Order.paid_amount_fen - Order.refund_amount_fen
    row = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(net), 0),
            func.coalesce(func.sum(net).filter(Order.paid_at >= year_ago), 0),
            func.min(Order.paid_at),
            func.max(Order.paid_at),
        ).where(
            Order.workspace_id == workspace_id,
            Order.customer_id == customer_id,
            Order.paid_at.is_not(None),
        )
    ).one()
    platforms = list(
        session.scalars(
            select(Order.platform)
            .distinct()
            .where(
                Order.workspace_id == workspace_id,
                Order.customer_id == customer_id,
                Order.paid_at.is_not(None),
            )
            .order_by(Order.platform)
        )
    )
    return FanOrderStats(int(row[0]), int(row[1]), int(row[2]), row[3], row[4], platforms)


def recent_orders(
    session: Session, workspace_id: int, customer_id: int, limit: int = 50
) -> list[tuple[Order, list[OrderItem]]]:
    orders = list(
        session.scalars(
            select(Order)
            .where(Order.workspace_id == workspace_id, Order.customer_id == customer_id)
            .order_by(func.coalesce(Order.paid_at, Order.ordered_at).desc(), Order.id.desc())
            .limit(limit)
        )
    )
    items = _items_by_order(session, workspace_id, [o.id for o in orders])
    return [(o, items.get(o.id, [])) for o in orders]


def _items_by_order(
    session: Session, workspace_id: int, order_ids: list[int]
) -> dict[int, list[OrderItem]]:
    found: dict[int, list[OrderItem]] = {}
    if order_ids:
        for item in session.scalars(
            select(OrderItem)
            .where(OrderItem.workspace_id == workspace_id, OrderItem.order_id.in_(order_ids))
            .order_by(OrderItem.id)
        ):
            found.setdefault(item.order_id, []).append(item)
    return found


def order_by_number(
    session: Session, workspace_id: int, platform: str, order_no: str
) -> Order | None:
    """One order by its platform and number (points conversion looks orders up this way)."""
    return session.scalar(
        select(Order).where(
            Order.workspace_id == workspace_id,
            Order.platform == platform,
            Order.order_no == order_no,
        )
    )


def paid_order_keys(
    session: Session, workspace_id: int, customer_ids: list[int]
) -> list[tuple[int, str, str]]:
    """(customer id, platform, order number) of the fans' paid orders, oldest first."""
    if not customer_ids:
        return []
    rows = session.execute(
        select(Order.customer_id, Order.platform, Order.order_no)
        .where(
            Order.workspace_id == workspace_id,
            Order.customer_id.in_(customer_ids),
            Order.paid_at.is_not(None),
        )
        .order_by(Order.paid_at, Order.id)
    )
    return [(int(c), p, n) for c, p, n in rows if c is not None]


def timeline_of(
    session: Session, workspace_id: int, customer_id: int, limit: int = 20
) -> list[TimelineEntry]:
    """The fan's latest orders for the 360 page's activity timeline."""
    entries = []
    for order, _items in recent_orders(session, workspace_id, customer_id, limit):
        platform = gettext(PLATFORM_LABELS.get(order.platform, order.platform))
        text = gettext("Order on %(platform)s, %(amount)s") % {
            "platform": platform,
            "amount": format_yuan(order.paid_amount_fen),
        }
        when = order.paid_at or order.ordered_at or order.created_at
        entries.append(TimelineEntry(when, "order", text, f"/orders?q={order.order_no}"))
    return entries


def paid_by_fan(
    session: Session, workspace_id: int, customer_ids: list[int], start: datetime, end: datetime
) -> dict[int, int]:
    """customer id → net paid fen of the fans' orders paid in [start, end) (buyers only)."""
    net = Order.paid_amount_fen - Order.refund_amount_fen
    found: dict[int, int] = {}
    for first in range(0, len(customer_ids), 5000):
        rows = session.execute(
            select(Order.customer_id, func.sum(net))
            .where(
                Order.workspace_id == workspace_id,
                Order.customer_id.in_(customer_ids[first : first + 5000]),
                Order.paid_at >= start,
                Order.paid_at < end,
            )
            .group_by(Order.customer_id)
        )
        found.update({int(c): int(total or 0) for c, total in rows if c is not None})
    return found


def first_paid_since(
    session: Session, workspace_id: int, customer_ids: list[int], since: datetime
) -> set[int]:
    """Which of the fans paid an order at or after ``since`` (a playbook's "ordered" stop)."""
    if not customer_ids:
        return set()
    return {
        int(c)
        for c in session.scalars(
            select(Order.customer_id)
            .where(
                Order.workspace_id == workspace_id,
                Order.customer_id.in_(customer_ids),
                Order.paid_at >= since,
            )
            .distinct()
        )
        if c is not None
    }


def paid_moments_since(
    session: Session, workspace_id: int, since: datetime
) -> list[tuple[int, datetime, datetime]]:
    """(fan, first paid, last paid) of every fan who paid an order since ``since``."""
    recent = (
        select(Order.customer_id)
        .where(Order.workspace_id == workspace_id, Order.paid_at >= since)
        .distinct()
        .scalar_subquery()
    )
    rows = session.execute(
        select(Order.customer_id, func.min(Order.paid_at), func.max(Order.paid_at))
        .where(
            Order.workspace_id == workspace_id,
            Order.customer_id.in_(recent),
            Order.paid_at.is_not(None),
        )
        .group_by(Order.customer_id)
    )
    return [
        (int(c), first, last)
        for c, first, last in rows
        if c is not None and first is not None and last is not None
    ]


def latest_paid_at(session: Session, workspace_id: int) -> datetime | None:
    """When the workspace's latest imported order was paid (demo data dates itself by it)."""
    return session.scalar(select(func.max(Order.paid_at)).where(Order.workspace_id == workspace_id))
