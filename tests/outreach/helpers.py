"""Fans, segments and orders for outreach tests, built through the other domains' services."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.connectors.wecom.connection import client_for, register_transport
from siyu.connectors.wecom.fake import FakeWecom
from siyu.connectors.wecom.sync import sync_all
from siyu.customers import service as customers_service
from siyu.customers.models import CustomerIdentity
from siyu.orders.schemas import OrderIn
from siyu.orders.service import record_orders
from siyu.outreach.models import BroadcastMember
from siyu.segments import service as segments_service
from siyu.workspace.models import Workspace
from tests.connectors.wecom.conftest import API_BASE, connect, corp
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


@contextmanager
def fake_corp() -> Iterator[FakeWecom]:
    """The fake WeCom corp (with a third contact, 小周粉) answering the client's calls."""
    fake = corp()
    fake.add_contact("zhou", "wmC", "小周粉")
    register_transport(API_BASE, httpx.MockTransport(fake.handle))
    try:
        yield fake
    finally:
        register_transport(API_BASE, None)


def connected_fans(session: Session, workspace: Workspace, fake: FakeWecom) -> dict[str, int]:
    """Connect the workspace to the fake corp, sync it, and give its three fans consent."""
    connect(session, workspace, fake)
    client = client_for(session, workspace.id)
    try:
        sync_all(session, workspace.id, client)
    finally:
        client.close()
    found = {}
    for external in ("wmA", "wmB", "wmC"):
        customer_id = customers_service.customer_by_identity(
            session, workspace.id, "wecom", external
        )
        assert customer_id is not None
        customers_service.set_marketing_consent(session, workspace.id, customer_id, True, ACTOR)
        found[external] = customer_id
    session.flush()
    return found


def members(session: Session, broadcast_id: int) -> dict[int, str]:
    """Each planned fan's status in a broadcast."""
    rows = session.execute(
        select(BroadcastMember.customer_id, BroadcastMember.status).where(
            BroadcastMember.broadcast_id == broadcast_id
        )
    )
    return {int(c): s for c, s in rows}
