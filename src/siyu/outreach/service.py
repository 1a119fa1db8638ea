"""Outreach rules: settings, the content check with the workspace's own words, unsubscribes,
and broadcasts from audience planning to per-fan results."""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from siyu.connectors.wecom import service as wecom
from siyu.connectors.wecom.client import WecomError, WecomUnavailable
from siyu.customers import service as customers_service
from siyu.customers.outbound import placeholder_problems
from siyu.kit.bulk import insert_rows
from siyu.kit.clock import as_utc, utcnow
from siyu.kit.errors import NotFound, Unprocessable
from siyu.kit.i18n import N_
from siyu.kit.sql import get_in_workspace
from siyu.outreach import attachments, content, ledger
from siyu.outreach.channels import Channel, SendTask, channel_for
from siyu.outreach.models import (
    Broadcast,
    BroadcastMember,
    BroadcastTask,
    ContentTerm,
    OutreachSettings,
    PlaybookSend,
    SentText,
    Unsubscribe,
)
from siyu.segments import service as segments_service
from siyu.workspace import audit
from siyu.workspace.audit import Actor
from siyu.workspace.service import workspace_timezone

log = logging.getLogger("siyu.outreach")

REPEAT_WINDOW = timedelta(days=7)
MEMBER_CHUNK = 5000
# Member statuses once a send is planned, and how the broadcast's counters read them.
PLANNED_STATUSES = ("planned", "sent", "not_friend", "quota_refused", "failed")
FAILED_STATUSES = ("not_friend", "quota_refused", "failed")

# --- settings ----------------------------------------------------------------------------------


def settings_of(session: Session, workspace_id: int) -> OutreachSettings:
    """The workspace's settings, or the defaults (WeCom's own month-long quota, no cap)."""
    found = session.get(OutreachSettings, workspace_id)
    return found or OutreachSettings(workspace_id=workspace_id, wecom_quota="monthly_days")


def put_settings(
    session: Session,
    workspace_id: int,
    wecom_quota: str,
    max_per_fan_per_week: int | None,
    actor: Actor,
) -> OutreachSettings:
    row = session.get(OutreachSettings, workspace_id)
    if row is None:
        row = OutreachSettings(workspace_id=workspace_id)
        session.add(row)
    row.wecom_quota = wecom_quota
    row.max_per_fan_per_week = max_per_fan_per_week
    row.updated_at = utcnow()
    session.flush()
    audit.record(
        session,
        actor,
        "outreach.settings",
        workspace_id=workspace_id,
        detail={"wecom_quota": wecom_quota, "max_per_fan_per_week": max_per_fan_per_week},
    )
    return row


def quota_rule(session: Session, workspace_id: int) -> ledger.QuotaRule:
    row = settings_of(session, workspace_id)
    return ledger.QuotaRule(row.wecom_quota, row.max_per_fan_per_week)


def _timezone(session: Session, workspace_id: int) -> str:
    return workspace_timezone(session, workspace_id)


# --- the content check -------------------------------------------------------------------------


class ContentRefused(Unprocessable):
    """A text with ``block`` findings: nothing is sent, the findings say why."""

    def __init__(self, findings: Sequence[content.Finding]) -> None:
        blocking = [f for f in findings if f.severity == "block"]
        super().__init__(
            "content-refused",
            title=N_("The text breaks the message rules"),
            detail="; ".join(f"{f.category}: {f.term}" for f in blocking),
            findings=[f.as_dict() for f in findings],
        )
        self.findings = list(findings)


def list_terms(session: Session, workspace_id: int) -> list[ContentTerm]:
    return list(
        session.scalars(
            select(ContentTerm)
            .where(ContentTerm.workspace_id == workspace_id)
            .order_by(ContentTerm.category, ContentTerm.term)
        )
    )


def add_term(
    session: Session,
    workspace_id: int,
    *,
    term: str,
    category: str,
    severity: str,
    suggestion: str | None,
    actor: Actor,
) -> ContentTerm:
    term = term.strip()
    if not content.skeleton(term)[0]:
        raise Unprocessable(
            "invalid-term",
            title=N_("A term needs a letter or a digit"),
            errors=[{"field": "term", "message": "a term needs a letter or a digit"}],
        )
    exists = session.scalar(
        select(ContentTerm).where(
            ContentTerm.workspace_id == workspace_id,
            ContentTerm.category == category,
            ContentTerm.term == term,
        )
    )
    if exists is not None:
        return exists
    row = ContentTerm(
        workspace_id=workspace_id,
        term=term,
        category=category,
        severity=severity,
        suggestion=suggestion or None,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        "outreach.term_add",
        workspace_id=workspace_id,
        target_type="content_term",
        target_id=row.id,
        detail={"term": term, "category": category},
    )
    return row


def delete_term(session: Session, workspace_id: int, term_id: int, actor: Actor) -> None:
    not_found = NotFound("content-term-not-found", title=N_("Term not found"))
    row = get_in_workspace(session, ContentTerm, workspace_id, term_id, not_found)
    session.delete(row)
    session.flush()
    audit.record(
        session,
        actor,
        "outreach.term_delete",
        workspace_id=workspace_id,
        target_type="content_term",
        target_id=term_id,
        detail={"term": row.term},
    )


def word_list_of(session: Session, workspace_id: int) -> content.WordList:
    rows = list_terms(session, workspace_id)
    return content.word_list(
        [
            content.Term(r.term, r.category, r.severity, r.suggestion)
            for r in rows
            if r.category != "exemption"
        ],
        [r.term for r in rows if r.category == "exemption"],
    )


def check_content(
    session: Session, workspace_id: int, text: str, *, repeat: bool = True
) -> list[content.Finding]:
    """Every finding on ``text``; ``repeat`` also looks for the same text sent in 7 days."""
    findings = content.check_terms(text, word_list_of(session, workspace_id))
    if repeat and _sent_recently(session, workspace_id, text):
        findings.append(content.repeat_finding(text))
    return findings


def require_sendable(
    session: Session,
    workspace_id: int,
    text: str,
    *,
    repeat: bool = True,
    card_texts: Sequence[str] = (),
) -> list[content.Finding]:
    """The findings to show, or :class:`ContentRefused` when any of them blocks the send.
    ``card_texts`` (an attachment's title and description) are checked too; their findings
    index the card text they were found in."""
    findings = check_content(session, workspace_id, text, repeat=repeat)
    for card_text in card_texts:
        findings += check_content(session, workspace_id, card_text, repeat=False)
    if content.blocks(findings):
        raise ContentRefused(findings)
    return findings


def reply_allowed(session: Session, workspace_id: int, text: str) -> bool:
    """For the keyword bot: may this reply go out (no ``block`` finding)?"""
    return not content.blocks(check_content(session, workspace_id, text, repeat=False))


def check_welcome(session: Session, workspace_id: int, text: str) -> str:
    """The WeCom connector's welcome passes the check too (repeats are expected there)."""
    require_sendable(session, workspace_id, text, repeat=False)
    return text


if check_welcome not in wecom.WELCOME_TEXT_CHECKS:
    wecom.WELCOME_TEXT_CHECKS.append(check_welcome)


def _sent_recently(session: Session, workspace_id: int, text: str) -> bool:
    since = utcnow() - REPEAT_WINDOW
    return (
        session.scalar(
            select(SentText.id)
            .where(
                SentText.workspace_id == workspace_id,
                SentText.digest == content.digest(text),
                SentText.sent_at >= since,
            )
            .limit(1)
        )
        is not None
    )


def note_sent_text(session: Session, workspace_id: int, text: str, at: datetime) -> None:
    session.add(SentText(workspace_id=workspace_id, digest=content.digest(text), sent_at=at))


# --- unsubscribes ------------------------------------------------------------------------------


def unsubscribe(session: Session, workspace_id: int, customer_id: int, actor: Actor) -> None:
    customers_service.require_customer(session, workspace_id, customer_id)
    if session.scalar(
        select(Unsubscribe.id).where(
            Unsubscribe.workspace_id == workspace_id, Unsubscribe.customer_id == customer_id
        )
    ):
        return
    session.add(Unsubscribe(workspace_id=workspace_id, customer_id=customer_id))
    session.flush()
    audit.record(
        session,
        actor,
        "outreach.unsubscribe",
        workspace_id=workspace_id,
        target_type="customer",
        target_id=customer_id,
    )


def unsubscribed_ids(session: Session, workspace_id: int) -> set[int]:
    return set(
        session.scalars(
            select(Unsubscribe.customer_id).where(Unsubscribe.workspace_id == workspace_id)
        )
    )


# --- audience planning -------------------------------------------------------------------------


def holdout_bucket(salt: str, customer_id: int) -> int:
    """A fan's stable place in 0..9999 for one broadcast or playbook (``salt``)."""
    digest = hashlib.blake2b(f"{salt}:{customer_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % 10_000


def held_out(salt: str, customer_id: int, holdout_percent: int) -> bool:
    return holdout_bucket(salt, customer_id) < holdout_percent * 100


@dataclass
class AudiencePlan:
    """Each audience member's status (and arm, and operator) before anything is sent."""

    status: dict[int, str] = field(default_factory=dict)
    arm: dict[int, str | None] = field(default_factory=dict)
    sender: dict[int, str] = field(default_factory=dict)
    operator: dict[int, int | None] = field(default_factory=dict)

    def count(self, *statuses: str) -> int:
        counts = Counter(self.status.values())
        return sum(counts[s] for s in statuses)

    def excluded(self) -> dict[str, int]:
        counts = Counter(self.status.values())
        return {name: counts[name] for name in ("no_consent", "unsubscribed", "lost")}


def segment_member_ids(session: Session, workspace_id: int, segment_id: int) -> list[int]:
    segment = segments_service.get_segment(session, workspace_id, segment_id)
    ids: list[int] = []
    for batch in segments_service.iter_matching_ids(
        session, workspace_id, segment.filter_text, batch=MEMBER_CHUNK
    ):
        ids.extend(batch)
    return ids


def plan_audience(
    session: Session,
    workspace_id: int,
    customer_ids: Sequence[int],
    channel: Channel,
    *,
    holdout_percent: int,
    salt: str,
    at: datetime,
) -> AudiencePlan:
    """Exclusions first (no consent, unsubscribed, lost), then the holdout among the rest, then
    the quota among the treated: a held-out fan is compared with treated fans the quota refused
    too, which is what intention to treat asks."""
    plan = AudiencePlan()
    consenting = customers_service.consenting_ids(session, workspace_id, customer_ids)
    unsubscribed = unsubscribed_ids(session, workspace_id)
    reachable = []
    for customer_id in customer_ids:
        if customer_id not in consenting:
            plan.status[customer_id] = "no_consent"
        elif customer_id in unsubscribed:
            plan.status[customer_id] = "unsubscribed"
        else:
            reachable.append(customer_id)
    reach = channel.plan(session, workspace_id, reachable)
    for customer_id in reach.lost:
        plan.status[customer_id] = "lost"
    rule = quota_rule(session, workspace_id)
    tz = _timezone(session, workspace_id)
    refused = ledger.refused(session, workspace_id, rule, at, tz, wecom=channel.uses_wecom_quota)
    nothing_allowed = not ledger.allows_any(rule)
    for sender_key, fans in reach.by_sender.items():
        for customer_id in fans:
            plan.sender[customer_id] = sender_key
            plan.operator[customer_id] = reach.operators.get(sender_key)
            if held_out(salt, customer_id, holdout_percent):
                plan.arm[customer_id] = "control"
                plan.status[customer_id] = "held_out"
                continue
            plan.arm[customer_id] = "treated"
            blocked = nothing_allowed or customer_id in refused
            plan.status[customer_id] = "quota_blocked" if blocked else "planned"
    return plan


# --- broadcasts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class BroadcastCreated:
    broadcast: Broadcast
    findings: list[content.Finding]


def get_broadcast(session: Session, workspace_id: int, broadcast_id: int) -> Broadcast:
    not_found = NotFound("broadcast-not-found", title=N_("Broadcast not found"))
    return get_in_workspace(session, Broadcast, workspace_id, broadcast_id, not_found)


def list_broadcasts(session: Session, workspace_id: int, limit: int = 100) -> list[Broadcast]:
    return list(
        session.scalars(
            select(Broadcast)
            .where(Broadcast.workspace_id == workspace_id)
            .order_by(Broadcast.id.desc())
            .limit(limit)
        )
    )


def create_broadcast(
    session: Session,
    workspace_id: int,
    *,
    name: str,
    segment_id: int,
    channel: str,
    text: str,
    holdout_percent: int,
    send_at: datetime | None,
    actor: Actor,
    attachment: Mapping[str, Any] | None = None,
) -> BroadcastCreated:
    """Check the text (and the attachment's words), keep the attachment, plan the audience
    and record every member's arm and exclusion."""
    problems = placeholder_problems(text)
    if problems:
        raise Unprocessable(
            "invalid-placeholder",
            title=N_("The text has a placeholder that cannot be filled"),
            errors=[{"field": "text", "message": problem} for problem in problems],
        )
    findings = require_sendable(
        session, workspace_id, text, card_texts=attachments.texts_of(attachment)
    )
    sender = channel_for(channel)
    kept = attachments.prepare(session, workspace_id, attachment, channel) if attachment else None
    ids = segment_member_ids(session, workspace_id, segment_id)
    broadcast = Broadcast(
        workspace_id=workspace_id,
        name=name,
        segment_id=segment_id,
        channel=channel,
        text=text,
        holdout_percent=holdout_percent,
        send_at=send_at,
        state="draft",
        warnings=[f.as_dict() for f in findings],
        attachment=kept,
        created_by=actor.id if actor.type == "operator" else None,
    )
    session.add(broadcast)
    session.flush()
    plan = plan_audience(
        session,
        workspace_id,
        ids,
        sender,
        holdout_percent=holdout_percent,
        salt=f"broadcast:{broadcast.id}",
        at=as_utc(send_at) if send_at else utcnow(),
    )
    _record_members(session, broadcast, plan)
    broadcast.audience_size = len(ids)
    broadcast.holdout_size = plan.count("held_out")
    broadcast.excluded = plan.excluded()
    session.flush()
    audit.record(
        session,
        actor,
        "outreach.broadcast_create",
        workspace_id=workspace_id,
        target_type="broadcast",
        target_id=broadcast.id,
        detail={
            "name": name,
            "channel": channel,
            "audience": len(ids),
            "attachment": kept["type"] if kept else None,
        },
    )
    return BroadcastCreated(broadcast, findings)


def _record_members(session: Session, broadcast: Broadcast, plan: AudiencePlan) -> None:
    rows = [
        {
            "workspace_id": broadcast.workspace_id,
            "broadcast_id": broadcast.id,
            "customer_id": customer_id,
            "arm": plan.arm.get(customer_id),
            "status": status,
            "sender": plan.sender.get(customer_id),
            "operator_id": plan.operator.get(customer_id),
        }
        for customer_id, status in plan.status.items()
    ]
    table = BroadcastMember.__table__
    for start in range(0, len(rows), MEMBER_CHUNK):
        insert_rows(session, table, rows[start : start + MEMBER_CHUNK])  # type: ignore[arg-type]


def request_send(session: Session, workspace_id: int, broadcast_id: int, actor: Actor) -> Broadcast:
    """Queue the send (now, or at ``send_at``); a broadcast is sent once."""
    import siyu.outreach.tasks  # noqa: F401 - registers the jobs in processes that didn't yet
    from siyu import jobs

    broadcast = get_broadcast(session, workspace_id, broadcast_id)
    if broadcast.state != "draft":
        raise Unprocessable(
            "broadcast-not-draft",
            title=N_("This broadcast was already sent or scheduled"),
            state=broadcast.state,
        )
    delay = None
    if broadcast.send_at is not None and as_utc(broadcast.send_at) > utcnow():
        delay = as_utc(broadcast.send_at) - utcnow()
    broadcast.state = "scheduled"
    jobs.enqueue(
        session,
        "outreach.send_broadcast",
        {"broadcast_id": broadcast.id},
        workspace_id=workspace_id,
        delay=delay,
    )
    audit.record(
        session,
        actor,
        "outreach.broadcast_send",
        workspace_id=workspace_id,
        target_type="broadcast",
        target_id=broadcast.id,
    )
    return broadcast


def send_broadcast(session: Session, workspace_id: int, broadcast_id: int) -> Broadcast:
    """Create one task per operator. The quota is looked at again: another send may have used
    a fan's quota since the plan. Receipts are written with the tasks, in one transaction, so
    a retried job finds the broadcast no longer scheduled and sends nothing twice."""
    broadcast = get_broadcast(session, workspace_id, broadcast_id)
    if not _claim_send(session, broadcast):
        return broadcast  # another run sent it, or is sending it
    sender = channel_for(broadcast.channel)
    now = utcnow()
    _recheck_quota(session, broadcast, sender, now)
    for sender_key, (operator_id, fans) in _planned_by_sender(session, broadcast).items():
        task = _content_task(broadcast, sender_key, operator_id, fans)
        try:
            external_id = sender.create_task(session, workspace_id, task)
        except (WecomError, WecomUnavailable, NotFound) as error:
            log.warning("broadcast %s: sender %s refused: %s", broadcast.id, sender_key, error)
            _set_status(session, broadcast, fans, "failed")
            state = "failed"
            external_id = None
        else:
            reached = _keep_fan_messages(session, broadcast, task)
            ledger.record(
                session, workspace_id, "broadcast", broadcast.id, broadcast.channel, reached, now
            )
            state = "created"
        session.add(
            BroadcastTask(
                workspace_id=workspace_id,
                broadcast_id=broadcast.id,
                sender=sender_key,
                operator_id=operator_id,
                external_id=external_id,
                state=state,
                fans=len(fans),
            )
        )
    note_sent_text(session, workspace_id, broadcast.text, now)
    broadcast.state = "sending"
    broadcast.sent_at = now
    session.flush()
    return broadcast


# Channels that can carry a link made for each fan: a one-to-one task per fan, or the
# operator's hand-send list. Groups and moments share one link (the fan stays unknown).
PER_FAN_CHANNELS = ("wecom_single", "operator_task")


def _content_task(
    broadcast: Broadcast, sender_key: str, operator_id: int | None, fans: list[int]
) -> SendTask:
    """The sender's task with the broadcast's attachment and the links the landing counts."""
    attachment = broadcast.attachment
    ws, broadcast_id = broadcast.workspace_id, broadcast.id
    fan_urls: dict[int, str] = {}
    if attachments.is_personalised(attachment) and broadcast.channel in PER_FAN_CHANNELS:
        fan_urls = attachments.fan_links(ws, broadcast_id, fans)
    shared = attachments.landing_url(ws, broadcast_id, None)
    return SendTask(
        broadcast_id,
        sender_key,
        operator_id,
        fans,
        broadcast.text,
        attachment=attachment,
        link_url=shared if attachments.is_tracked(attachment) else None,
        fan_urls=fan_urls,
    )


def _keep_fan_messages(session: Session, broadcast: Broadcast, task: SendTask) -> list[int]:
    """Per-fan WeCom tasks are kept on each member for the follow-up; a fan whose task WeCom
    refused failed. The fans reached (whose quota the send uses)."""
    if not task.fan_messages:
        return list(task.customer_ids)
    for customer_id, message_id in task.fan_messages.items():
        session.execute(
            update(BroadcastMember)
            .where(
                BroadcastMember.workspace_id == broadcast.workspace_id,
                BroadcastMember.broadcast_id == broadcast.id,
                BroadcastMember.customer_id == customer_id,
            )
            .values(message_id=message_id)
            .execution_options(synchronize_session=False)
        )
    refused = [c for c in task.customer_ids if c not in task.fan_messages]
    _set_status(session, broadcast, refused, "failed")
    return list(task.fan_messages)


def _claim_send(session: Session, broadcast: Broadcast) -> bool:
    """Move the broadcast from scheduled to sending with one conditional UPDATE: of two runs
    at once, only one finds it scheduled (the other waits for the row, then finds it taken)."""
    claimed = session.execute(
        update(Broadcast)
        .where(
            Broadcast.workspace_id == broadcast.workspace_id,
            Broadcast.id == broadcast.id,
            Broadcast.state == "scheduled",
        )
        .values(state="sending")
        .execution_options(synchronize_session=False)
    )
    session.refresh(broadcast)
    return bool(claimed.rowcount)  # type: ignore[attr-defined]


def _recheck_quota(session: Session, broadcast: Broadcast, sender: Channel, now: datetime) -> None:
    workspace_id = broadcast.workspace_id
    rule = quota_rule(session, workspace_id)
    refused = ledger.refused(
        session,
        workspace_id,
        rule,
        now,
        _timezone(session, workspace_id),
        wecom=sender.uses_wecom_quota,
    )
    planned = _member_ids(session, broadcast, "planned")
    blocked = planned if not ledger.allows_any(rule) else [c for c in planned if c in refused]
    _set_status(session, broadcast, blocked, "quota_blocked")


def _member_ids(session: Session, broadcast: Broadcast, status: str) -> list[int]:
    return list(
        session.scalars(
            select(BroadcastMember.customer_id).where(
                BroadcastMember.workspace_id == broadcast.workspace_id,
                BroadcastMember.broadcast_id == broadcast.id,
                BroadcastMember.status == status,
            )
        )
    )


def _planned_by_sender(
    session: Session, broadcast: Broadcast
) -> dict[str, tuple[int | None, list[int]]]:
    """sender → (its operator, the fans planned for it)."""
    rows = session.execute(
        select(BroadcastMember.sender, BroadcastMember.operator_id, BroadcastMember.customer_id)
        .where(
            BroadcastMember.workspace_id == broadcast.workspace_id,
            BroadcastMember.broadcast_id == broadcast.id,
            BroadcastMember.status == "planned",
        )
        .order_by(BroadcastMember.customer_id)
    )
    found: dict[str, tuple[int | None, list[int]]] = {}
    for sender_key, operator_id, customer_id in rows:
        found.setdefault(str(sender_key), (operator_id, []))[1].append(int(customer_id))
    return found


def _task_fans(session: Session, broadcast: Broadcast, sender_key: str) -> list[int]:
    return list(
        session.scalars(
            select(BroadcastMember.customer_id).where(
                BroadcastMember.workspace_id == broadcast.workspace_id,
                BroadcastMember.broadcast_id == broadcast.id,
                BroadcastMember.sender == sender_key,
                BroadcastMember.status.in_(PLANNED_STATUSES),
            )
        )
    )


def _set_status(
    session: Session, broadcast: Broadcast, customer_ids: Sequence[int], status: str
) -> None:
    for start in range(0, len(customer_ids), MEMBER_CHUNK):
        session.execute(
            update(BroadcastMember)
            .where(
                BroadcastMember.workspace_id == broadcast.workspace_id,
                BroadcastMember.broadcast_id == broadcast.id,
                BroadcastMember.customer_id.in_(customer_ids[start : start + MEMBER_CHUNK]),
            )
            .values(status=status)
            .execution_options(synchronize_session=False)
        )


REMINDERS_PER_DAY = 3  # WeCom's limit for remind_groupmsg_send
REMINDER_SPACING = timedelta(hours=2)


def follow_up(session: Session, workspace_id: int, broadcast_id: int) -> Broadcast:
    """Pull every task's status and per-fan results; remind operators who have not confirmed
    (at most three times a day). A fan WeCom refused for its quota keeps its receipt: the
    quota is used, whoever used it."""
    broadcast = get_broadcast(session, workspace_id, broadcast_id)
    if broadcast.state != "sending":
        return broadcast
    sender = channel_for(broadcast.channel)
    tasks = list(
        session.scalars(
            select(BroadcastTask).where(
                BroadcastTask.workspace_id == workspace_id,
                BroadcastTask.broadcast_id == broadcast.id,
            )
        )
    )
    settled = True
    for task in tasks:
        if task.state == "failed":
            continue
        results = follow_task(
            session, workspace_id, sender, task, _send_task(session, broadcast, task)
        )
        for fan_status, fans in results.items():
            _set_status(session, broadcast, fans, fan_status)
        settled = settled and task.state == "confirmed"
    if settled:
        broadcast.state = "sent"
    session.flush()
    return broadcast


def follow_task(
    session: Session,
    workspace_id: int,
    sender: Channel,
    task: BroadcastTask | PlaybookSend,
    send_task: SendTask,
) -> dict[str, list[int]]:
    """Follow one sender's task, a broadcast's or a playbook step's: pull its status and
    per-fan results, and remind a sender who has not confirmed. Returns the fans whose result
    is known, by result."""
    status = sender.fetch_results(session, workspace_id, send_task)
    by_status: dict[str, list[int]] = {}
    for result in status.results:
        if result.status != "pending":
            by_status.setdefault(result.status, []).append(result.customer_id)
    task.state = "confirmed" if status.confirmed else "waiting"
    if not status.confirmed:
        _maybe_remind(session, workspace_id, sender, task, send_task)
    return by_status


def _send_task(session: Session, broadcast: Broadcast, task: BroadcastTask) -> SendTask:
    fans = _task_fans(session, broadcast, task.sender)
    return SendTask(
        broadcast.id,
        task.sender,
        task.operator_id,
        fans,
        broadcast.text,
        task.external_id,
        attachment=broadcast.attachment,
        fan_messages=_fan_messages(session, broadcast, task.sender),
    )


def _fan_messages(session: Session, broadcast: Broadcast, sender_key: str) -> dict[int, str]:
    rows = session.execute(
        select(BroadcastMember.customer_id, BroadcastMember.message_id).where(
            BroadcastMember.workspace_id == broadcast.workspace_id,
            BroadcastMember.broadcast_id == broadcast.id,
            BroadcastMember.sender == sender_key,
            BroadcastMember.message_id.is_not(None),
        )
    )
    return {int(c): str(m) for c, m in rows}


def _maybe_remind(
    session: Session,
    workspace_id: int,
    sender: Channel,
    task: BroadcastTask | PlaybookSend,
    send_task: SendTask,
) -> None:
    """Remind a sender who has not confirmed: spaced out, at most three times a day."""
    now = utcnow()
    last = as_utc(task.reminded_at) if task.reminded_at else None
    if last is None or now - last >= timedelta(days=1):
        task.reminders_today = 0
    elif now - last < REMINDER_SPACING:
        return
    if task.reminders_today >= REMINDERS_PER_DAY:
        return
    if sender.remind(session, workspace_id, send_task):
        task.reminders_today += 1
        task.reminded_at = now


@dataclass(frozen=True)
class BroadcastCounts:
    planned: int
    quota_blocked: int
    sent: int
    failed: int


def broadcast_counts(session: Session, broadcast: Broadcast) -> BroadcastCounts:
    rows = session.execute(
        select(BroadcastMember.status, func.count())
        .where(
            BroadcastMember.workspace_id == broadcast.workspace_id,
            BroadcastMember.broadcast_id == broadcast.id,
        )
        .group_by(BroadcastMember.status)
    )
    counts = {status: int(n) for status, n in rows}
    return BroadcastCounts(
        planned=sum(counts.get(s, 0) for s in PLANNED_STATUSES),
        quota_blocked=counts.get("quota_blocked", 0),
        sent=counts.get("sent", 0),
        failed=sum(counts.get(s, 0) for s in FAILED_STATUSES),
    )


def operator_status(session: Session, broadcast: Broadcast) -> list[dict[str, Any]]:
    """Per operator: fans given, fans sent, whether the task is confirmed, reminders today."""
    sent = dict(
        session.execute(
            select(BroadcastMember.operator_id, func.count())
            .where(
                BroadcastMember.workspace_id == broadcast.workspace_id,
                BroadcastMember.broadcast_id == broadcast.id,
                BroadcastMember.status == "sent",
            )
            .group_by(BroadcastMember.operator_id)
        ).all()
    )
    tasks = session.scalars(
        select(BroadcastTask)
        .where(
            BroadcastTask.workspace_id == broadcast.workspace_id,
            BroadcastTask.broadcast_id == broadcast.id,
        )
        .order_by(BroadcastTask.id)
    )
    return [
        {
            "operator_id": t.operator_id,
            "fans": t.fans,
            "sent": int(sent.get(t.operator_id, 0)),
            "confirmed": t.state == "confirmed",
            "reminders_today": t.reminders_today,
        }
        for t in tasks
    ]


def broadcasts_sending(session: Session) -> list[tuple[int, int]]:
    """(workspace id, broadcast id) of every broadcast waiting for results."""
    rows = session.execute(
        select(Broadcast.workspace_id, Broadcast.id).where(Broadcast.state == "sending")
    )
    return [(int(w), int(b)) for w, b in rows]
