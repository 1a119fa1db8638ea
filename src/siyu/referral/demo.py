"""Demo referrals: a two-level tree among the demo's buyers, touched a few days before each
invitee's first paid order, and the rewards those orders paid (through the real settle)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from siyu.customers.service import search_customers
from siyu.kit.errors import Problem
from siyu.orders.service import first_paid_orders
from siyu.referral import service
from siyu.workspace.audit import SYSTEM

INVITERS = 8
INVITEES = 40
SECOND_LEVEL = 10


def seed(session: Session, workspace_id: int) -> None:
    service.update_settings(
        session,
        workspace_id,
        SYSTEM,
        max_depth=2,
        window_days=7,
        reward_kind="points",
        reward_points=200,
        reward_points_level2=50,
        coupon_campaign_id=None,
    )
    fans, _ = search_customers(session, workspace_id, limit=200)
    firsts = first_paid_orders(session, workspace_id, [f.id for f in fans])
    buyers = sorted(firsts, key=lambda cid: (firsts[cid].paid_at, cid))
    if len(buyers) < INVITERS + INVITEES + SECOND_LEVEL:
        return
    inviters = buyers[:INVITERS]
    invitees = buyers[-(INVITEES + SECOND_LEVEL) : -SECOND_LEVEL]
    second = buyers[-SECOND_LEVEL:]
    pairs = [(inviters[i % INVITERS], fan) for i, fan in enumerate(invitees)]
    pairs += [(invitees[i], fan) for i, fan in enumerate(second)]
    for inviter, invitee in pairs:
        touched = firsts[invitee].paid_at - timedelta(days=2)
        try:
            service.refer(
                session, workspace_id, inviter, invitee, SYSTEM, source="demo", touched_at=touched
            )
        except Problem:
            continue  # a demo fan merged away or already placed
    service.settle_rewards(session, workspace_id)
