"""Earn rules: the multipliers operators set by platform, segment and time window."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.kit.clock import as_utc
from siyu.kit.errors import NotFound, Unprocessable
from siyu.kit.i18n import N_
from siyu.kit.sql import get_in_workspace
from siyu.loyalty.models import (
    EarnRule,
)
from siyu.workspace import audit
from siyu.workspace.audit import SYSTEM, Actor

PLATFORMS = ("taobao", "douyin", "kuaishou", "youzan", "xiaohongshu", "generic")
RULE_FIELDS = ("name", "multiplier_permille", "platform", "segment_id", "starts_at", "ends_at")
MAX_MULTIPLIER_PERMILLE = 100_000  # ×100


def list_earn_rules(session: Session, workspace_id: int) -> list[EarnRule]:
    return list(
        session.scalars(
            select(EarnRule)
            .where(EarnRule.workspace_id == workspace_id)
            .order_by(EarnRule.active.desc(), EarnRule.id.desc())
        )
    )


def get_earn_rule(session: Session, workspace_id: int, rule_id: int) -> EarnRule:
    not_found = NotFound("earn-rule-not-found", title=N_("Earn rule not found"))
    return get_in_workspace(session, EarnRule, workspace_id, rule_id, not_found)


def _validate_rule(session: Session, workspace_id: int, rule: EarnRule) -> None:
    if not (rule.name or "").strip() or len(rule.name) > 100:
        raise Unprocessable("rule-name-invalid", title=N_("A rule name is 1 to 100 characters"))
    if not 0 < rule.multiplier_permille <= MAX_MULTIPLIER_PERMILLE:
        raise Unprocessable(
            "multiplier-invalid", title=N_("The multiplier must be positive (at most ×100)")
        )
    if rule.platform is not None and rule.platform not in PLATFORMS:
        raise Unprocessable("platform-unknown", title=N_("Unknown platform"))
    if rule.starts_at and rule.ends_at and as_utc(rule.ends_at) <= as_utc(rule.starts_at):
        raise Unprocessable("window-invalid", title=N_("The window ends before it starts"))
    if rule.segment_id is not None:
        from siyu.segments.service import segment_exists

        if not segment_exists(session, workspace_id, rule.segment_id):
            raise Unprocessable("segment-unknown", title=N_("Unknown segment"))


def add_earn_rule(
    session: Session,
    workspace_id: int,
    name: str,
    multiplier_permille: int,
    *,
    platform: str | None = None,
    segment_id: int | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    actor: Actor = SYSTEM,
) -> EarnRule:
    rule = EarnRule(
        workspace_id=workspace_id,
        name=(name or "").strip(),
        multiplier_permille=multiplier_permille,
        platform=platform or None,
        segment_id=segment_id,
        starts_at=starts_at,
        ends_at=ends_at,
        active=True,
    )
    _validate_rule(session, workspace_id, rule)
    session.add(rule)
    session.flush()
    _audit_rule(session, actor, rule, "points.rule_create")
    return rule


def update_earn_rule(
    session: Session, workspace_id: int, rule_id: int, values: dict[str, Any], actor: Actor
) -> EarnRule:
    """Change the given fields (``active`` switches the rule off or on); validated as a whole."""
    rule = get_earn_rule(session, workspace_id, rule_id)
    for name, value in values.items():
        if name in RULE_FIELDS or name == "active":
            setattr(rule, name, value.strip() if isinstance(value, str) else value)
    if rule.platform == "":
        rule.platform = None
    _validate_rule(session, workspace_id, rule)
    session.flush()
    _audit_rule(session, actor, rule, "points.rule_update")
    return rule


def _audit_rule(session: Session, actor: Actor, rule: EarnRule, action: str) -> None:
    audit.record(
        session,
        actor,
        action,
        workspace_id=rule.workspace_id,
        target_type="earn_rule",
        target_id=rule.id,
        detail={
            "name": rule.name,
            "multiplier_permille": rule.multiplier_permille,
            "platform": rule.platform,
            "segment_id": rule.segment_id,
            "active": rule.active,
        },
    )
