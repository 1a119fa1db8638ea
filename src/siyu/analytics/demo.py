"""Demo analytics: behaviour events for the funnel, a half-year of life-cycle history, saved
segments, and a refresh so the dashboard opens with figures."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy.orm import Session

from siyu.analytics.refresh import refresh_workspace, replay_lifecycle
from siyu.customers.service import EventIn, record_events_of_known_fans
from siyu.kit.clock import today
from siyu.orders.ownership import first_paid_at_by_fan
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
    events: list[EventIn] = []
    for customer_id, paid_at in first_paid_at_by_fan(session, workspace_id).items():
        if rng.random() > 0.35:
            continue
        start = paid_at - timedelta(days=rng.randint(1, 20), hours=rng.randint(0, 23))
        steps = [("live_view", start)]
        if rng.random() < 0.55:
            steps.append(("wecom_added", start + timedelta(hours=rng.randint(1, 48))))
            if rng.random() < 0.6:
                steps.append(("group_joined", steps[-1][1] + timedelta(hours=rng.randint(1, 72))))
        events.extend(
            EventIn(f"demo:{kind}:{customer_id}", kind, at, customer_id=customer_id)
            for kind, at in steps
        )
    record_events_of_known_fans(session, workspace_id, events)
