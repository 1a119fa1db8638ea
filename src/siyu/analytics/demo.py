"""Demo analytics: behaviour events for the funnel, a half-year of life-cycle history, saved
segments, and a refresh so the dashboard opens with figures."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from siyu.analytics.refresh import refresh_workspace, replay_lifecycle
from siyu.customers.models import CustomerEvent
from siyu.kit.clock import today, utcnow
from siyu.orders.models import Order
from siyu.segments.service import create_segment
from siyu.workspace.audit import Actor

DEMO_ACTOR = Actor("system", label="siyu demo")
HISTORY_WEEKS = 26
SEGMENTS = (
    ("复购粉丝", "orders >= 2 and days_since_last_order <= 90", "近 90 天仍在买的复购粉", True),
    (
        "沉睡高价值",
        'lifecycle in ("sleeping", "about_to_sleep") and net_paid >= 500',
        "优先唤醒",
        False,
    ),
    ("抖音新客", 'platform = "douyin" and lifecycle = "new"', "首单 30 天内的抖音粉丝", False),
    ("重要价值客户", 'cn8_segment = "重要价值客户"', "RFM 八类中的重要价值客户", False),
)


def seed(session: Session, workspace_id: int) -> None:
    _seed_behaviour(session, workspace_id)
    replay_lifecycle(session, workspace_id, HISTORY_WEEKS, today())
    for name, text, description, auto_tag in SEGMENTS:
        create_segment(
            session,
            workspace_id,
            name=name,
            filter_text=text,
            description=description,
            auto_tag=auto_tag,
            actor=DEMO_ACTOR,
        )
    refresh_workspace(session, workspace_id)


def _seed_behaviour(session: Session, workspace_id: int) -> None:
    """Live views, WeCom adds and group joins before the first order of a share of buyers,
    with the drop-off a real funnel has."""
    rng = random.Random(20261122)
    firsts = session.execute(
        select(Order.customer_id, Order.paid_at)
        .where(
            Order.workspace_id == workspace_id,
            Order.paid_at.is_not(None),
            Order.customer_id.is_not(None),
        )
        .order_by(Order.customer_id, Order.paid_at)
    ).all()
    first_paid: dict[int, datetime] = {}
    for customer_id, paid_at in firsts:
        if customer_id is not None and paid_at is not None:
            first_paid.setdefault(customer_id, paid_at)
    rows = []
    now = utcnow()
    for customer_id, paid_at in first_paid.items():
        if rng.random() > 0.35:
            continue
        start = paid_at - timedelta(days=rng.randint(1, 20), hours=rng.randint(0, 23))
        steps = [("live_view", start)]
        if rng.random() < 0.55:
            steps.append(("wecom_added", start + timedelta(hours=rng.randint(1, 48))))
            if rng.random() < 0.6:
                steps.append(("group_joined", steps[-1][1] + timedelta(hours=rng.randint(1, 72))))
        for kind, at in steps:
            rows.append(
                {
                    "workspace_id": workspace_id,
                    "customer_id": customer_id,
                    "kind": kind,
                    "occurred_at": at,
                    "idempotency_key": f"demo:{kind}:{customer_id}",
                    "properties": {},
                    "created_at": now,
                }
            )
    if rows:
        session.execute(insert(CustomerEvent), rows)
