"""Fans, orders and mall items for the loyalty tests, made through the real services."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from siyu.kit.clock import utcnow
from siyu.loyalty import mall as loyalty_mall
from siyu.loyalty import service
from siyu.loyalty.models import MallItem
from siyu.orders.models import Order
from siyu.orders.ownership import order_by_number
from siyu.orders.schemas import OrderIn
from siyu.orders.service import record_orders
from tests.factories import ACTOR

_numbers = itertools.count(1)


def order(
    session: Session,
    workspace_id: int,
    buyer: str,
    *,
    paid_fen: int = 12_345,
    status: str = "completed",
    refund_fen: int = 0,
    paid_at: datetime | None = None,
    order_no: str | None = None,
    platform: str = "taobao",
    paid: bool = True,
) -> Order:
    """Record (or re-record, to change it) one order of the buyer ``buyer``."""
    number = order_no or f"T{next(_numbers):08d}"
    moment = paid_at or utcnow() - timedelta(days=2)
    payload: dict[str, Any] = {
        "platform": platform,
        "order_no": number,
        "buyer_id": buyer,
        "buyer_nick": buyer,
        "status": status,
        "paid_at": moment if paid else None,
        "paid_amount_fen": paid_fen,
        "refund_amount_fen": refund_fen,
        "completed_at": moment + timedelta(days=3) if status == "completed" else None,
    }
    record_orders(session, workspace_id, [OrderIn.model_validate(payload)], ACTOR)
    found = order_by_number(session, workspace_id, platform, number)
    assert found is not None
    session.refresh(found)
    return found


def fan(session: Session, workspace_id: int, buyer: str) -> int:
    """A fan known from one (unpaid) order."""
    first = order(session, workspace_id, buyer, paid=False, status="created")
    assert first.customer_id is not None
    return first.customer_id


def rich_fan(session: Session, workspace_id: int, buyer: str, points: int) -> int:
    """A fan holding ``points`` spendable points (given as an operator adjustment)."""
    customer_id = fan(session, workspace_id, buyer)
    service.adjust(session, workspace_id, customer_id, points, "welcome", ACTOR, f"seed-{buyer}")
    return customer_id


def item(session: Session, workspace_id: int, **values: Any) -> MallItem:
    defaults: dict[str, Any] = {
        "name": "洗脸巾 3 包",
        "shelf": "essentials",
        "points_price": 100,
        "stock": 10,
        "cost_fen": 1500,
    }
    return loyalty_mall.create_item(session, workspace_id, {**defaults, **values}, ACTOR)


LONG_AGO = datetime(2025, 1, 10, 12, tzinfo=UTC)
