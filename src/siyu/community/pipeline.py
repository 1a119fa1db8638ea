"""The bot's message pipeline: ingest a batch, decide, claim cooldowns, reply, hand off.

Cooldowns are claimed with a conditional ``UPDATE ... WHERE last_reply_at <= now - cooldown``
(or an ``INSERT ... ON CONFLICT DO NOTHING`` for the first reply), so two processes ingesting
the same group at once never both answer inside one cooldown.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from siyu.community import service as groups
from siyu.community.matching import (
    IncomingMessage,
    MatchContext,
    decide,
    normalise,
)
from siyu.community.matching.moderation import SentMessage
from siyu.community.messages import BatchOutcome, MessageIn, ReplyOut
from siyu.community.models import (
    BotReply,
    FanGroup,
    GroupMessage,
    RuleCooldown,
)
from siyu.community.moderation import _add_flag, _flag_incoming, _flag_outgoing, _moderator
from siyu.community.rules import load_matcher
from siyu.community.tickets import open_ticket
from siyu.kit.clock import as_utc, utcnow
from siyu.kit.errors import Unprocessable
from siyu.kit.i18n import N_
from siyu.outreach import service as content_check
from siyu.workspace import service as workspace_service

PURCHASE_WORDS = ("买了", "收到", "到货", "入手", "回购", "下单", "晒单", "买家秀", "上脸", "试用")
AFTER_SALES_WORDS = (
    "退款",
    "退货",
    "换货",
    "破损",
    "坏了",
    "发错",
    "少发",
    "漏发",
    "没收到",
    "质量问题",
    "售后",
)
MAX_BATCH = 500


# --- cooldowns --------------------------------------------------------------------------


def last_reply_at(
    session: Session, workspace_id: int, rule_id: str, conversation: str
) -> datetime | None:
    return session.scalar(
        select(RuleCooldown.last_reply_at).where(
            RuleCooldown.workspace_id == workspace_id,
            RuleCooldown.rule_id == int(rule_id),
            RuleCooldown.conversation == conversation,
        )
    )


def claim_cooldown(
    session: Session,
    workspace_id: int,
    rule_id: int,
    conversation: str,
    at: datetime,
    cooldown_seconds: int,
) -> bool:
    """Record that the rule answers now, unless another answer is within its cooldown. Atomic:
    of two processes racing for one conversation, one wins."""
    result = session.execute(
        update(RuleCooldown)
        .where(
            RuleCooldown.workspace_id == workspace_id,
            RuleCooldown.rule_id == rule_id,
            RuleCooldown.conversation == conversation,
            RuleCooldown.last_reply_at <= at - timedelta(seconds=cooldown_seconds),
        )
        .values(last_reply_at=at)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount:  # type: ignore[attr-defined]
        return True
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    inserted = session.execute(
        insert(RuleCooldown)
        .values(
            workspace_id=workspace_id, rule_id=rule_id, conversation=conversation, last_reply_at=at
        )
        .on_conflict_do_nothing()
    )
    return bool(inserted.rowcount)  # type: ignore[attr-defined]


# --- the message pipeline ---------------------------------------------------------------


def _insert(session: Session) -> Any:
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def ingest_messages(
    session: Session, workspace_id: int, messages: Sequence[MessageIn]
) -> BatchOutcome:
    """Store a batch of chat messages (idempotent by message id), let the bot answer fans'
    messages, open tickets for hand-offs, and flag spam and risky replies."""
    if len(messages) > MAX_BATCH:
        raise Unprocessable("batch-too-large", title=N_("Send at most 500 messages per batch"))
    outcome = BatchOutcome()
    by_ref = groups.groups_by_ref(
        session, workspace_id, [m.group_ref for m in messages if m.group_ref]
    )
    normalised: dict[str, str] = {}  # msg_id -> normal form, computed once for checks and bot
    rows, kept = _rows(workspace_id, messages, by_ref, outcome, normalised)
    stored = _store(session, rows)
    outcome.accepted = len(stored)
    outcome.duplicates = len(rows) - len(stored)
    fresh = [(message, stored[message.msg_id]) for message in kept if message.msg_id in stored]
    if fresh:
        _react(session, workspace_id, fresh, by_ref, outcome, normalised)
    return outcome


def _rows(
    workspace_id: int,
    messages: Sequence[MessageIn],
    by_ref: dict[str, FanGroup],
    outcome: BatchOutcome,
    normalised_texts: dict[str, str],
) -> tuple[list[dict[str, Any]], list[MessageIn]]:
    rows: dict[str, dict[str, Any]] = {}
    kept = []
    for message in messages:
        reason = _invalid(message, by_ref)
        if reason:
            outcome.rejected.append((message.msg_id, reason))
            continue
        if message.msg_id in rows:
            outcome.duplicates += 1
            continue
        group = by_ref.get(message.group_ref or "") if message.chat == "group" else None
        normalised = normalised_texts[message.msg_id] = normalise(message.text)
        rows[message.msg_id] = {
            "workspace_id": workspace_id,
            "msg_id": message.msg_id,
            "chat": message.chat,
            "group_id": group.id if group else None,
            "sender_ref": message.sender_ref,
            "sender_role": message.sender_role,
            "msg_type": message.msg_type,
            "text": message.text,
            "reply_to_ref": message.reply_to_ref,
            "is_push": message.is_push and message.sender_role == "staff",
            "is_buyer_show": _is_buyer_show(message, normalised),
            "is_after_sales": message.sender_role == "fan"
            and any(word in normalised for word in AFTER_SALES_WORDS),
            "sent_at": as_utc(message.sent_at),
            "received_at": utcnow(),
        }
        kept.append(message)
    return list(rows.values()), kept


def _invalid(message: MessageIn, by_ref: dict[str, FanGroup]) -> str | None:
    if not message.msg_id or len(message.msg_id) > 128:
        return "msg_id must be 1-128 characters"
    if message.chat not in ("group", "private"):
        return "chat must be group or private"
    if message.sender_role not in ("fan", "staff"):
        return "sender_role must be fan or staff"
    if not message.sender_ref:
        return "sender_ref is required"
    if message.chat == "group":
        if not message.group_ref:
            return "group messages need group_ref"
        if message.group_ref not in by_ref:
            return f"unknown group_ref {message.group_ref!r}"
    return None


def _is_buyer_show(message: MessageIn, normalised: str) -> bool:
    """A fan's picture with purchase words (a caption, or the text sent with it)."""
    if message.sender_role != "fan":
        return False
    return message.msg_type == "image" and any(word in normalised for word in PURCHASE_WORDS)


def _store(session: Session, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Insert what is new, skip what is already stored (also when a parallel batch stores the
    same ids at the same moment); msg_id -> id of the rows this call inserted."""
    if not rows:
        return {}
    statement = (
        _insert(session)(GroupMessage)
        .on_conflict_do_nothing(index_elements=["workspace_id", "msg_id"])
        .returning(GroupMessage.msg_id, GroupMessage.id)
    )
    stored: dict[str, int] = {}
    for chunk in range(0, len(rows), 200):
        result = session.execute(statement, rows[chunk : chunk + 200])
        stored.update({msg_id: row_id for msg_id, row_id in result})
    return stored


def _react(
    session: Session,
    workspace_id: int,
    fresh: list[tuple[MessageIn, int]],
    by_ref: dict[str, FanGroup],
    outcome: BatchOutcome,
    normalised: dict[str, str],
) -> None:
    timezone = workspace_service.workspace_timezone(session, workspace_id)
    settings = groups.settings_of(session, workspace_id)
    matcher = load_matcher(session, workspace_id)
    moderator = _moderator(settings.sensitive_words)
    members = groups.member_nicknames(
        session,
        workspace_id,
        {(by_ref[m.group_ref].id, m.sender_ref) for m, _ in fresh if m.group_ref in by_ref},
    )
    history = _recent_history(session, workspace_id, fresh)
    for message, row_id in sorted(fresh, key=lambda pair: as_utc(pair[0].sent_at)):
        group = by_ref.get(message.group_ref or "") if message.chat == "group" else None
        known = members.get((group.id, message.sender_ref)) if group else None
        nickname = message.sender_name or (known[1] if known else None)
        customer_id = known[0] if known else None
        if customer_id is not None:
            session.execute(
                update(GroupMessage)
                .where(GroupMessage.id == row_id)
                .values(customer_id=customer_id)
                .execution_options(synchronize_session=False)
            )
        if message.sender_role == "staff":
            _flag_outgoing(session, workspace_id, moderator, message, row_id, group, outcome)
            continue
        _flag_incoming(session, workspace_id, moderator, message, row_id, group, history, outcome)
        context = MatchContext(
            timezone,
            lambda rule_id, conversation: last_reply_at(
                session, workspace_id, rule_id, conversation
            ),
            {
                "nickname": nickname,
                "group_name": group.name if group else None,
                "next_live_time": settings.next_live_time,
            },
        )
        incoming = IncomingMessage(
            text=message.text,
            sender_role="fan",
            chat="group" if group else "private",
            sent_at=as_utc(message.sent_at),
            group_id=str(group.id) if group else None,
            group_type=group.group_type if group else None,
            sender_id=message.sender_ref,
            normalised_text=normalised[message.msg_id],
        )
        decision = decide(matcher, incoming, context)
        if decision is None:
            continue
        rule_id = int(decision.rule.id)
        if not claim_cooldown(
            session,
            workspace_id,
            rule_id,
            incoming.conversation_id,
            incoming.sent_at,
            decision.rule.cooldown_seconds,
        ):
            continue  # another process answered this conversation a moment ago
        flags = moderator.check_outgoing(decision.reply)
        # Every outbound text passes outreach's content check; a blocked reply is held.
        refused = not content_check.reply_allowed(session, workspace_id, decision.reply)
        session.add(
            BotReply(
                workspace_id=workspace_id,
                message_id=row_id,
                rule_id=rule_id,
                group_id=group.id if group else None,
                kind=decision.kind,
                text=decision.reply,
                held=bool(flags) or refused,
            )
        )
        for flag in flags:
            _add_flag(session, workspace_id, "outgoing", flag, group, None, "bot", decision.reply)
            outcome.flags += 1
        outcome.replies.append(
            ReplyOut(
                message.msg_id,
                rule_id,
                decision.kind,
                decision.reply,
                message.group_ref,
                bool(flags) or refused,
                flags,
            )
        )
        if decision.kind == "handoff":
            ticket = open_ticket(
                session, workspace_id, group, row_id, rule_id, customer_id, message
            )
            outcome.tickets.append(ticket)
    session.flush()


def _recent_history(
    session: Session, workspace_id: int, fresh: list[tuple[MessageIn, int]]
) -> dict[tuple[int | None, str], list[SentMessage]]:
    """Each fan sender's messages of the last minute before and in the batch, per chat."""
    fans = {m.sender_ref for m, _ in fresh if m.sender_role == "fan"}
    if not fans:
        return {}
    since = min(as_utc(m.sent_at) for m, _ in fresh) - timedelta(seconds=60)
    ids = {row_id for _, row_id in fresh}
    rows = session.execute(
        select(
            GroupMessage.id,
            GroupMessage.group_id,
            GroupMessage.sender_ref,
            GroupMessage.text,
            GroupMessage.sent_at,
        ).where(
            GroupMessage.workspace_id == workspace_id,
            GroupMessage.sender_ref.in_(fans),
            GroupMessage.sent_at >= since,
        )
    )
    history: dict[tuple[int | None, str], list[SentMessage]] = defaultdict(list)
    for row_id, group_id, sender, text, sent_at in rows:
        if row_id not in ids:
            history[(group_id, sender)].append(SentMessage(text, as_utc(sent_at)))
    return history
