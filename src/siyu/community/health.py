"""Group health, KOCs and the GMV each group guides, computed set-based in DuckDB over Arrow.

Per group per business day: messages, fan and staff messages, members at the end of the day,
7-day active members (fans who spoke in the last 7 days), joins, leaves, buyer-show posts and
after-sales mentions, and a 0-100 health score. The score's recent level and trend move a
group's status (activating -> active -> declining -> dormant, and back to active when it
revives) and alert its operators.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from siyu.analytics.engine import run_sql
from siyu.community import labels, tickets
from siyu.community import service as groups
from siyu.community.models import (
    FanGroup,
    GroupHealthDay,
    GroupKoc,
    GroupMembership,
    GroupMessage,
)
from siyu.kit.clock import day_bounds, today, utcnow
from siyu.workspace import service as workspace_service

TIMESTAMP = pa.timestamp("us", tz="UTC")
KOC_DAYS = 30
KOCS_PER_GROUP = 10
ACTIVATION_DAYS = 7

MESSAGE_SCHEMA = pa.schema(
    [
        ("group_id", pa.int64()),
        ("sender_ref", pa.string()),
        ("sender_role", pa.string()),
        ("sent_at", TIMESTAMP),
        ("is_buyer_show", pa.bool_()),
        ("is_after_sales", pa.bool_()),
        ("is_push", pa.bool_()),
        ("reply_to_ref", pa.string()),
    ]
)
MEMBER_SCHEMA = pa.schema(
    [
        ("group_id", pa.int64()),
        ("member_ref", pa.string()),
        ("customer_id", pa.int64()),
        ("joined_at", TIMESTAMP),
        ("left_at", TIMESTAMP),
    ]
)
GROUP_SCHEMA = pa.schema([("group_id", pa.int64())])


def _arrow(session: Session, statement: Any, schema: pa.Schema) -> pa.Table:
    rows = session.execute(statement).all()
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in schema]
    return pa.table(
        [pa.array(list(values), f.type) for values, f in zip(columns, schema, strict=True)],
        schema=schema,
    )


def _messages(session: Session, workspace_id: int, since: datetime, until: datetime) -> pa.Table:
    return _arrow(
        session,
        select(
            GroupMessage.group_id,
            GroupMessage.sender_ref,
            GroupMessage.sender_role,
            GroupMessage.sent_at,
            GroupMessage.is_buyer_show,
            GroupMessage.is_after_sales,
            GroupMessage.is_push,
            GroupMessage.reply_to_ref,
        ).where(
            GroupMessage.workspace_id == workspace_id,
            GroupMessage.group_id.is_not(None),
            GroupMessage.sent_at >= since,
            GroupMessage.sent_at < until,
        ),
        MESSAGE_SCHEMA,
    )


def _members(session: Session, workspace_id: int) -> pa.Table:
    return _arrow(
        session,
        select(
            GroupMembership.group_id,
            GroupMembership.member_ref,
            GroupMembership.customer_id,
            GroupMembership.joined_at,
            GroupMembership.left_at,
        ).where(GroupMembership.workspace_id == workspace_id),
        MEMBER_SCHEMA,
    )


_HEALTH_SQL = """
WITH days AS (
    SELECT CAST(d AS DATE) AS day
    FROM range(CAST($first AS TIMESTAMP), CAST($last AS TIMESTAMP) + INTERVAL 1 DAY,
               INTERVAL 1 DAY) t(d)
),
grid AS (SELECT g.group_id, d.day FROM grp g CROSS JOIN days d),
msg AS (
    SELECT group_id, sender_ref, sender_role, is_buyer_show, is_after_sales,
           CAST(timezone($tz, sent_at) AS DATE) AS day
    FROM messages
),
daily AS (
    SELECT group_id, day,
           count(*) AS messages,
           count(*) FILTER (WHERE sender_role = 'fan') AS fan_messages,
           count(*) FILTER (WHERE sender_role = 'staff') AS staff_messages,
           count(*) FILTER (WHERE is_buyer_show) AS buyer_shows,
           count(*) FILTER (WHERE is_after_sales) AS after_sales
    FROM msg GROUP BY group_id, day
),
active AS (
    SELECT grid.group_id, grid.day, count(DISTINCT m.sender_ref) AS active_members_7d
    FROM grid JOIN msg m
      ON m.group_id = grid.group_id AND m.sender_role = 'fan'
     AND m.day > grid.day - 7 AND m.day <= grid.day
    GROUP BY grid.group_id, grid.day
),
mem AS (
    SELECT group_id,
           CAST(timezone($tz, joined_at) AS DATE) AS joined_day,
           CAST(timezone($tz, left_at) AS DATE) AS left_day
    FROM members
),
roster AS (
    SELECT grid.group_id, grid.day,
           count(*) FILTER (WHERE mem.joined_day <= grid.day
                            AND (mem.left_day IS NULL OR mem.left_day > grid.day)) AS members,
           count(*) FILTER (WHERE mem.joined_day = grid.day) AS joins,
           count(*) FILTER (WHERE mem.left_day = grid.day) AS leaves
    FROM grid JOIN mem ON mem.group_id = grid.group_id
    GROUP BY grid.group_id, grid.day
),
joined AS (
    SELECT grid.group_id, grid.day,
           coalesce(daily.messages, 0) AS messages,
           coalesce(daily.fan_messages, 0) AS fan_messages,
           coalesce(daily.staff_messages, 0) AS staff_messages,
           coalesce(active.active_members_7d, 0) AS active_members_7d,
           coalesce(roster.members, 0) AS members,
           coalesce(roster.joins, 0) AS joins,
           coalesce(roster.leaves, 0) AS leaves,
           coalesce(daily.buyer_shows, 0) AS buyer_shows,
           coalesce(daily.after_sales, 0) AS after_sales
    FROM grid
    LEFT JOIN daily USING (group_id, day)
    LEFT JOIN active USING (group_id, day)
    LEFT JOIN roster USING (group_id, day)
),
weekly AS (
    SELECT *,
        sum(fan_messages) OVER w AS fan_7d,
        sum(staff_messages) OVER w AS staff_7d,
        sum(buyer_shows) OVER w AS shows_7d,
        sum(after_sales) OVER w AS after_sales_7d,
        sum(joins - leaves) OVER w AS net_joins_7d
    FROM joined
    WINDOW w AS (PARTITION BY group_id ORDER BY day ROWS BETWEEN 6 PRECEDING AND CURRENT ROW)
)
SELECT group_id, day, messages, fan_messages, staff_messages, active_members_7d, members,
       joins, leaves, buyer_shows, after_sales,
       CAST(round(greatest(0, least(100,
           40 * least(1.0, active_members_7d / greatest(members, 1) / 0.3)
         + 25 * least(1.0, fan_7d / 7.0 / greatest(members, 1) / 0.5)
         + 15 * least(1.0, fan_7d / greatest(fan_7d + staff_7d, 1) / 0.7)
         + 10 * least(1.0, shows_7d / 3.0)
         + 10 * (CASE WHEN net_joins_7d >= 0 THEN 1 ELSE 0 END)
         - 10 * least(1.0, after_sales_7d / greatest(fan_7d, 1) / 0.1)
       ))) AS INTEGER) AS score
FROM weekly
ORDER BY group_id, day
"""

_KOC_SQL = """
WITH fan AS (
    SELECT group_id, sender_ref, count(*) AS messages,
           count(*) FILTER (WHERE is_buyer_show) AS buyer_shows
    FROM messages WHERE sender_role = 'fan'
    GROUP BY group_id, sender_ref
),
drawn AS (
    SELECT group_id, reply_to_ref AS sender_ref, count(*) AS replies_drawn
    FROM messages WHERE reply_to_ref IS NOT NULL AND reply_to_ref <> sender_ref
    GROUP BY group_id, reply_to_ref
),
raw AS (
    SELECT fan.group_id, fan.sender_ref, fan.messages, fan.buyer_shows,
           coalesce(drawn.replies_drawn, 0) AS replies_drawn,
           fan.messages + 3 * coalesce(drawn.replies_drawn, 0) + 5 * fan.buyer_shows AS raw
    FROM fan LEFT JOIN drawn USING (group_id, sender_ref)
),
ranked AS (
    SELECT *, row_number() OVER (PARTITION BY group_id ORDER BY raw DESC, sender_ref) AS rank,
           max(raw) OVER (PARTITION BY group_id) AS top
    FROM raw
)
SELECT r.group_id, r.sender_ref, any_value(m.customer_id) AS customer_id, r.messages,
       r.replies_drawn, r.buyer_shows,
       CAST(round(100.0 * r.raw / greatest(r.top, 1)) AS INTEGER) AS score
FROM ranked r LEFT JOIN members m ON m.group_id = r.group_id AND m.member_ref = r.sender_ref
WHERE r.rank <= $limit AND (r.messages >= 5 OR r.buyer_shows > 0)
GROUP BY r.group_id, r.sender_ref, r.messages, r.replies_drawn, r.buyer_shows, r.raw, r.top
ORDER BY r.group_id, score DESC
"""


@dataclass
class HealthRun:
    groups: int
    days: int
    rows: int
    status_changes: int
    kocs: int


def compute_health(
    session: Session, workspace_id: int, *, days: int = 1, until: date | None = None
) -> HealthRun:
    """Recompute the last ``days`` business days up to ``until`` (default: yesterday and today
    so far), the KOCs of the last 30 days, and move group statuses."""
    tz = workspace_service.workspace_timezone(session, workspace_id)
    last = until or today(tz)
    first = last - timedelta(days=days - 1)
    group_rows = groups.all_groups(session, workspace_id)
    live = [g for g in group_rows if g.status != "dismissed"]
    if not live:
        return HealthRun(0, days, 0, 0, 0)
    since = day_bounds(first - timedelta(days=max(ACTIVATION_DAYS, KOC_DAYS)), tz)[0]
    until_at = day_bounds(last, tz)[1]
    messages = _messages(session, workspace_id, since, until_at)
    members = _members(session, workspace_id)
    grp = pa.table({"group_id": pa.array([g.id for g in live], pa.int64())})
    health = run_sql(
        _HEALTH_SQL,
        {"messages": messages, "members": members, "grp": grp},
        {"first": first, "last": last, "tz": tz},
    )
    rows = _write_health(session, workspace_id, health, first, last)
    koc_since = day_bounds(last - timedelta(days=KOC_DAYS - 1), tz)[0]
    recent = messages.filter(pc.greater_equal(messages["sent_at"], pa.scalar(koc_since, TIMESTAMP)))
    kocs = run_sql(_KOC_SQL, {"messages": recent, "members": members}, {"limit": KOCS_PER_GROUP})
    koc_count = _write_kocs(session, workspace_id, kocs, [g.id for g in live])
    changes = _move_statuses(session, workspace_id, live, health, last)
    return HealthRun(len(live), days, rows, changes, koc_count)


def _write_health(
    session: Session, workspace_id: int, table: pa.Table, first: date, last: date
) -> int:
    session.execute(
        delete(GroupHealthDay).where(
            GroupHealthDay.workspace_id == workspace_id,
            GroupHealthDay.day >= first,
            GroupHealthDay.day <= last,
        )
    )
    records = table.to_pylist()
    for record in records:
        record["workspace_id"] = workspace_id
    for start in range(0, len(records), 2000):
        session.execute(insert(GroupHealthDay), records[start : start + 2000])
    return len(records)


def _write_kocs(session: Session, workspace_id: int, table: pa.Table, group_ids: list[int]) -> int:
    session.execute(
        delete(GroupKoc).where(
            GroupKoc.workspace_id == workspace_id, GroupKoc.group_id.in_(group_ids)
        )
    )
    records = table.to_pylist()
    now = utcnow()
    for record in records:
        record["workspace_id"] = workspace_id
        record["computed_at"] = now
    if records:
        session.execute(insert(GroupKoc), records)
    return len(records)


def next_status(status: str, age_days: int, score: int, previous: int | None) -> str:
    """The life-cycle step a group's latest score (and its score a week earlier) implies."""
    if status == "dismissed":
        return status
    falling = previous is not None and score < previous - 10
    if status == "activating":
        if age_days < ACTIVATION_DAYS:
            return status
        return "active" if score >= 45 else "declining"
    if status == "active":
        return "declining" if score < 35 or (falling and score < 50) else status
    if status == "declining":
        if score >= 55:
            return "active"
        return "dormant" if score < 15 else status
    if status == "dormant":
        return "active" if score >= 55 else status
    return status


def _move_statuses(
    session: Session, workspace_id: int, live: list[FanGroup], health: pa.Table, last: date
) -> int:
    scores = {
        (row["group_id"], row["day"]): row["score"]
        for row in health.select(["group_id", "day", "score"]).to_pylist()
    }
    week_ago = _scores_on(session, workspace_id, last - timedelta(days=7))
    changes = 0
    tz_today = last
    for group in live:
        score = scores.get((group.id, last))
        if score is None:
            continue
        group.health_score = score
        age = (tz_today - group.created_at.date()).days
        status = next_status(group.status, age, score, week_ago.get(group.id))
        if status != group.status:
            tickets.notify(
                session,
                workspace_id,
                groups.operators_of(group),
                kind="health",
                message=labels.notice(
                    labels.HEALTH_CHANGE,
                    group=group.name,
                    old=group.status,
                    new=status,
                    score=score,
                ),
                group_id=group.id,
            )
            group.status = status
            group.status_changed_at = utcnow()
            changes += 1
    session.flush()
    return changes


def _scores_on(session: Session, workspace_id: int, day: date) -> dict[int, int]:
    rows = session.execute(
        select(GroupHealthDay.group_id, GroupHealthDay.score).where(
            GroupHealthDay.workspace_id == workspace_id, GroupHealthDay.day == day
        )
    )
    return {g: s for g, s in rows}


# --- reading ----------------------------------------------------------------------------


def health_series(
    session: Session, workspace_id: int, group_id: int, days: int = 30
) -> list[GroupHealthDay]:
    groups.get_group(session, workspace_id, group_id)
    return list(
        reversed(
            session.scalars(
                select(GroupHealthDay)
                .where(
                    GroupHealthDay.workspace_id == workspace_id,
                    GroupHealthDay.group_id == group_id,
                )
                .order_by(GroupHealthDay.day.desc())
                .limit(days)
            ).all()
        )
    )


def sparklines(session: Session, workspace_id: int, days: int = 14) -> dict[int, list[int]]:
    """group id -> its last ``days`` daily fan-message counts, oldest first (for the list)."""
    newest = session.scalar(
        select(GroupHealthDay.day)
        .where(GroupHealthDay.workspace_id == workspace_id)
        .order_by(GroupHealthDay.day.desc())
        .limit(1)
    )
    if newest is None:
        return {}
    rows = session.execute(
        select(GroupHealthDay.group_id, GroupHealthDay.day, GroupHealthDay.fan_messages)
        .where(
            GroupHealthDay.workspace_id == workspace_id,
            GroupHealthDay.day > newest - timedelta(days=days),
        )
        .order_by(GroupHealthDay.group_id, GroupHealthDay.day)
    )
    lines: dict[int, list[int]] = {}
    for group_id, _, count in rows:
        lines.setdefault(group_id, []).append(count)
    return lines


def kocs_of(session: Session, workspace_id: int, group_id: int) -> list[GroupKoc]:
    groups.get_group(session, workspace_id, group_id)
    return list(
        session.scalars(
            select(GroupKoc)
            .where(GroupKoc.workspace_id == workspace_id, GroupKoc.group_id == group_id)
            .order_by(GroupKoc.score.desc(), GroupKoc.sender_ref)
        )
    )


_GMV_SQL = """
WITH pushes AS (
    SELECT group_id, sent_at AS pushed_at FROM messages WHERE is_push
),
orders AS (
    SELECT row_number() OVER () AS order_key, customer_id, paid_at,
           paid_amount_fen - refund_amount_fen AS net_fen
    FROM paid
),
guided AS (
    SELECT DISTINCT p.group_id, o.order_key, o.net_fen
    FROM pushes p
    JOIN members m ON m.group_id = p.group_id AND m.customer_id IS NOT NULL
     AND m.joined_at <= p.pushed_at AND (m.left_at IS NULL OR m.left_at > p.pushed_at)
    JOIN orders o ON o.customer_id = m.customer_id
     AND o.paid_at > p.pushed_at AND o.paid_at <= p.pushed_at + to_days($window)
)
SELECT g.group_id,
       (SELECT count(*) FROM pushes p WHERE p.group_id = g.group_id) AS pushes,
       count(guided.order_key) AS orders,
       CAST(coalesce(sum(guided.net_fen), 0) AS BIGINT) AS gmv_fen
FROM grp g LEFT JOIN guided ON guided.group_id = g.group_id
GROUP BY g.group_id
ORDER BY g.group_id
"""


@dataclass
class GuidedGmv:
    group_id: int
    window_days: int
    pushes: int
    orders: int
    gmv_fen: int


def gmv_guided(
    session: Session,
    workspace_id: int,
    group_ids: list[int] | None = None,
    *,
    since_days: int = 30,
    window_days: int | None = None,
) -> list[GuidedGmv]:
    """Paid orders of a group's members in the ``window_days`` after each staff push in the
    group over the last ``since_days`` (an order counts once per group however many pushes
    precede it)."""
    from siyu.analytics.store import read_paid_orders

    window = window_days or groups.settings_of(session, workspace_id).gmv_window_days
    ids = group_ids or [g.id for g in groups.all_groups(session, workspace_id)]
    if not ids:
        return []
    now = utcnow()
    messages = _messages(session, workspace_id, now - timedelta(days=since_days), now)
    table = run_sql(
        _GMV_SQL,
        {
            "messages": messages,
            "members": _members(session, workspace_id),
            "paid": read_paid_orders(session, workspace_id),
            "grp": pa.table({"group_id": pa.array(ids, pa.int64())}),
        },
        {"window": window},
    )
    return [GuidedGmv(window_days=window, **row) for row in table.to_pylist()]
