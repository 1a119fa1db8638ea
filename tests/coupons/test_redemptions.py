"""Redemptions: matched from imported orders by code or by the template's rule, confirmed by an
operator, and reported per campaign."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from siyu.coupons import engine as grab_engine
from siyu.coupons import grab, service, stream
from siyu.db import database
from siyu.kit.clock import utcnow
from siyu.kit.redis import get_redis
from siyu.orders.models import Order
from siyu.workspace.models import Workspace
from tests.coupons import make_campaign, make_fans, make_template
from tests.factories import ACTOR


def _order(session: Session, workspace: Workspace, customer_id: int, no: str, **kw: Any) -> Order:
    fields: dict[str, Any] = {
        "workspace_id": workspace.id,
        "customer_id": customer_id,
        "platform": "douyin",
        "order_no": no,
        "status": "completed",
        "paid_amount_fen": 12_900,
        "paid_at": utcnow() + timedelta(minutes=5),
        "content_hash": no,
        "raw": {},
    }
    fields.update(kw)
    order = Order(**fields)
    session.add(order)
    session.flush()
    return order


def _claim_all(session: Session, workspace: Workspace, campaign_id: int, fans: list[int]) -> None:
    for fan in fans:
        grab_engine.claim(session, grab.Attempt(workspace.id, campaign_id, fan, source="operator"))
    session.commit()
    client = get_redis()
    if client is not None:
        stream.drain(database.session, client)


def test_orders_redeem_by_code_then_by_rule(session: Session, workspace: Workspace) -> None:
    fans = make_fans(session, workspace.id, 4)
    template = make_template(session, workspace.id, platforms=["douyin"])
    campaign = make_campaign(session, workspace.id, 4, template=template, channel="manual")
    _claim_all(session, workspace, campaign.id, fans)
    claims, _ = service.list_claims(session, workspace.id, campaign.id)
    code_of = {c.customer_id: c.code for c in claims}
    a, b, c, d = fans
    _order(session, workspace, a, "D1", raw={"备注": f"用券 {code_of[a]}"}, paid_amount_fen=5_000)
    _order(session, workspace, b, "D2")  # meets 满99 on Douyin in the window
    _order(session, workspace, c, "D3", paid_amount_fen=5_000)  # below the threshold
    _order(session, workspace, d, "T4", platform="taobao")  # not an applicable platform
    _order(session, workspace, d, "D5", status="closed")  # closed orders never count
    session.commit()

    assert service.match_redemptions(session, workspace.id) == {"code": 1, "rule": 1}
    assert service.match_redemptions(session, workspace.id) == {"code": 0, "rule": 0}
    report = service.report(session, campaign)
    assert (report.claimed, report.used, report.gmv_fen) == (4, 2, 5_000 + 12_900)
    assert report.cost_fen == 2 * 300 and report.conversion == 0.5

    confirmed = service.confirm_redemption(
        session, workspace.id, f"{campaign.id}-{_slot(claims, c)}", ACTOR
    )
    assert confirmed.method == "operator"
    assert service.report(session, campaign).used == 3


def _slot(claims: list[Any], customer_id: int) -> int:
    return next(c.slot for c in claims if c.customer_id == customer_id)
