"""The quota ledger: every fan's receipts across broadcasts and playbooks, and which fans a new
send may still reach.

WeCom's per-customer mass-message quota is a per-corp setting the workspace states (one a day,
seven a week, or as many a month as the month has days); the workspace's own cap per fan per
week applies on top, to every channel. Windows are business days in the workspace's time zone:
"a day" is the local calendar day of the send, "a week" the seven local days ending with it.
The ledger knows nothing of channels: a channel says whether WeCom's quota applies to it.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from siyu.kit.clock import business_day, day_bounds, month_bounds
from siyu.kit.sql import insert_for
from siyu.outreach.models import Receipt


@dataclass(frozen=True)
class QuotaRule:
    wecom_quota: str  # daily | weekly7 | monthly_days
    max_per_fan_per_week: int | None = None


@dataclass(frozen=True)
class Window:
    start: datetime
    limit: int


def windows(rule: QuotaRule, at: datetime, tz: str, *, wecom: bool) -> list[Window]:
    """The windows a send at ``at`` must fit in, each with how many receipts it allows."""
    day = business_day(at, tz)
    day_start = day_bounds(day, tz)[0]
    week_start = day_bounds(day - timedelta(days=6), tz)[0]
    found = []
    if wecom:
        if rule.wecom_quota == "daily":
            found.append(Window(day_start, 1))
        elif rule.wecom_quota == "weekly7":
            found.append(Window(week_start, 7))
        else:
            found.append(
                Window(month_bounds(day, tz)[0], calendar.monthrange(day.year, day.month)[1])
            )
    if rule.max_per_fan_per_week is not None:
        found.append(Window(week_start, rule.max_per_fan_per_week))
    return found


def refused(
    session: Session,
    workspace_id: int,
    rule: QuotaRule,
    at: datetime,
    tz: str,
    *,
    wecom: bool,
) -> set[int]:
    """Every fan whose quota is used up for a send at ``at``: one grouped pass over the
    receipts of the longest window, whatever the size of the audience."""
    found = windows(rule, at, tz, wecom=wecom)
    if not found:
        return set()
    counts = [
        func.sum(case((Receipt.received_at >= w.start, 1), else_=0)) >= w.limit for w in found
    ]
    statement = (
        select(Receipt.customer_id)
        .where(
            Receipt.workspace_id == workspace_id,
            Receipt.received_at >= min(w.start for w in found),
            Receipt.received_at <= at + timedelta(days=1),
        )
        .group_by(Receipt.customer_id)
        .having(or_(*counts))
    )
    return set(session.scalars(statement))


def allows_any(rule: QuotaRule) -> bool:
    """Whether the rule lets anything out at all: a weekly cap of zero stops every send (and
    :func:`refused` only names fans who already have receipts)."""
    return rule.max_per_fan_per_week != 0


def receipts_of(
    session: Session, workspace_id: int, customer_ids: Iterable[int], since: datetime
) -> dict[int, int]:
    """customer id → receipts since ``since`` (the console's per-fan view)."""
    ids = list(customer_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(Receipt.customer_id, func.count())
        .where(
            Receipt.workspace_id == workspace_id,
            Receipt.customer_id.in_(ids),
            Receipt.received_at >= since,
        )
        .group_by(Receipt.customer_id)
    )
    return {customer_id: int(count) for customer_id, count in rows}


def record(
    session: Session,
    workspace_id: int,
    source: str,
    source_id: int,
    channel: str,
    customer_ids: Sequence[int],
    at: datetime,
) -> None:
    """Count a send against each fan's quota; recording the same send twice counts it once."""
    if not customer_ids:
        return
    insert = insert_for(session)
    rows = [
        {
            "workspace_id": workspace_id,
            "customer_id": customer_id,
            "source": source,
            "source_id": source_id,
            "channel": channel,
            "received_at": at,
        }
        for customer_id in customer_ids
    ]
    for start in range(0, len(rows), 5000):
        session.execute(insert(Receipt).on_conflict_do_nothing(), rows[start : start + 5000])
