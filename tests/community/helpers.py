"""Small builders for fan-group tests: fans with paid orders, groups, families."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from siyu.community import service
from siyu.customers.models import Customer
from siyu.orders.models import Order
from siyu.workspace.audit import SYSTEM

_orders = itertools.count(1)


def make_fan(
    session: Session,
    workspace_id: int,
    *,
    name: str = "小鹿粉丝",
    region: str | None = "浙江",
    paid_orders: int = 2,
    paid_at: datetime | None = None,
    amount_fen: int = 9900,
) -> Customer:
    customer = Customer(
        workspace_id=workspace_id,
        display_name=name,
        region=region,
        first_seen_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    session.add(customer)
    session.flush()
    for i in range(paid_orders):
        add_order(
            session,
            workspace_id,
            customer.id,
            (paid_at or datetime(2026, 6, 18, tzinfo=UTC)) + timedelta(minutes=i),
            amount_fen,
        )
    return customer


def add_order(
    session: Session, workspace_id: int, customer_id: int, paid_at: datetime, amount_fen: int
) -> Order:
    order = Order(
        workspace_id=workspace_id,
        customer_id=customer_id,
        platform="taobao",
        order_no=f"T{next(_orders):08d}",
        status="completed",
        paid_amount_fen=amount_fen,
        paid_at=paid_at,
        content_hash="x",
        raw={},
    )
    session.add(order)
    session.flush()
    return order


def make_family(session: Session, workspace_id: int, **fields: object) -> object:
    defaults: dict[str, object] = {
        "name": "小鹿福利群",
        "slug": f"fans-{next(_orders)}",
        "name_base": "小鹿福利",
        "group_capacity": 2,
        "min_paid_orders": 2,
    }
    defaults.update(fields)
    return service.create_family(session, workspace_id, SYSTEM, **defaults)
