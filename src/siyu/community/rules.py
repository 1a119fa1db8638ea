"""Keyword-bot rules, the shared matcher built from them, and the rule tester.

Sharing between processes: every rule change rebuilds the workspace's matcher in the same
transaction and stores it (blob + version) in ``community_matchers``. Each process keeps a
cache ``{workspace: (version, Matcher)}`` and, before deciding, reads the stored version (one
indexed column); a different version loads the blob again. Nothing lives only in one process.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.community import service as groups
from siyu.community.matching import (
    Matcher,
    Rule,
    RuleProblem,
    Scope,
    build_matcher,
    test_text,
    validate_rule,
)
from siyu.community.matching.engine import Evaluation
from siyu.community.matching.moderation import Flag
from siyu.community.models import (
    AutoReplyRule,
    FanGroup,
    StoredMatcher,
)
from siyu.community.moderation import _moderator
from siyu.kit.clock import as_utc, utcnow
from siyu.kit.errors import NotFound, Unprocessable
from siyu.kit.i18n import N_, gettext
from siyu.kit.pagination import keyset_page
from siyu.kit.sql import check_in_workspace
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
