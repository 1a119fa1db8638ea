"""Group health, KOCs and GMV guided, computed in DuckDB from the store."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from siyu.community import health, pipeline, service
from siyu.community import messages as community_messages
from siyu.community.models import GroupHealthDay
from siyu.workspace.audit import SYSTEM
from siyu.workspace.models import Workspace
from tests.community.helpers import add_order, make_fan


def _say(
    i: int, sender: str, text: str, at: datetime, **extra: object
) -> community_messages.MessageIn:
    return community_messages.MessageIn(
        msg_id=f"h-{i}",
        chat="group",
        group_ref="g-h",
        sender_ref=sender,
        sender_role=str(extra.pop("role", "fan")),
        sent_at=at,
        text=text,
        **extra,  # type: ignore[arg-type]
    )


def test_daily_health_kocs_and_gmv(session: Session, workspace: Workspace) -> None:
    group = service.create_group(session, workspace.id, SYSTEM, name="健康群", external_ref="g-h")
    fan = make_fan(session, workspace.id, paid_orders=0)
    joined = datetime(2026, 11, 1, tzinfo=UTC)
    service.add_member(
        session,
        workspace.id,
        group.id,
        SYSTEM,
        customer_id=fan.id,
        member_ref="ana",
        joined_at=joined,
    )
    service.add_member(session, workspace.id, group.id, SYSTEM, member_ref="bo", joined_at=joined)
    day = date(2026, 11, 20)
    noon = datetime(2026, 11, 20, 4, tzinfo=UTC)  # 12:00 in Shanghai
    messages = [_say(i, "ana", f"今天的面膜好用{i}", noon + timedelta(minutes=i)) for i in range(6)]
    messages += [
        _say(10, "bo", "同意", noon + timedelta(minutes=10), reply_to_ref="ana"),
        _say(11, "ana", "收到啦 晒一下", noon + timedelta(minutes=11), msg_type="image"),
        _say(12, "bo", "我的没收到", noon + timedelta(minutes=12)),
        _say(
            13, "op", "今晚8点直播 福利多", noon + timedelta(minutes=13), role="staff", is_push=True
        ),
    ]
    pipeline.ingest_messages(session, workspace.id, messages)
    add_order(session, workspace.id, fan.id, noon + timedelta(hours=5), 19900)
    add_order(session, workspace.id, fan.id, noon + timedelta(days=10), 5000)  # outside the window
    run = health.compute_health(session, workspace.id, days=3, until=day)
    assert run.groups == 1 and run.rows == 3
    row = session.query(GroupHealthDay).filter_by(group_id=group.id, day=day).one()
    assert (row.messages, row.fan_messages, row.staff_messages) == (10, 9, 1)
    assert row.active_members_7d == 2 and row.buyer_shows == 1 and row.after_sales == 1
    assert 0 < row.score <= 100
    kocs = health.kocs_of(session, workspace.id, group.id)
    assert kocs[0].sender_ref == "ana" and kocs[0].customer_id == fan.id
    assert kocs[0].replies_drawn == 1 and kocs[0].buyer_shows == 1
    (gmv,) = health.gmv_guided(session, workspace.id, [group.id], since_days=3650, window_days=3)
    assert (gmv.pushes, gmv.orders, gmv.gmv_fen) == (1, 1, 19900)


def test_status_follows_the_score() -> None:
    assert health.next_status("activating", 3, 0, None) == "activating"
    assert health.next_status("activating", 8, 60, None) == "active"
    assert health.next_status("active", 30, 20, 60) == "declining"
    assert health.next_status("declining", 30, 10, 20) == "dormant"
    assert health.next_status("dormant", 60, 70, 10) == "active"
    assert health.next_status("dismissed", 60, 90, 10) == "dismissed"
