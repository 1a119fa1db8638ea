"""The keyword bot in the store: rules, the shared matcher, cooldowns, and the message pipeline
(ingest, decide, moderate, hand off).

Sharing between processes: every rule change rebuilds the workspace's matcher in the same
transaction and stores it (blob + version) in ``community_matchers``. Each process keeps a
cache ``{workspace: (version, Matcher)}`` and, before deciding, reads the stored version (one
indexed column); a different version loads the blob again. Nothing lives only in one process.

Cooldowns are claimed with a conditional ``UPDATE ... WHERE last_reply_at <= now - cooldown``
(or an ``INSERT ... ON CONFLICT DO NOTHING`` for the first reply), so two processes ingesting
the same group at once never both answer inside one cooldown.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from siyu.community import labels
from siyu.community import service as groups
from siyu.community.matching import (
    IncomingMessage,
    MatchContext,
    Matcher,
    Rule,
    RuleProblem,
    Scope,
    build_matcher,
    decide,
    normalise,
    test_text,
    validate_rule,
)
from siyu.community.matching.engine import Evaluation
from siyu.community.matching.moderation import Flag, Moderator, SentMessage
from siyu.community.models import (
    AfterSalesTicket,
    AutoReplyRule,
    BotReply,
    FanGroup,
    GroupMessage,
    ModerationFlag,
    OperatorNotification,
    RuleCooldown,
    StoredMatcher,
)
from siyu.kit.clock import as_utc, utcnow
from siyu.kit.errors import NotFound, Unprocessable
from siyu.kit.i18n import N_, gettext
from siyu.kit.pagination import keyset_page
from siyu.kit.sql import check_in_workspace, get_in_workspace
from siyu.outreach import service as content_check
from siyu.workspace import audit
from siyu.workspace import service as workspace_service
from siyu.workspace.audit import Actor

RULE_FIELDS = (
    "name",
    "match",
    "keywords",
    "exclude_keywords",
    "pattern",
    "reply",
    "kind",
    "priority",
    "scope",
    "active_hours",
    "cooldown_seconds",
    "is_active",
)
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

# --- rules ------------------------------------------------------------------------------


def _scope_of(data: dict[str, Any] | None) -> Scope:
    data = data or {}
    types = frozenset(str(t) for t in data.get("group_types") or ())
    ids = frozenset(str(i) for i in data.get("group_ids") or ())
    private = bool(data.get("private_chat", False))
    all_groups = bool(data.get("all_groups", not (types or ids)))
    return Scope(all_groups, types, ids, private)


def scope_record(scope: Scope) -> dict[str, Any]:
    return {
        "all_groups": scope.all_groups,
        "group_types": sorted(scope.group_types),
        "group_ids": sorted(int(i) for i in scope.group_ids if str(i).isdigit()),
        "private_chat": scope.private_chat,
    }


def _hours_of(windows: Sequence[Sequence[str]] | None) -> tuple[tuple[time, time], ...]:
    parsed = []
    for window in windows or ():
        try:
            start, end = window
            parsed.append((time.fromisoformat(str(start)), time.fromisoformat(str(end))))
        except (TypeError, ValueError):
            raise Unprocessable(
                "invalid-active-hours",
                title=N_("Active hours are pairs of times such as 09:00 and 21:00"),
                errors=[{"field": "active_hours", "message": f"cannot read {window!r}"}],
            ) from None
    return tuple(parsed)


def to_rule(row: AutoReplyRule) -> Rule:
    return Rule(
        id=str(row.id),
        name=row.name,
        match=row.match,  # type: ignore[arg-type]
        reply=row.reply,
        created_at=as_utc(row.created_at),
        keywords=tuple(row.keywords or ()),
        exclude_keywords=tuple(row.exclude_keywords or ()),
        pattern=row.pattern,
        kind=row.kind,  # type: ignore[arg-type]
        priority=row.priority,
        scope=_scope_of(row.scope),
        active_hours=_hours_of(row.active_hours),
        cooldown_seconds=row.cooldown_seconds,
    )


class RuleRefused(Unprocessable):
    """A rule that cannot be saved; keeps its problems for the console to show translated
    (the API gives them in English under ``errors``)."""

    def __init__(self, problems: list[RuleProblem]) -> None:
        pattern = any(p.field == "pattern" for p in problems)
        super().__init__(
            "invalid-rule-pattern" if pattern else "invalid-rule",
            title=N_("The pattern is not valid RE2") if pattern else N_("The rule is not valid"),
            detail="; ".join(f"{p.field}: {p.message}" for p in problems),
            errors=[{"field": p.field, "message": p.message} for p in problems],
        )
        self.rule_problems = problems

    def text(self) -> str:
        """The title and every reason, in the reader's language."""
        reasons = gettext("; ").join(p.text() for p in self.rule_problems)
        return gettext("%(field)s: %(reason)s") % {"field": gettext(self.title), "reason": reasons}


def _validate(row: AutoReplyRule) -> None:
    rule = to_rule(row)
    problems = validate_rule(rule)
    if problems:
        raise RuleRefused(problems)
    row.scope = scope_record(rule.scope)


def create_rule(
    session: Session, workspace_id: int, actor: Actor, fields: dict[str, Any]
) -> AutoReplyRule:
    values = {k: v for k, v in fields.items() if k in RULE_FIELDS and v is not None}
    values.setdefault("keywords", [])
    values.setdefault("exclude_keywords", [])
    values.setdefault("active_hours", [])
    values.setdefault("scope", {})
    values.setdefault("kind", "reply")
    values.setdefault("priority", 0)
    values.setdefault("cooldown_seconds", 60)
    values.setdefault("is_active", True)
    now = utcnow()
    row = AutoReplyRule(workspace_id=workspace_id, created_at=now, updated_at=now, **values)
    _validate(row)
    _check_scope_groups(session, workspace_id, row)
    session.add(row)
    session.flush()
    rebuild_matcher(session, workspace_id)
    audit.record(
        session,
        actor,
        "community.rule_create",
        workspace_id=workspace_id,
        target_type="autoreply_rule",
        target_id=row.id,
        detail={"name": row.name, "match": row.match, "kind": row.kind},
    )
    return row


def _check_scope_groups(session: Session, workspace_id: int, row: AutoReplyRule) -> None:
    group_ids = (row.scope or {}).get("group_ids") or ()
    check_in_workspace(session, FanGroup, workspace_id, group_ids, "scope.group_ids")


def update_rule(
    session: Session, workspace_id: int, rule_id: int, actor: Actor, changes: dict[str, Any]
) -> AutoReplyRule:
    row = get_rule(session, workspace_id, rule_id)
    for name, value in changes.items():
        if name in RULE_FIELDS:
            setattr(row, name, value)
    _validate(row)
    _check_scope_groups(session, workspace_id, row)
    row.updated_at = utcnow()
    session.flush()
    rebuild_matcher(session, workspace_id)
    audit.record(
        session,
        actor,
        "community.rule_update",
        workspace_id=workspace_id,
        target_type="autoreply_rule",
        target_id=row.id,
        detail={"fields": sorted(k for k in changes if k in RULE_FIELDS)},
    )
    return row


def delete_rule(session: Session, workspace_id: int, rule_id: int, actor: Actor) -> None:
    row = get_rule(session, workspace_id, rule_id)
    row.deleted_at = utcnow()
    row.is_active = False
    session.flush()
    rebuild_matcher(session, workspace_id)
    audit.record(
        session,
        actor,
        "community.rule_delete",
        workspace_id=workspace_id,
        target_type="autoreply_rule",
        target_id=row.id,
        detail={"name": row.name},
    )


def get_rule(session: Session, workspace_id: int, rule_id: int) -> AutoReplyRule:
    row = session.scalar(
        select(AutoReplyRule).where(
            AutoReplyRule.workspace_id == workspace_id,
            AutoReplyRule.id == rule_id,
            AutoReplyRule.deleted_at.is_(None),
        )
    )
    if row is None:
        raise NotFound("rule-not-found", title=N_("Auto-reply rule not found"))
    return row


def list_rules(
    session: Session, workspace_id: int, *, cursor: str | None = None, limit: int = 200
) -> tuple[list[AutoReplyRule], str | None]:
    statement = select(AutoReplyRule).where(
        AutoReplyRule.workspace_id == workspace_id, AutoReplyRule.deleted_at.is_(None)
    )
    return keyset_page(
        session, statement, AutoReplyRule.id, cursor=cursor, limit=limit, descending=False
    )


def rule_names(session: Session, workspace_id: int, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(
        select(AutoReplyRule.id, AutoReplyRule.name).where(
            AutoReplyRule.workspace_id == workspace_id, AutoReplyRule.id.in_(ids)
        )
    )
    return {i: n for i, n in rows}


# --- the shared matcher -----------------------------------------------------------------


def rebuild_matcher(session: Session, workspace_id: int) -> Matcher:
    """Build the workspace's matcher from its active rules and store it (same transaction)."""
    rows = session.scalars(
        select(AutoReplyRule).where(
            AutoReplyRule.workspace_id == workspace_id,
            AutoReplyRule.is_active.is_(True),
            AutoReplyRule.deleted_at.is_(None),
        )
    )
    matcher = build_matcher(to_rule(row) for row in rows)
    stored = session.get(StoredMatcher, workspace_id)
    if stored is None:
        stored = StoredMatcher(workspace_id=workspace_id)
        session.add(stored)
    stored.version = matcher.version
    stored.blob = matcher.dumps()
    stored.rule_count = len(matcher.rules)
    stored.built_at = utcnow()
    session.flush()
    _cache.put(workspace_id, matcher)
    return matcher


class _MatcherCache:
    """Per process: the last matcher loaded for each workspace, trusted only while its version
    is the stored one."""

    def __init__(self) -> None:
        self._entries: dict[int, Matcher] = {}
        self._lock = threading.Lock()

    def get(self, workspace_id: int, version: str) -> Matcher | None:
        found = self._entries.get(workspace_id)
        return found if found is not None and found.version == version else None

    def put(self, workspace_id: int, matcher: Matcher) -> None:
        with self._lock:
            self._entries[workspace_id] = matcher

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_cache = _MatcherCache()
_EMPTY = build_matcher([])


def load_matcher(session: Session, workspace_id: int) -> Matcher:
    """The workspace's current matcher: the cached one if the stored version still matches it,
    otherwise the stored blob (loaded once per version per process)."""
    version = session.scalar(
        select(StoredMatcher.version).where(StoredMatcher.workspace_id == workspace_id)
    )
    if version is None:
        return _EMPTY
    cached = _cache.get(workspace_id, version)
    if cached is not None:
        return cached
    blob = session.scalar(
        select(StoredMatcher.blob).where(StoredMatcher.workspace_id == workspace_id)
    )
    matcher = Matcher.loads(blob) if blob is not None else _EMPTY
    _cache.put(workspace_id, matcher)
    return matcher


def forget_cached_matchers() -> None:
    """Drop this process's cache (tests use it to act as a second process)."""
    _cache.clear()


# --- the tester -------------------------------------------------------------------------


@dataclass
class TestOutcome:
    evaluation: Evaluation
    reply_flags: list[Flag]
    group: FanGroup | None


def try_text(
    session: Session,
    workspace_id: int,
    text: str,
    *,
    group_id: int | None = None,
    private: bool = False,
    nickname: str | None = None,
) -> TestOutcome:
    """The console and API tester: which rule a sample text hits and why. No cooldown is read
    or written, no ticket is opened, nothing is stored."""
    group = groups.get_group(session, workspace_id, group_id) if group_id else None
    timezone = workspace_service.workspace_timezone(session, workspace_id)
    settings = groups.settings_of(session, workspace_id)
    evaluation = test_text(
        load_matcher(session, workspace_id),
        text,
        chat="private" if private else "group",
        group_id=str(group.id) if group else None,
        group_type=group.group_type if group else None,
        timezone=timezone,
        template_values={
            "nickname": nickname,
            "group_name": group.name if group else None,
            "next_live_time": settings.next_live_time,
        },
    )
    flags = []
    if evaluation.decision is not None:
        flags = _moderator(settings.sensitive_words).check_outgoing(evaluation.decision.reply)
    return TestOutcome(evaluation, flags, group)


try_text.__test__ = False  # type: ignore[attr-defined]


_moderators: dict[tuple[str, ...], Moderator] = {}


def _moderator(words: Sequence[str] | None) -> Moderator:
    key = tuple(sorted(words or ()))
    found = _moderators.get(key)
    if found is None:
        found = Moderator(key)
        if len(_moderators) > 64:
            _moderators.clear()
        _moderators[key] = found
    return found


def check_outgoing_text(session: Session, workspace_id: int, text: str) -> list[Flag]:
    """Check an operator's reply before it goes out (Advertising Law terms, tone, own words)."""
    return _moderator(groups.settings_of(session, workspace_id).sensitive_words).check_outgoing(
        text
    )


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


@dataclass(frozen=True)
class MessageIn:
    msg_id: str
    chat: str
    sender_ref: str
    sender_role: str
    sent_at: datetime
    text: str = ""
    group_ref: str | None = None
    msg_type: str = "text"
    sender_name: str | None = None
    reply_to_ref: str | None = None
    is_push: bool = False


@dataclass
class ReplyOut:
    msg_id: str
    rule_id: int
    kind: str
    text: str
    group_ref: str | None
    held: bool
    flags: list[Flag]


@dataclass
class BatchOutcome:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)
    replies: list[ReplyOut] = field(default_factory=list)
    tickets: list[AfterSalesTicket] = field(default_factory=list)
    flags: int = 0


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


def _flag_incoming(
    session: Session,
    workspace_id: int,
    moderator: Moderator,
    message: MessageIn,
    row_id: int,
    group: FanGroup | None,
    history: dict[tuple[int | None, str], list[SentMessage]],
    outcome: BatchOutcome,
) -> None:
    key = (group.id if group else None, message.sender_ref)
    past = [m for m in history[key] if m.sent_at <= as_utc(message.sent_at)]
    flags = moderator.check_incoming(message.text, past, sent_at=as_utc(message.sent_at))
    if message.msg_type == "qrcode":
        flags.append(Flag("contact_ad", "qr code", "a QR code picture"))
    history[key].append(SentMessage(message.text, as_utc(message.sent_at)))
    for flag in flags:
        _add_flag(
            session, workspace_id, "incoming", flag, group, row_id, message.sender_ref, message.text
        )
        outcome.flags += 1


def _flag_outgoing(
    session: Session,
    workspace_id: int,
    moderator: Moderator,
    message: MessageIn,
    row_id: int,
    group: FanGroup | None,
    outcome: BatchOutcome,
) -> None:
    for flag in moderator.check_outgoing(message.text):
        _add_flag(
            session, workspace_id, "outgoing", flag, group, row_id, message.sender_ref, message.text
        )
        outcome.flags += 1


def _add_flag(
    session: Session,
    workspace_id: int,
    direction: str,
    flag: Flag,
    group: FanGroup | None,
    message_id: int | None,
    sender_ref: str | None,
    text: str,
) -> None:
    session.add(
        ModerationFlag(
            workspace_id=workspace_id,
            direction=direction,
            kind=flag.kind,
            term=flag.term[:200],
            detail=(flag.detail or None) and flag.detail[:200],
            group_id=group.id if group else None,
            message_id=message_id,
            sender_ref=sender_ref,
            text=text,
        )
    )


# --- tickets and notifications ----------------------------------------------------------


def open_ticket(
    session: Session,
    workspace_id: int,
    group: FanGroup | None,
    message_id: int,
    rule_id: int | None,
    customer_id: int | None,
    message: MessageIn,
) -> AfterSalesTicket:
    """An after-sales ticket for the group's operators, and a notification to each of them."""
    ticket = AfterSalesTicket(
        workspace_id=workspace_id,
        group_id=group.id if group else None,
        message_id=message_id,
        rule_id=rule_id,
        customer_id=customer_id,
        sender_ref=message.sender_ref,
        text=message.text,
        status="open",
    )
    session.add(ticket)
    session.flush()
    notify(
        session,
        workspace_id,
        groups.operators_of(group) if group else [],
        kind="ticket",
        message=labels.notice(
            labels.AFTER_SALES, where=group.name if group else None, text=message.text[:80]
        ),
        group_id=group.id if group else None,
        target_id=ticket.id,
    )
    return ticket


def notify(
    session: Session,
    workspace_id: int,
    operator_ids: Sequence[int],
    *,
    kind: str,
    message: str,
    group_id: int | None = None,
    target_id: int | None = None,
) -> None:
    """One notification per operator; with none assigned, one the whole team sees."""
    recipients: list[int | None] = list(operator_ids) or [None]
    for operator_id in recipients:
        session.add(
            OperatorNotification(
                workspace_id=workspace_id,
                operator_id=operator_id,
                group_id=group_id,
                kind=kind,
                message=message,
                target_id=target_id,
            )
        )


def list_notifications(
    session: Session, workspace_id: int, operator_id: int | None, *, limit: int = 20
) -> list[OperatorNotification]:
    statement = select(OperatorNotification).where(
        OperatorNotification.workspace_id == workspace_id,
        OperatorNotification.read_at.is_(None),
    )
    if operator_id is not None:
        statement = statement.where(
            (OperatorNotification.operator_id == operator_id)
            | OperatorNotification.operator_id.is_(None)
        )
    return list(session.scalars(statement.order_by(OperatorNotification.id.desc()).limit(limit)))


def get_ticket(session: Session, workspace_id: int, ticket_id: int) -> AfterSalesTicket:
    not_found = NotFound("ticket-not-found", title=N_("Ticket not found"))
    return get_in_workspace(session, AfterSalesTicket, workspace_id, ticket_id, not_found)


def list_tickets(
    session: Session,
    workspace_id: int,
    *,
    status: str | None = None,
    group_id: int | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[AfterSalesTicket], str | None]:
    statement = select(AfterSalesTicket).where(AfterSalesTicket.workspace_id == workspace_id)
    if status:
        statement = statement.where(AfterSalesTicket.status == status)
    if group_id:
        statement = statement.where(AfterSalesTicket.group_id == group_id)
    return keyset_page(session, statement, AfterSalesTicket.id, cursor=cursor, limit=limit)


def update_ticket(
    session: Session,
    workspace_id: int,
    ticket_id: int,
    actor: Actor,
    *,
    status: str | None = None,
    assignee_operator_id: int | None = None,
    note: str | None = None,
) -> AfterSalesTicket:
    ticket = get_ticket(session, workspace_id, ticket_id)
    if status is not None:
        if status not in ("open", "in_progress", "resolved"):
            raise Unprocessable(
                "invalid-ticket-status", title=N_("Use open, in_progress or resolved")
            )
        ticket.status = status
        ticket.resolved_at = utcnow() if status == "resolved" else None
    if assignee_operator_id is not None:
        workspace_service.check_operators(
            session, workspace_id, [assignee_operator_id], "assignee_operator_id"
        )
        ticket.assignee_operator_id = assignee_operator_id
    if note is not None:
        ticket.note = note
    audit.record(
        session,
        actor,
        "community.ticket_update",
        workspace_id=workspace_id,
        target_type="ticket",
        target_id=ticket.id,
        detail={"status": ticket.status},
    )
    session.flush()
    return ticket


def open_ticket_count(session: Session, workspace_id: int) -> int:
    return int(
        session.scalar(
            select(func.count()).where(
                AfterSalesTicket.workspace_id == workspace_id,
                AfterSalesTicket.status != "resolved",
            )
        )
        or 0
    )


# --- flags and messages -----------------------------------------------------------------


def list_flags(
    session: Session,
    workspace_id: int,
    *,
    status: str | None = "open",
    direction: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[ModerationFlag], str | None]:
    statement = select(ModerationFlag).where(ModerationFlag.workspace_id == workspace_id)
    if status:
        statement = statement.where(ModerationFlag.status == status)
    if direction:
        statement = statement.where(ModerationFlag.direction == direction)
    return keyset_page(session, statement, ModerationFlag.id, cursor=cursor, limit=limit)


def resolve_flag(
    session: Session, workspace_id: int, flag_id: int, status: str, actor: Actor
) -> ModerationFlag:
    if status not in ("open", "dismissed", "actioned"):
        raise Unprocessable("invalid-flag-status", title=N_("Use open, dismissed or actioned"))
    not_found = NotFound("flag-not-found", title=N_("Flag not found"))
    flag = get_in_workspace(session, ModerationFlag, workspace_id, flag_id, not_found)
    flag.status = status
    audit.record(
        session,
        actor,
        "community.flag_resolve",
        workspace_id=workspace_id,
        target_type="flag",
        target_id=flag.id,
        detail={"status": status},
    )
    session.flush()
    return flag


def search_messages(
    session: Session,
    workspace_id: int,
    *,
    group_id: int | None = None,
    q: str | None = None,
    sender_ref: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[GroupMessage], str | None]:
    statement = select(GroupMessage).where(GroupMessage.workspace_id == workspace_id)
    if group_id:
        statement = statement.where(GroupMessage.group_id == group_id)
    if sender_ref:
        statement = statement.where(GroupMessage.sender_ref == sender_ref)
    if q and q.strip():
        statement = statement.where(GroupMessage.text.contains(q.strip()))
    return keyset_page(session, statement, GroupMessage.id, cursor=cursor, limit=limit)


def purge_expired_messages(session: Session, workspace_id: int) -> int:
    """Delete messages older than the workspace's retention (tickets, flags and replies that
    point at them lose the pointer, keep their own copy of the text)."""
    from sqlalchemy import delete

    days = groups.settings_of(session, workspace_id).retention_days
    cutoff = utcnow() - timedelta(days=days)
    old = select(GroupMessage.id).where(
        GroupMessage.workspace_id == workspace_id, GroupMessage.sent_at < cutoff
    )
    session.execute(
        update(AfterSalesTicket)
        .where(AfterSalesTicket.message_id.in_(old))
        .values(message_id=None)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        delete(BotReply)
        .where(BotReply.message_id.in_(old))
        .execution_options(synchronize_session=False)
    )
    result = session.execute(
        delete(GroupMessage)
        .where(GroupMessage.workspace_id == workspace_id, GroupMessage.sent_at < cutoff)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
