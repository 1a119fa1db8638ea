"""Orders as the other domains see them: which fan owns which orders (merges, splits, erasure,
export, the fan's 360 view) and the facts points and coupons read from orders, as rows or as
subqueries to join in set-based statements."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ScalarSelect, String, Subquery, and_, cast, exists, func, or_, select, update
from sqlalchemy.orm import Session

from siyu.customers.platforms import PLATFORM_LABELS
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


@dataclass(frozen=True)
class OrderFacts:
    id: int
    customer_id: int | None
    status: str
    refund_state: str
    paid_at: datetime | None
    paid_amount_fen: int
    refund_amount_fen: int


def order_facts(
    session: Session, workspace_id: int, platform: str, order_no: str
) -> OrderFacts | None:
    """What points conversion needs of one order, in one narrow statement (no ORM load)."""
    row = (
        session.connection()
        .execute(
            select(
                Order.id,
                Order.customer_id,
                Order.status,
                Order.refund_state,
                Order.paid_at,
                Order.paid_amount_fen,
                Order.refund_amount_fen,
            ).where(
                Order.workspace_id == workspace_id,
                Order.platform == platform,
                Order.order_no == order_no,
            )
        )
        .first()
    )
    return None if row is None else OrderFacts(*row)


def paid_amount_of(session: Session, workspace_id: int, order_id: int) -> int | None:
    """The order's paid amount in fen, or None when the workspace has no such order."""
    return session.scalar(
        select(Order.paid_amount_fen).where(
            Order.workspace_id == workspace_id, Order.id == order_id
        )
    )


def settled_orders(workspace_id: int) -> Subquery:
    """The workspace's orders as a subquery to join: ``id``, ``customer_id``, ``status``,
    ``paid_at``, ``paid_amount_fen`` and ``net_paid_fen`` (paid less refunded)."""
    return (
        select(
            Order.id,
            Order.customer_id,
            Order.status,
            Order.paid_at,
            Order.paid_amount_fen,
            (Order.paid_amount_fen - Order.refund_amount_fen).label("net_paid_fen"),
        )
        .where(Order.workspace_id == workspace_id)
        .subquery("settled_orders")
    )


def net_spend_since(workspace_id: int, since: datetime) -> Subquery:
    """Net paid fen per fan over the orders paid since ``since``: ``customer_id``, ``net_fen``."""
    return (
        select(
            Order.customer_id,
            func.sum(Order.paid_amount_fen - Order.refund_amount_fen).label("net_fen"),
        )
        .where(
            Order.workspace_id == workspace_id,
            Order.customer_id.is_not(None),
            Order.paid_at >= since,
        )
        .group_by(Order.customer_id)
        .subquery("net_spend")
    )


@dataclass(frozen=True)
class CouponUse:
    """What makes an order count as the use of a coupon (``first_order_using``): each bound
    may be a column of the caller's statement; an empty tuple allows every value."""

    code: Any = None  # the order's raw data carries the code
    valid_from: Any = None
    valid_until: Any = None  # may be NULL: no end
    min_paid_fen: int | None = None
    platforms: tuple[str, ...] = ()
    shops: tuple[str, ...] = ()
    products: tuple[str, ...] = ()


def first_order_using(
    workspace_id: Any, customer_id: Any, paid_since: Any, use: CouponUse
) -> ScalarSelect[Any]:
    """The id of the fan's first paid order since ``paid_since`` that counts as the coupon's use
    (never a closed or fully refunded one), as a correlated scalar subquery."""
    rule: list[Any] = [
        Order.workspace_id == workspace_id,
        Order.customer_id == customer_id,
        Order.paid_at.is_not(None),
        Order.paid_at >= paid_since,
        Order.status != "closed",
        Order.refund_state != "full",
    ]
    if use.code is not None:
        rule.append(cast(Order.raw, String).contains(use.code))
    if use.valid_from is not None:
        rule.append(Order.paid_at >= use.valid_from)
    if use.valid_until is not None:
        rule.append(or_(use.valid_until.is_(None), Order.paid_at < use.valid_until))
    if use.min_paid_fen is not None:
        rule.append(Order.paid_amount_fen >= use.min_paid_fen)
    if use.platforms:
        rule.append(Order.platform.in_(use.platforms))
    if use.shops:
        rule.append(Order.shop.in_(use.shops))
    if use.products:
        bought = and_(OrderItem.order_id == Order.id, OrderItem.product_id.in_(use.products))
        rule.append(exists().where(bought))
    return (
        select(Order.id).where(*rule).order_by(Order.paid_at, Order.id).limit(1).scalar_subquery()
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


def first_paid_at_by_fan(session: Session, workspace_id: int) -> dict[int, datetime]:
    """customer id → when the fan first paid, for every fan with a paid order, in id order
    (one grouped query: the demo dates a funnel before each buyer's first order by it)."""
    rows = session.execute(
        select(Order.customer_id, func.min(Order.paid_at))
        .where(
            Order.workspace_id == workspace_id,
            Order.paid_at.is_not(None),
            Order.customer_id.is_not(None),
        )
        .group_by(Order.customer_id)
        .order_by(Order.customer_id)
    )
    return {int(c): first for c, first in rows if c is not None and first is not None}


def buyer_ids(
    session: Session,
    workspace_id: int,
    limit: int,
    *,
    paid_since: datetime | None = None,
    excluding: list[int] | None = None,
) -> list[int]:
    """Up to ``limit`` fans with an order (paid at or after ``paid_since`` when given), leaving
    out ``excluding``."""
    statement = select(Order.customer_id).where(
        Order.workspace_id == workspace_id, Order.customer_id.is_not(None)
    )
    if paid_since is not None:
        statement = statement.where(Order.paid_at >= paid_since)
    if excluding:
        statement = statement.where(Order.customer_id.not_in(excluding))
    rows = session.scalars(statement.group_by(Order.customer_id).limit(limit))
    return [int(c) for c in rows if c is not None]


def latest_settled_order_keys(
    session: Session, workspace_id: int, limit: int
) -> list[tuple[int, str, str]]:
    """(customer id, platform, order number) of the workspace's latest paid orders that were
    not refunded in full, newest first."""
    rows = session.execute(
        select(Order.customer_id, Order.platform, Order.order_no)
        .where(
            Order.workspace_id == workspace_id,
            Order.customer_id.is_not(None),
            Order.paid_at.is_not(None),
            Order.paid_amount_fen > Order.refund_amount_fen,
        )
        .order_by(Order.paid_at.desc())
        .limit(limit)
    )
    return [(int(c), p, n) for c, p, n in rows if c is not None]
