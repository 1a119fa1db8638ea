"""Fans, segments and orders for outreach tests, built through the other domains' services."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.customers import service as customers_service
from siyu.customers.models import CustomerIdentity
from siyu.orders.schemas import OrderIn
from siyu.orders.service import record_orders
from siyu.segments import service as segments_service
from tests.factories import ACTOR

LONG_AGO = datetime(2026, 1, 10, 4, 0, tzinfo=UTC)


def paid_order(buyer: str, no: str, fen: int, at: datetime) -> OrderIn:
    return OrderIn(
        platform="douyin",
        order_no=no,
        buyer_id=buyer,
        buyer_nick=buyer,
        status="completed",
        paid_at=at,
        paid_amount_fen=fen,
    )


def make_fans(
    session: Session, workspace_id: int, count: int, *, consent: bool = True, prefix: str = "fan"
) -> list[int]:
    """``count`` fans, each with one old order, consenting to marketing unless told."""
    buyers = [f"{prefix}-{workspace_id}-{n}" for n in range(count)]
    record_orders(
        session,
        workspace_id,
        [paid_order(b, f"old-{b}", 1000, LONG_AGO) for b in buyers],
        ACTOR,
    )
    rows = session.execute(
        select(CustomerIdentity.external_id, CustomerIdentity.customer_id).where(
            CustomerIdentity.workspace_id == workspace_id,
            CustomerIdentity.external_id.in_(buyers),
        )
    )
    by_buyer = {buyer: int(customer_id) for buyer, customer_id in rows}
    ids = [by_buyer[b] for b in buyers]
    if consent:
        for customer_id in ids:
            customers_service.set_marketing_consent(session, workspace_id, customer_id, True, ACTOR)
    session.flush()
    return ids


def buy(session: Session, workspace_id: int, customer_id: int, fen: int, at: datetime) -> None:
    identity = session.scalar(
        select(CustomerIdentity.external_id).where(
            CustomerIdentity.workspace_id == workspace_id,
            CustomerIdentity.customer_id == customer_id,
        )
    )
    assert identity is not None
    record_orders(
        session,
        workspace_id,
        [paid_order(identity, f"new-{identity}-{at.timestamp()}", fen, at)],
        ACTOR,
    )


def everyone(session: Session, workspace_id: int, name: str = "全部粉丝") -> int:
    return segments_service.create_segment(
        session, workspace_id, name=name, filter_text="", actor=ACTOR
    ).id


def days_after(moment: datetime, days: float) -> datetime:
    return moment + timedelta(days=days)
