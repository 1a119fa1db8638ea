"""SOP playbooks: steps relative to an anchor, enrolments, and the operators' task list.

A playbook enrols each fan once when its anchor happens (added as a contact, joined a group,
first or last paid order, a live's start, entered a segment) and lays out every step as a task
due at "day N at HH:MM" in the workspace's time zone or "N hours after" the anchor. Held-out
fans (stable by fan) are enrolled in the control arm and get no tasks. Due tasks are worked by
a job in short transactions: messages pass the content check and the quota ledger and land, with
their text ready, in the operator's "my tasks today"; tags and coupons are applied directly.
When the workspace is connected to WeCom, a due message step instead goes out as one WeCom task
per sender (``add_msg_template``, to the fans or to the sender's groups), planned like a
broadcast's audience and followed up by the broadcasts' own follow-up.
A stop condition (the fan ordered, replied or left) ends the enrolment and skips what is left.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from siyu.community import service as community
from siyu.connectors.wecom import service as wecom
from siyu.connectors.wecom.client import WecomError, WecomUnavailable
from siyu.connectors.wecom.connection import connection_of
from siyu.customers import service as customers_service
from siyu.customers.outbound import personalise
from siyu.kit.clock import as_utc, business_day, day_bounds, utcnow
from siyu.kit.errors import NotFound, Unprocessable
from siyu.kit.i18n import N_
from siyu.kit.sql import get_in_workspace
from siyu.live import service as lives
from siyu.orders import ownership as orders
from siyu.outreach import content, ledger
from siyu.outreach.channels import Channel, OperatorTaskChannel, SendTask, channel_for
from siyu.outreach.models import Enrolment, OutreachTask, Playbook, PlaybookSend, PlaybookStep
from siyu.outreach.service import (
    check_content,
    follow_task,
    held_out,
    plan_audience,
    quota_rule,
)
from siyu.segments import service as segments_service
from siyu.workspace import audit
from siyu.workspace.audit import SYSTEM, Actor
from siyu.workspace.service import workspace_timezone

log = logging.getLogger("siyu.outreach")

AnchorSource = Callable[[Session, int, datetime], list[tuple[int, datetime]]]
LOOKBACK = timedelta(days=1)  # how far back an enrolment run looks for anchors


@dataclass(frozen=True)
class StepSpec:
    kind: str
    text: str = ""
    day: int | None = None
    at: str | None = None  # "HH:MM"
    hours_after: int | None = None
    tag_name: str | None = None


@dataclass(frozen=True)
class TemplateSpec:
    key: str
    name: str
    anchor: str
    steps: tuple[StepSpec, ...]
    stop_on: tuple[str, ...] = ()
    holdout_percent: int = 0
    segment_filter: str | None = None
    segment_name: str | None = None  # the audience segment a segment-anchored template makes


TEMPLATES: dict[str, TemplateSpec] = {
    spec.key: spec
    for spec in (
        TemplateSpec(
            "new_contact",
            N_("New contact: day 0, 1, 3 and 7"),
            "added_contact",
            (
                StepSpec(
                    "message", "{name}你好，我是直播间的小助手，有问题随时找我～", hours_after=1
                ),
                StepSpec("message", "{name}，今晚8点直播有新人专享价，记得来看", day=1, at="19:30"),
                StepSpec("task", "打个招呼，问问喜欢什么品类，备注到客户资料", day=3, at="14:00"),
                StepSpec(
                    "message", "{name}，认识一周啦，这周的福利清单发你看看", day=7, at="20:00"
                ),
            ),
            stop_on=("left",),
        ),
        TemplateSpec(
            "group_warmup",
            N_("New group: 7-day warm-up"),
            "joined_group",
            tuple(
                StepSpec("group_message", text, day=day, at="20:00")
                for day, text in enumerate(
                    (
                        "欢迎新朋友！群里每晚8点分享当天好物",
                        "今天聊聊大家最想要的品类，留言告诉我们",
                        "群内专享：明晚直播前10位下单送小样",
                        "分享一个使用小技巧，看看大家的心得",
                        "直播预告：本周五晚8点，新品首发",
                        "感谢大家这一周的陪伴，晒单有惊喜",
                        "一周回顾：本周热卖清单和下周预告",
                    )
                )
            ),
            stop_on=("left",),
        ),
        TemplateSpec(
            "post_purchase",
            N_("After a purchase: care and review"),
            "last_paid",
            (
                StepSpec(
                    "message",
                    "{name}，你的订单已经在路上啦，收到后有问题随时找我",
                    day=1,
                    at="10:00",
                ),
                StepSpec(
                    "message", "{name}，用了几天感觉怎么样？这里有几个使用小技巧", day=5, at="20:00"
                ),
                StepSpec("task", "回访：问问使用感受，邀请写评价", day=7, at="15:00"),
                StepSpec("tag", tag_name="已回访", day=7, at="15:00"),
            ),
            stop_on=("left",),
        ),
        TemplateSpec(
            "wake_up",
            N_("Wake up sleeping fans with a coupon"),
            "segment",
            (
                StepSpec("coupon", day=0, at="19:00"),
                StepSpec(
                    "message",
                    "{name}，好久不见，给你留了一张回归券，今晚直播可用",
                    day=0,
                    at="19:30",
                ),
                StepSpec("task", "私聊问候：最近在忙什么，有没有想要的款", day=3, at="14:00"),
            ),
            stop_on=("ordered",),
            holdout_percent=10,
            segment_filter='lifecycle in ("sleeping")',
            segment_name="沉睡粉丝（唤醒剧本）",
        ),
    )
}


def _minute(at: str) -> int:
    hours, minutes = at.split(":")
    return int(hours) * 60 + int(minutes)


def due_at(step: PlaybookStep, anchor: datetime, tz: str) -> datetime:
    """When a step falls due for an anchor: "day N at HH:MM" in the business time zone, or
    "N hours after"; never before the anchor itself."""
    anchor = as_utc(anchor)
    if step.hours_after is not None:
        return anchor + timedelta(hours=step.hours_after)
    day = business_day(anchor, tz) + timedelta(days=step.day_offset or 0)
    minute = step.at_minute or 0
    local = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=ZoneInfo(tz))
    return max(as_utc(local), anchor)


# --- playbooks ---------------------------------------------------------------------------------


def get_playbook(session: Session, workspace_id: int, playbook_id: int) -> Playbook:
    not_found = NotFound("playbook-not-found", title=N_("Playbook not found"))
    return get_in_workspace(session, Playbook, workspace_id, playbook_id, not_found)


def list_playbooks(session: Session, workspace_id: int) -> list[Playbook]:
    return list(
        session.scalars(
            select(Playbook).where(Playbook.workspace_id == workspace_id).order_by(Playbook.id)
        )
    )


def steps_of(session: Session, playbook: Playbook) -> list[PlaybookStep]:
    return list(
        session.scalars(
            select(PlaybookStep)
            .where(
                PlaybookStep.workspace_id == playbook.workspace_id,
                PlaybookStep.playbook_id == playbook.id,
            )
            .order_by(PlaybookStep.position)
        )
    )


def create_from_template(
    session: Session,
    workspace_id: int,
    template: str,
    actor: Actor,
    *,
    name: str | None = None,
    coupon_campaign_id: int | None = None,
) -> Playbook:
    """A playbook from a shipped template; every message step passes the content check."""
    spec = TEMPLATES.get(template)
    if spec is None:
        raise Unprocessable(
            "unknown-playbook-template",
            title=N_("Unknown playbook template"),
            errors=[{"field": "template", "message": f"choose one of {sorted(TEMPLATES)}"}],
        )
    segment_id = _template_segment(session, workspace_id, spec, actor)
    playbook = Playbook(
        workspace_id=workspace_id,
        name=name or spec.key,
        template=spec.key,
        anchor=spec.anchor,
        segment_id=segment_id,
        stop_on=list(spec.stop_on),
        holdout_percent=spec.holdout_percent,
    )
    _check_name(session, workspace_id, playbook.name)
    session.add(playbook)
    session.flush()
    for position, step in enumerate(spec.steps, start=1):
        if step.text and content.blocks(
            check_content(session, workspace_id, step.text, repeat=False)
        ):
            raise Unprocessable("content-refused", title=N_("The text breaks the message rules"))
        session.add(
            PlaybookStep(
                workspace_id=workspace_id,
                playbook_id=playbook.id,
                position=position,
                day_offset=step.day,
                at_minute=_minute(step.at) if step.at else None,
                hours_after=step.hours_after,
                kind=step.kind,
                text=step.text,
                tag_name=step.tag_name,
                coupon_campaign_id=coupon_campaign_id if step.kind == "coupon" else None,
            )
        )
    session.flush()
    audit.record(
        session,
        actor,
        "outreach.playbook_create",
        workspace_id=workspace_id,
        target_type="playbook",
        target_id=playbook.id,
        detail={"template": spec.key},
    )
    return playbook


def _check_name(session: Session, workspace_id: int, name: str) -> None:
    taken = session.scalar(
        select(Playbook.id).where(Playbook.workspace_id == workspace_id, Playbook.name == name)
    )
    if taken is not None:
        raise Unprocessable(
            "playbook-name-taken",
            title=N_("A playbook with this name exists"),
            errors=[{"field": "name", "message": "a playbook with this name exists"}],
        )


def _template_segment(
    session: Session, workspace_id: int, spec: TemplateSpec, actor: Actor
) -> int | None:
    if spec.segment_filter is None or spec.segment_name is None:
        return None
    name = spec.segment_name
    for segment in segments_service.list_segments(session, workspace_id):
        if segment.name == name:
            return segment.id
    return segments_service.create_segment(
        session, workspace_id, name=name, filter_text=spec.segment_filter, actor=actor
    ).id


def set_active(
    session: Session, workspace_id: int, playbook_id: int, active: bool, actor: Actor
) -> Playbook:
    playbook = get_playbook(session, workspace_id, playbook_id)
    playbook.is_active = active
    session.flush()
    audit.record(
        session,
        actor,
        "outreach.playbook_active",
        workspace_id=workspace_id,
        target_type="playbook",
        target_id=playbook.id,
        detail={"active": active},
    )
    return playbook


# --- enrolment ---------------------------------------------------------------------------------


def _added_contacts(
    session: Session, workspace_id: int, since: datetime
) -> list[tuple[int, datetime]]:
    return [
        (row.customer_id, row.added_at)
        for row in wecom.fan_channels(session, workspace_id)
        if row.customer_id is not None
        and row.added_at is not None
        and as_utc(row.added_at) >= since
    ]


def _first_paid(session: Session, workspace_id: int, since: datetime) -> list[tuple[int, datetime]]:
    rows = orders.paid_moments_since(session, workspace_id, since)
    return [(fan, first) for fan, first, _ in rows if as_utc(first) >= since]


def _last_paid(session: Session, workspace_id: int, since: datetime) -> list[tuple[int, datetime]]:
    return [(fan, last) for fan, _, last in orders.paid_moments_since(session, workspace_id, since)]


def _live_starts(
    session: Session, workspace_id: int, since: datetime
) -> list[tuple[int, datetime]]:
    """The reservers of every live that has started since ``since``."""
    return lives.reservers_of_lives_started(session, workspace_id, since, utcnow())


ANCHOR_SOURCES: dict[str, AnchorSource] = {
    "added_contact": _added_contacts,
    "joined_group": community.joined_since,
    "first_paid": _first_paid,
    "last_paid": _last_paid,
    "live_start": _live_starts,
}


def anchors_for(
    session: Session, workspace_id: int, playbook: Playbook, since: datetime
) -> list[tuple[int, datetime]]:
    """(fan, anchor moment) of fans whose anchor happened since ``since``; for a segment, its
    members now (entering it is the anchor, and a fan is enrolled once)."""
    if playbook.anchor == "segment":
        if playbook.segment_id is None:
            return []
        now = utcnow()
        segment = segments_service.get_segment(session, workspace_id, playbook.segment_id)
        return [
            (fan, now)
            for batch in segments_service.iter_matching_ids(
                session, workspace_id, segment.filter_text
            )
            for fan in batch
        ]
    return ANCHOR_SOURCES[playbook.anchor](session, workspace_id, since)


def enrol(
    session: Session,
    workspace_id: int,
    playbook: Playbook,
    anchors: Sequence[tuple[int, datetime]],
) -> list[Enrolment]:
    """Enrol fans not enrolled yet, record their arm, and lay out the treated arm's tasks."""
    enrolled = set(
        session.scalars(
            select(Enrolment.customer_id).where(
                Enrolment.workspace_id == workspace_id, Enrolment.playbook_id == playbook.id
            )
        )
    )
    fresh = {fan: at for fan, at in anchors if fan not in enrolled}
    if not fresh:
        return []
    owners = _owners(session, workspace_id, list(fresh))
    rows = [
        Enrolment(
            workspace_id=workspace_id,
            playbook_id=playbook.id,
            customer_id=fan,
            operator_id=owners.get(fan),
            anchor_at=as_utc(at),
            arm="control"
            if held_out(f"playbook:{playbook.id}", fan, playbook.holdout_percent)
            else "treated",
        )
        for fan, at in fresh.items()
    ]
    session.add_all(rows)
    session.flush()
    _lay_out(session, workspace_id, playbook, [r for r in rows if r.arm == "treated"])
    return rows


def _owners(session: Session, workspace_id: int, fans: list[int]) -> dict[int, int | None]:
    """Each fan's operator: the staff member it follows in WeCom when linked to an operator,
    else the operator it is shared out to."""
    owners: dict[int, int | None] = {}
    staff = {s.userid: s.operator_id for s in wecom.staff_of(session, workspace_id)}
    for fan, relations in wecom.external_userids_of(session, workspace_id, fans).items():
        linked = [staff.get(userid) for _, userid in relations if staff.get(userid)]
        if linked:
            owners[fan] = linked[0]
    rest = [fan for fan in fans if fan not in owners]
    reach = OperatorTaskChannel().plan(session, workspace_id, rest)
    for sender, sent_to in reach.by_sender.items():
        for fan in sent_to:
            owners[fan] = reach.operators[sender]
    return owners


def _lay_out(
    session: Session, workspace_id: int, playbook: Playbook, enrolments: list[Enrolment]
) -> None:
    if not enrolments:
        return
    tz = workspace_timezone(session, workspace_id)
    steps = steps_of(session, playbook)
    fans = [e.customer_id for e in enrolments]
    texts = {
        step.id: personalise(session, workspace_id, fans, step.text, SYSTEM) if step.text else {}
        for step in steps
    }
    session.add_all(
        OutreachTask(
            workspace_id=workspace_id,
            enrolment_id=enrolment.id,
            step_id=step.id,
            customer_id=enrolment.customer_id,
            operator_id=enrolment.operator_id,
            kind=step.kind,
            text=texts[step.id].get(enrolment.customer_id, step.text),
            due_at=due_at(step, enrolment.anchor_at, tz),
        )
        for enrolment in enrolments
        for step in steps
    )
    session.flush()


def enrol_due(session: Session, workspace_id: int, playbook: Playbook) -> int:
    """One enrolment run of a playbook: fans whose anchor happened in the look-back window."""
    since = max(as_utc(playbook.created_at), utcnow()) - LOOKBACK
    return len(
        enrol(session, workspace_id, playbook, anchors_for(session, workspace_id, playbook, since))
    )


# --- working due tasks -------------------------------------------------------------------------


def stop_reasons(
    session: Session, workspace_id: int, playbook: Playbook, enrolments: list[Enrolment]
) -> dict[int, str]:
    """Enrolment id → the first stop condition that now holds for it."""
    found: dict[int, str] = {}
    if not enrolments:
        return found
    since = min(as_utc(e.anchor_at) for e in enrolments)
    fans = [e.customer_id for e in enrolments]
    checks: dict[str, Callable[[], set[int]]] = {
        "ordered": lambda: orders.first_paid_since(session, workspace_id, fans, since),
        "replied": lambda: community.spoke_since(session, workspace_id, fans, since),
        "left": lambda: (
            set(wecom.lost_customers(session, workspace_id, since))
            | community.left_since(session, workspace_id, fans, since)
        ),
    }
    for condition in playbook.stop_on:
        hit = checks[condition]()
        for enrolment in enrolments:
            if enrolment.customer_id in hit and enrolment.id not in found:
                found[enrolment.id] = condition
    return found


def work_due_tasks(session: Session, workspace_id: int, playbook: Playbook, now: datetime) -> int:
    """Work the playbook's tasks due by ``now`` that nobody looked at yet; returns how many."""
    due = list(
        session.scalars(
            select(OutreachTask)
            .join(Enrolment, Enrolment.id == OutreachTask.enrolment_id)
            .where(
                OutreachTask.workspace_id == workspace_id,
                Enrolment.playbook_id == playbook.id,
                Enrolment.state == "active",
                OutreachTask.state == "pending",
                OutreachTask.due_at <= now,
            )
        )
    )
    if not due:
        return 0
    enrolments = {
        e.id: e
        for e in session.scalars(
            select(Enrolment).where(Enrolment.id.in_({t.enrolment_id for t in due}))
        )
    }
    stopped = stop_reasons(session, workspace_id, playbook, list(enrolments.values()))
    _stop(session, [enrolments[i] for i in stopped], stopped)
    live = [t for t in due if t.enrolment_id not in stopped]
    if connection_of(session, workspace_id) is not None:
        messages = [t for t in live if t.kind in STEP_CHANNELS]
        send_through_wecom(session, workspace_id, playbook, messages, now)
    else:
        messages = [t for t in live if t.kind == "message"]
        _apply_quota(session, workspace_id, playbook, messages, now)
    for task in live:
        _apply(session, workspace_id, playbook, task)
    session.flush()
    return len(due)


def _stop(session: Session, enrolments: list[Enrolment], reasons: dict[int, str]) -> None:
    for enrolment in enrolments:
        enrolment.state, enrolment.stop_reason = "stopped", reasons[enrolment.id]
    if enrolments:
        session.execute(
            update(OutreachTask)
            .where(
                OutreachTask.enrolment_id.in_([e.id for e in enrolments]),
                OutreachTask.state.in_(("pending", "ready")),
            )
            .values(state="skipped")
            .execution_options(synchronize_session=False)
        )


def _apply_quota(
    session: Session,
    workspace_id: int,
    playbook: Playbook,
    messages: list[OutreachTask],
    now: datetime,
) -> None:
    """Messages the quota refuses are skipped; the rest are counted against each fan's quota."""
    tz = workspace_timezone(session, workspace_id)
    rule = quota_rule(session, workspace_id)
    refused = ledger.refused(session, workspace_id, rule, now, tz, wecom=False)
    allowed = []
    for task in messages:
        if not ledger.allows_any(rule) or task.customer_id in refused:
            task.state, task.delivery = "skipped", "quota_blocked"
        elif content.blocks(check_content(session, workspace_id, task.text, repeat=False)):
            task.state, task.delivery = "blocked", "content_blocked"
        else:
            allowed.append(task)
    for step_id in {t.step_id for t in allowed}:
        fans = [t.customer_id for t in allowed if t.step_id == step_id and t.customer_id]
        ledger.record(
            session, workspace_id, "playbook", int(step_id or 0), "operator_task", fans, now
        )


# --- sending through WeCom -------------------------------------------------------------------

# The channel each message step goes out through when the workspace is connected to WeCom.
STEP_CHANNELS = {"message": "wecom_single", "group_message": "wecom_group"}
OPEN_SENDS = ("created", "waiting")


def send_through_wecom(
    session: Session,
    workspace_id: int,
    playbook: Playbook,
    messages: list[OutreachTask],
    now: datetime,
) -> None:
    """Each step's due messages, one step after the other: a step's receipts count before
    the next step's quota is looked at."""
    by_step: dict[int, list[OutreachTask]] = {}
    for task in _claim(session, messages):
        if task.step_id is not None and task.customer_id is not None:
            by_step.setdefault(task.step_id, []).append(task)
    for step_id in sorted(by_step):
        step = session.get_one(PlaybookStep, step_id)
        _send_step(session, workspace_id, playbook, step, by_step[step_id], now)


def _claim(session: Session, tasks: list[OutreachTask]) -> list[OutreachTask]:
    """Take the due messages with one conditional UPDATE, so that of two runs at once only
    one creates WeCom tasks for a fan's step; the others are reloaded as the winner left them."""
    if not tasks:
        return []
    claimed = set(
        session.scalars(
            update(OutreachTask)
            .where(OutreachTask.id.in_([t.id for t in tasks]), OutreachTask.state == "pending")
            .values(state="ready")
            .returning(OutreachTask.id)
            .execution_options(synchronize_session=False)
        )
    )
    for task in tasks:
        if task.id in claimed:
            task.state = "ready"
        else:
            session.refresh(task)
    return [t for t in tasks if t.id in claimed]


def _send_step(
    session: Session,
    workspace_id: int,
    playbook: Playbook,
    step: PlaybookStep,
    tasks: list[OutreachTask],
    now: datetime,
) -> None:
    """The step's text is checked first (a block stops the whole step); then fans are planned
    as a broadcast plans its audience (exclusions, reach, quota) and each sender gets one
    WeCom task for the fans planned for them."""
    if content.blocks(check_content(session, workspace_id, step.text, repeat=False)):
        _settle(tasks, "blocked", "content_blocked")
        return
    channel = channel_for(STEP_CHANNELS[step.kind])
    by_fan = {int(t.customer_id or 0): t for t in tasks}
    plan = plan_audience(
        session, workspace_id, list(by_fan), channel, holdout_percent=0, salt="", at=now
    )
    planned: dict[str, list[int]] = {}
    for fan, status in plan.status.items():
        if status == "planned":
            planned.setdefault(plan.sender[fan], []).append(fan)
        else:
            _settle([by_fan[fan]], "skipped", status)
    for sender_key, fans in planned.items():
        send = PlaybookSend(
            workspace_id=workspace_id,
            playbook_id=playbook.id,
            step_id=step.id,
            channel=channel.name,
            sender=sender_key,
            operator_id=plan.operator.get(fans[0]),
            fans=len(fans),
        )
        session.add(send)
        session.flush()
        _create_send(session, workspace_id, channel, send, step, [by_fan[f] for f in fans], now)


def _create_send(
    session: Session,
    workspace_id: int,
    channel: Channel,
    send: PlaybookSend,
    step: PlaybookStep,
    tasks: list[OutreachTask],
    now: datetime,
) -> None:
    fans = [int(t.customer_id or 0) for t in tasks]
    request = SendTask(None, send.sender, send.operator_id, fans, step.text)
    try:
        send.external_id = channel.create_task(session, workspace_id, request)
    except (WecomError, WecomUnavailable, NotFound) as error:
        log.warning("playbook step %s: sender %s refused: %s", step.id, send.sender, error)
        send.state = "failed"
        _settle(tasks, "skipped", "failed")
        return
    ledger.record(session, workspace_id, "playbook", step.id, channel.name, fans, now)
    for task in tasks:
        task.state, task.delivery, task.send_id = "ready", "planned", send.id


def _settle(tasks: list[OutreachTask], state: str, delivery: str) -> None:
    for task in tasks:
        task.state, task.delivery = state, delivery
        if state == "done":
            task.done_at = utcnow()


def sends_waiting(session: Session) -> list[tuple[int, int]]:
    """(workspace id, send id) of every playbook WeCom task waiting for results."""
    rows = session.execute(
        select(PlaybookSend.workspace_id, PlaybookSend.id).where(PlaybookSend.state.in_(OPEN_SENDS))
    )
    return [(int(w), int(s)) for w, s in rows]


def follow_send(session: Session, workspace_id: int, send_id: int) -> PlaybookSend:
    """Follow one playbook WeCom task the way a broadcast's are followed (results, reminders),
    and write each fan's result on their step task."""
    not_found = NotFound("playbook-send-not-found", title=N_("Playbook send not found"))
    send = get_in_workspace(session, PlaybookSend, workspace_id, send_id, not_found)
    if send.state not in OPEN_SENDS:
        return send
    tasks = {
        int(t.customer_id or 0): t
        for t in session.scalars(
            select(OutreachTask).where(
                OutreachTask.workspace_id == workspace_id, OutreachTask.send_id == send.id
            )
        )
    }
    step = session.get_one(PlaybookStep, send.step_id)
    request = SendTask(
        None, send.sender, send.operator_id, list(tasks), step.text, send.external_id
    )
    results = follow_task(session, workspace_id, channel_for(send.channel), send, request)
    for status, fans in results.items():
        _settle(
            [tasks[f] for f in fans if f in tasks],
            "done" if status == "sent" else "skipped",
            status,
        )
    session.flush()
    return send


# A step task's outcome when no WeCom result names it: from its state.
STATE_DELIVERY = {
    "ready": "planned",
    "done": "sent",
    "skipped": "stopped",
    "blocked": "content_blocked",
}


def step_deliveries(
    session: Session, workspace_id: int, playbook: Playbook
) -> dict[int, dict[str, int]]:
    """Step id → its due message tasks by outcome (sent, waiting, quota blocked, ...)."""
    rows = session.execute(
        select(OutreachTask.step_id, OutreachTask.delivery, OutreachTask.state, func.count())
        .join(PlaybookStep, PlaybookStep.id == OutreachTask.step_id)
        .where(
            OutreachTask.workspace_id == workspace_id,
            PlaybookStep.playbook_id == playbook.id,
            OutreachTask.kind.in_(tuple(STEP_CHANNELS)),
            OutreachTask.state != "pending",
        )
        .group_by(OutreachTask.step_id, OutreachTask.delivery, OutreachTask.state)
    )
    found: dict[int, dict[str, int]] = {}
    for step_id, delivery, state, count in rows:
        outcome = delivery or STATE_DELIVERY.get(state, state)
        counts = found.setdefault(int(step_id or 0), {})
        counts[outcome] = counts.get(outcome, 0) + int(count)
    return found


def _apply(session: Session, workspace_id: int, playbook: Playbook, task: OutreachTask) -> None:
    """Tags and coupons are applied now; messages and tasks wait in the operator's list."""
    if task.state != "pending" or task.customer_id is None:
        return
    task.state = "ready"
    step = session.get_one(PlaybookStep, task.step_id)
    if task.kind == "tag" and step.tag_name:
        tag = customers_service.ensure_tag(session, workspace_id, "SOP", step.tag_name, SYSTEM)
        customers_service.tag_customer(session, workspace_id, task.customer_id, tag.id, SYSTEM)
        _done(task)
    elif task.kind == "coupon" and step.coupon_campaign_id is not None:
        from siyu.coupons import service as coupons

        coupons.issue(
            session, workspace_id, step.coupon_campaign_id, SYSTEM, customer_ids=[task.customer_id]
        )
        _done(task)


def _done(task: OutreachTask) -> None:
    task.state, task.done_at = "done", utcnow()


# --- the operators' list -----------------------------------------------------------------------


def tasks_today(
    session: Session, workspace_id: int, operator_id: int | None, now: datetime | None = None
) -> list[OutreachTask]:
    """An operator's tasks due by the end of today (business day), pending first."""
    tz = workspace_timezone(session, workspace_id)
    now = now or utcnow()
    end = day_bounds(business_day(now, tz), tz)[1]
    start = day_bounds(business_day(now, tz), tz)[0]
    statement = select(OutreachTask).where(
        OutreachTask.workspace_id == workspace_id,
        OutreachTask.kind.in_(("message", "group_message", "task")),
        OutreachTask.send_id.is_(None),  # WeCom sends are confirmed in the WeCom client
        OutreachTask.due_at < end,
        OutreachTask.state.in_(("pending", "ready")) | (OutreachTask.done_at >= start),
    )
    if operator_id is not None:
        statement = statement.where(OutreachTask.operator_id == operator_id)
    return list(
        session.scalars(
            statement.order_by(OutreachTask.state.desc(), OutreachTask.due_at).limit(500)
        )
    )


def mark_done(session: Session, workspace_id: int, task_id: int, actor: Actor) -> OutreachTask:
    not_found = NotFound("task-not-found", title=N_("Task not found"))
    task = get_in_workspace(session, OutreachTask, workspace_id, task_id, not_found)
    if task.state in ("pending", "ready"):
        _done(task)
        session.flush()
        audit.record(
            session,
            actor,
            "outreach.task_done",
            workspace_id=workspace_id,
            target_type="outreach_task",
            target_id=task.id,
        )
    return task


def completion(
    session: Session, workspace_id: int, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Per operator: tasks due by the end of today, and how many of them are done."""
    tz = workspace_timezone(session, workspace_id)
    end = day_bounds(business_day(now or utcnow(), tz), tz)[1]
    rows = session.execute(
        select(
            OutreachTask.operator_id,
            func.count(),
            func.count().filter(OutreachTask.state == "done"),
        )
        .where(
            OutreachTask.workspace_id == workspace_id,
            OutreachTask.kind.in_(("message", "group_message", "task")),
            OutreachTask.send_id.is_(None),
            OutreachTask.due_at < end,
            OutreachTask.state.in_(("pending", "ready", "done")),
        )
        .group_by(OutreachTask.operator_id)
    )
    return [{"operator_id": op, "due": int(due), "done": int(done)} for op, due, done in rows]


def active_playbooks(session: Session) -> list[tuple[int, int]]:
    rows = session.execute(
        select(Playbook.workspace_id, Playbook.id).where(Playbook.is_active.is_(True))
    )
    return [(int(w), int(p)) for w, p in rows]


def enrolment_counts(session: Session, workspace_id: int) -> dict[int, dict[str, int]]:
    """Playbook id → enrolments by arm and state (the playbooks page)."""
    rows = session.execute(
        select(Enrolment.playbook_id, Enrolment.arm, Enrolment.state, func.count())
        .where(Enrolment.workspace_id == workspace_id)
        .group_by(Enrolment.playbook_id, Enrolment.arm, Enrolment.state)
    )
    found: dict[int, dict[str, int]] = {}
    for playbook_id, arm, state, count in rows:
        counts = found.setdefault(int(playbook_id), {"treated": 0, "control": 0, "stopped": 0})
        counts[arm] += int(count)
        if state == "stopped":
            counts["stopped"] += int(count)
    return found
