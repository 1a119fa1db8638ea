"""Demo outreach for ``siyu demo``: the workspace's quota settings and a word of its own, a
broadcast sent a week before the latest imported order with a 20 % holdout (its lift report
computes from the imported orders), a coupon broadcast whose per-fan links some fans opened, a
drafted poster broadcast, and the new-contact and wake-up playbooks with tasks for
today."""

from __future__ import annotations

import base64
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from siyu.config import public_url
from siyu.coupons import service as coupons_service
from siyu.customers import service as customers_service
from siyu.kit.clock import as_utc, utcnow
from siyu.kit.qr import qr_png
from siyu.orders import ownership as orders
from siyu.outreach import attachments, playbooks, service
from siyu.outreach.models import Broadcast, OutreachTask, Receipt
from siyu.segments import service as segments_service
from siyu.workspace.audit import Actor

ACTOR = Actor("system", label="demo")
CONSENTING_FANS = 400
NEW_CONTACTS = 24


def seed(session: Session, workspace_id: int) -> None:
    service.put_settings(session, workspace_id, "daily", 3, ACTOR)
    service.add_term(
        session,
        workspace_id,
        term="秒杀",
        category="ad_law",
        severity="warn",
        suggestion="限时特价",
        actor=ACTOR,
    )
    fans = _consenting_fans(session, workspace_id)
    if fans:
        segment_id = _sent_broadcast(session, workspace_id)
        _coupon_broadcast(session, workspace_id, segment_id)
        _poster_draft(session, workspace_id, segment_id)
        _playbooks(session, workspace_id, fans[:NEW_CONTACTS])


def _consenting_fans(session: Session, workspace_id: int) -> list[int]:
    """The first fans agreed to marketing messages when they joined the private domain."""
    fans: list[int] = []
    for batch in segments_service.iter_matching_ids(session, workspace_id, "orders >= 1"):
        fans.extend(batch[: CONSENTING_FANS - len(fans)])
        if len(fans) >= CONSENTING_FANS:
            break
    for customer_id in fans:
        customers_service.set_marketing_consent(session, workspace_id, customer_id, True, ACTOR)
    return fans


def _sent_broadcast(session: Session, workspace_id: int) -> int:
    segment = segments_service.create_segment(
        session, workspace_id, name="群发演示：下过单的粉丝", filter_text="orders >= 1", actor=ACTOR
    )
    created = service.create_broadcast(
        session,
        workspace_id,
        name="双十二预热",
        segment_id=segment.id,
        channel="operator_task",
        text="{name}，双十二预热今晚8点开播，给你留了专属福利",
        holdout_percent=20,
        send_at=None,
        actor=ACTOR,
    )
    broadcast = created.broadcast
    service.request_send(session, workspace_id, broadcast.id, ACTOR)
    service.send_broadcast(session, workspace_id, broadcast.id)
    _operators_sent_most(session, workspace_id, broadcast)
    service.follow_up(session, workspace_id, broadcast.id)
    _date_back(session, workspace_id, broadcast)
    return segment.id


def _coupon_broadcast(session: Session, workspace_id: int, segment_id: int) -> None:
    """Yesterday's coupon broadcast, handed to operators with a link per fan; one fan in six
    opened theirs, a few twice."""
    campaigns, _ = coupons_service.list_campaigns(session, workspace_id, limit=1)
    if not campaigns:
        return
    created = service.create_broadcast(
        session,
        workspace_id,
        name="老粉回馈券",
        segment_id=segment_id,
        channel="operator_task",
        text="{name}，感谢一直支持，专属回馈券已备好，点开即可领取",
        holdout_percent=10,
        send_at=None,
        actor=ACTOR,
        attachment={
            "type": "coupon",
            "campaign_id": campaigns[0].id,
            "title": "老粉专属回馈券",
            "description": "今晚直播间下单可用",
        },
    )
    broadcast = created.broadcast
    service.request_send(session, workspace_id, broadcast.id, ACTOR)
    service.send_broadcast(session, workspace_id, broadcast.id)
    _operators_sent_most(session, workspace_id, broadcast)
    service.follow_up(session, workspace_id, broadcast.id)
    opened_at = utcnow() - timedelta(hours=20)
    reached = session.scalars(
        select(OutreachTask.customer_id).where(
            OutreachTask.workspace_id == workspace_id,
            OutreachTask.broadcast_id == broadcast.id,
            OutreachTask.state == "done",
        )
    )
    for n, customer_id in enumerate(reached):
        if customer_id is not None and n % 6 == 0:
            claim = attachments.LinkClaim(workspace_id, broadcast.id, customer_id)
            for _ in range(1 + (n % 4 == 0)):
                attachments.record_click(session, claim, opened_at)
    session.flush()


def _poster_draft(session: Session, workspace_id: int, segment_id: int) -> None:
    """Next live's poster, drafted and not sent yet: a picture with a QR code to the fan's
    coupons page."""
    poster = qr_png(public_url("/h5/coupons"), scale=6)
    service.create_broadcast(
        session,
        workspace_id,
        name="下周直播预告海报",
        segment_id=segment_id,
        channel="operator_task",
        text="{name}，下周三晚8点新品专场，扫码预约不迷路",
        holdout_percent=0,
        send_at=None,
        actor=ACTOR,
        attachment={"type": "image", "image_base64": base64.b64encode(poster).decode()},
    )


def _operators_sent_most(session: Session, workspace_id: int, broadcast: Broadcast) -> None:
    """Operators worked through most of their lists (every fifth fan is still pending)."""
    session.execute(
        update(OutreachTask)
        .where(
            OutreachTask.workspace_id == workspace_id,
            OutreachTask.broadcast_id == broadcast.id,
            OutreachTask.id % 5 != 0,
        )
        .values(state="done", done_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def _date_back(session: Session, workspace_id: int, broadcast: Broadcast) -> None:
    """Move the send a week before the latest imported order, so its lift window holds orders."""
    latest = orders.latest_paid_at(session, workspace_id)
    if latest is None:
        return
    sent_at = as_utc(latest) - timedelta(days=7)
    broadcast.created_at = broadcast.sent_at = sent_at
    session.execute(
        update(Receipt)
        .where(
            Receipt.workspace_id == workspace_id,
            Receipt.source == "broadcast",
            Receipt.source_id == broadcast.id,
        )
        .values(received_at=sent_at)
        .execution_options(synchronize_session=False)
    )
    session.flush()


def _playbooks(session: Session, workspace_id: int, fans: list[int]) -> None:
    welcome = playbooks.create_from_template(
        session, workspace_id, "new_contact", ACTOR, name="新好友 7 天"
    )
    playbooks.create_from_template(session, workspace_id, "wake_up", ACTOR, name="沉睡唤醒")
    playbooks.create_from_template(session, workspace_id, "post_purchase", ACTOR, name="购后关怀")
    now = utcnow()
    anchors = [(fan, now - timedelta(hours=5 + 7 * n)) for n, fan in enumerate(fans)]
    playbooks.enrol(session, workspace_id, welcome, anchors)
    playbooks.work_due_tasks(session, workspace_id, welcome, now)
