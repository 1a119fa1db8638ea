"""Small builders for referral tests: fans, and paid orders for them."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from siyu.customers.models import Customer
from siyu.kit.clock import utcnow
from siyu.orders.models import Order

_numbers = itertools.count(1)


def make_fan(session: Session, workspace_id: int, name: str = "小鹿粉丝") -> Customer:
    customer = Customer(
        workspace_id=workspace_id, display_name=f"{name}{next(_numbers)}", first_seen_at=utcnow()
    )
    session.add(customer)
    session.flush()
    return customer


def add_paid_order(
    session: Session,
    workspace_id: int,
    customer_id: int,
    *,
    amount_fen: int = 12900,
    paid_at: datetime | None = None,
) -> Order:
    order = Order(
        workspace_id=workspace_id,
        customer_id=customer_id,
        platform="taobao",
        order_no=f"R{next(_numbers):08d}",
        status="completed",
        paid_amount_fen=amount_fen,
        paid_at=paid_at or utcnow() + timedelta(seconds=1),
        content_hash="x",
        raw={},
    )
    session.add(order)
    session.flush()
    return order
