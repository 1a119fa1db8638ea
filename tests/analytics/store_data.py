"""Fans and orders in the store for analytics tests, through the orders service."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.customers.models import CustomerIdentity
from siyu.orders.schemas import OrderIn
from siyu.orders.service import record_orders
from tests.factories import ACTOR

AS_OF = date(2026, 11, 20)


def paid(days_ago: int) -> datetime:
    """A payment at 12:00 Beijing time ``days_ago`` business days before AS_OF."""
    return datetime.combine(AS_OF - timedelta(days=days_ago), time(4, 0), tzinfo=UTC)


def order(
    buyer: str,
    no: str,
    yuan: int,
    days_ago: int | None,
    *,
    platform: str = "douyin",
    refund: int = 0,
) -> OrderIn:
    return OrderIn(
        platform=platform,  # type: ignore[arg-type]
        order_no=no,
        buyer_id=buyer,
        buyer_nick=buyer,
        status="completed" if days_ago is not None else "created",  # type: ignore[arg-type]
        paid_at=paid(days_ago) if days_ago is not None else None,
        paid_amount_fen=yuan * 100 if days_ago is not None else 0,
        refund_amount_fen=refund * 100,
        shop="小鹿直播间",
    )


# buyer -> [(yuan, days ago)]; "lurker" never pays.
HISTORY: dict[str, list[tuple[int, int | None]]] = {
    "whale": [(900, 3), (1200, 40), (800, 100)],
    "regular": [(120, 10), (99, 70)],
    "newbie": [(59, 2)],
    "sleeper": [(300, 200)],
    "gone": [(80, 500), (60, 480)],
    "lurker": [(49, None)],
}


def seed_history(session: Session, workspace_id: int) -> dict[str, int]:
    """Record HISTORY and return buyer → customer id."""
    orders = [
        order(buyer, f"{buyer}-{i}", yuan, days)
        for buyer, rows in HISTORY.items()
        for i, (yuan, days) in enumerate(rows)
    ]
    record_orders(session, workspace_id, orders, ACTOR)
    session.flush()
    rows = session.execute(
        select(CustomerIdentity.external_id, CustomerIdentity.customer_id).where(
            CustomerIdentity.workspace_id == workspace_id
        )
    )
    return {external_id: customer_id for external_id, customer_id in rows}
