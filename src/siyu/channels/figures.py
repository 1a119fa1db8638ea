"""Read functions of the public channels domain: pages, figures, the calendar and the report.

Works are counted by the business day (workspace time zone) they were published; a post's
plays, likes and the rest are the running totals of the latest export imported.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypeVarTuple

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from siyu.channels.models import (
    CONTENT_PLATFORMS,
    Cadence,
    ContentAccount,
    ContentUpload,
    ContentUploadReject,
    FollowerCount,
    Material,
    PlannedPost,
    Post,
    PostDay,
    PostFan,
    PostVisit,
)
from siyu.kit.clock import business_day, day_bounds, today
from siyu.kit.errors import NotFound
from siyu.kit.i18n import N_
from siyu.kit.pagination import keyset_page
from siyu.kit.sql import get_in_workspace
from siyu.orders.figures import net_paid_since

Ts = TypeVarTuple("Ts")
TOP_WORKS = 10
TREND_WEEKS = 12


@dataclass(frozen=True)
class Scope:
    """Which posts a figure covers: all of the workspace's, one platform's, one account's."""

    platform: str | None = None
    account_id: int | None = None

    def where(self, statement: Select[*Ts]) -> Select[*Ts]:
        if self.platform:
            statement = statement.where(Post.platform == self.platform)
        if self.account_id is not None:
            statement = statement.where(Post.account_id == self.account_id)
        return statement


def list_posts(
    session: Session,
    workspace_id: int,
    *,
    platform: str | None = None,
    account_id: int | None = None,
    material_id: int | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[Post], str | None]:
    """Posts, newest first."""
    statement = Scope(platform, account_id).where(
        select(Post).where(Post.workspace_id == workspace_id)
    )
    if material_id is not None:
        statement = statement.where(Post.material_id == material_id)
    return keyset_page(session, statement, Post.id, cursor=cursor, limit=limit)


def window(days: int, tz: str) -> tuple[datetime, datetime]:
    """The ``days`` business days before today, as UTC bounds."""
    last = today(tz)
    return day_bounds(last - timedelta(days=days), tz)[0], day_bounds(last, tz)[0]


def summary(
    session: Session,
    workspace_id: int,
    tz: str,
    *,
    platform: str | None,
    days: int,
    account_id: int | None = None,
) -> dict[str, Any]:
    """Works published in the window and their figures."""
    start, end = window(days, tz)
    statement = select(
        func.count(),
        func.coalesce(func.sum(Post.plays), 0),
        func.coalesce(func.sum(Post.likes), 0),
        func.coalesce(func.sum(Post.comments), 0),
        func.coalesce(func.sum(Post.follower_gain), 0),
    ).where(
        Post.workspace_id == workspace_id,
        Post.published_at >= start,
        Post.published_at < end,
    )
    statement = Scope(platform, account_id).where(statement)
    works, plays, likes, comments, gain = session.execute(statement).one()
    return {
        "works": int(works),
        "works_per_week": round(works * 7 / days, 2),
        "plays": int(plays),
        "likes": int(likes),
        "avg_likes": round(likes / works, 1) if works else 0.0,
        "avg_comments": round(comments / works, 1) if works else 0.0,
        "follower_gain": int(gain),
    }


def platform_cards(session: Session, workspace_id: int, tz: str, days: int) -> list[dict[str, Any]]:
    """The summary of every platform that has posts, with its average shares per work."""
    present = set(
        session.scalars(select(Post.platform).where(Post.workspace_id == workspace_id).distinct())
    )
    cards = []
    for platform in CONTENT_PLATFORMS:
        if platform not in present:
            continue
        card = summary(session, workspace_id, tz, platform=platform, days=days)
        card["platform"] = platform
        card["avg_shares"] = avg_shares(session, workspace_id, tz, Scope(platform), days)
        cards.append(card)
    return cards


def avg_shares(session: Session, workspace_id: int, tz: str, scope: Scope, days: int) -> float:
    start, end = window(days, tz)
    value = session.scalar(
        scope.where(
            select(func.avg(Post.shares)).where(
                Post.workspace_id == workspace_id,
                Post.published_at >= start,
                Post.published_at < end,
            )
        )
    )
    return round(float(value or 0), 1)


def weekly_trend(session: Session, workspace_id: int, tz: str, scope: Scope) -> dict[str, Any]:
    """Per week (Monday) of the last weeks: works published, their plays and average likes."""
    first_monday = _monday(today(tz)) - timedelta(weeks=TREND_WEEKS - 1)
    statement = select(Post.published_at, Post.plays, Post.likes).where(
        Post.workspace_id == workspace_id,
        Post.published_at >= day_bounds(first_monday, tz)[0],
    )
    statement = scope.where(statement)
    weeks = [first_monday + timedelta(weeks=n) for n in range(TREND_WEEKS)]
    works: dict[date, int] = defaultdict(int)
    plays: dict[date, int] = defaultdict(int)
    likes: dict[date, int] = defaultdict(int)
    for published_at, post_plays, post_likes in session.execute(statement):
        if published_at is None:
            continue
        week = _monday(business_day(published_at, tz))
        works[week] += 1
        plays[week] += post_plays
        likes[week] += post_likes
    return {
        "weeks": [week.isoformat() for week in weeks],
        "works": [works[week] for week in weeks],
        "plays": [plays[week] for week in weeks],
        "avg_likes": [round(likes[week] / works[week], 1) if works[week] else 0 for week in weeks],
    }


def plays_history(
    session: Session, workspace_id: int, scope: Scope, days: int = 60
) -> dict[str, Any]:
    """Total plays of all posts as each imported export gave them, by day."""
    statement = (
        select(PostDay.day, func.sum(PostDay.plays), func.sum(PostDay.follower_gain))
        .where(PostDay.workspace_id == workspace_id)
        .group_by(PostDay.day)
        .order_by(PostDay.day)
    )
    if scope != Scope():
        statement = statement.where(
            PostDay.post_id.in_(
                scope.where(select(Post.id).where(Post.workspace_id == workspace_id))
            )
        )
    rows = list(session.execute(statement))[-days:]
    return {
        "days": [str(day) for day, _plays, _gain in rows],
        "plays": [int(plays) for _day, plays, _gain in rows],
        "follower_gain": [int(gain) for _day, _plays, gain in rows],
    }


def top_works(session: Session, workspace_id: int, tz: str, scope: Scope, days: int) -> list[Post]:
    start, end = window(days, tz)
    statement = (
        select(Post)
        .where(
            Post.workspace_id == workspace_id, Post.published_at >= start, Post.published_at < end
        )
        .order_by(Post.plays.desc(), Post.id.desc())
        .limit(TOP_WORKS)
    )
    return list(session.scalars(scope.where(statement)))


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


# --- accounts, materials, uploads ---------------------------------------------------------


@dataclass
class AccountRow:
    account: ContentAccount
    followers: int | None
    history: list[tuple[str, int]] = field(default_factory=list)


def accounts(session: Session, workspace_id: int) -> list[AccountRow]:
    """Accounts by platform, with their follower counts over time (the last is current)."""
    rows = {
        account.id: AccountRow(account, None)
        for account in session.scalars(
            select(ContentAccount)
            .where(ContentAccount.workspace_id == workspace_id)
            .order_by(ContentAccount.platform, ContentAccount.handle)
        )
    }
    counts = select(FollowerCount).where(FollowerCount.workspace_id == workspace_id)
    for count in session.scalars(counts.order_by(FollowerCount.day)):
        row = rows[count.account_id]
        row.history.append((count.day.isoformat(), count.followers))
        row.followers = count.followers
    return list(rows.values())


def follower_history(
    session: Session, workspace_id: int, account_id: int
) -> list[tuple[date, int]]:
    """An account's follower counts, a figure per day it was recorded, oldest first."""
    statement = (
        select(FollowerCount.day, FollowerCount.followers)
        .where(FollowerCount.workspace_id == workspace_id, FollowerCount.account_id == account_id)
        .order_by(FollowerCount.day)
    )
    return [(day, int(followers)) for day, followers in session.execute(statement)]


def follower_gain(history: list[tuple[date, int]], first_day: date) -> int | None:
    """Followers gained from ``first_day`` on: the latest count less the last one before that
    day (or the first count from it, when counting began later); None without a count."""
    before = [count for day, count in history if day < first_day]
    since = [count for day, count in history if day >= first_day]
    if not since:
        return None
    return since[-1] - (before[-1] if before else since[0])


def materials(session: Session, workspace_id: int) -> list[tuple[Material, int, int]]:
    """Materials, newest first, with their number of posts and plays over all platforms."""
    per_material = (
        select(Post.material_id, func.count(), func.coalesce(func.sum(Post.plays), 0))
        .where(Post.workspace_id == workspace_id, Post.material_id.is_not(None))
        .group_by(Post.material_id)
    )
    figures = {row[0]: (int(row[1]), int(row[2])) for row in session.execute(per_material)}
    listed = session.scalars(
        select(Material).where(Material.workspace_id == workspace_id).order_by(Material.id.desc())
    )
    return [(m, *figures.get(m.id, (0, 0))) for m in listed]


def uploads(
    session: Session, workspace_id: int, cursor: str | None = None, limit: int = 50
) -> tuple[list[ContentUpload], str | None]:
    statement = select(ContentUpload).where(ContentUpload.workspace_id == workspace_id)
    return keyset_page(session, statement, ContentUpload.id, cursor=cursor, limit=limit)


def get_upload(session: Session, workspace_id: int, upload_id: int) -> ContentUpload:
    return get_in_workspace(
        session,
        ContentUpload,
        workspace_id,
        upload_id,
        NotFound("content-upload-not-found", title=N_("No such import")),
    )


def rejects_of(session: Session, upload: ContentUpload) -> Iterator[ContentUploadReject]:
    statement = (
        select(ContentUploadReject)
        .where(
            ContentUploadReject.workspace_id == upload.workspace_id,
            ContentUploadReject.upload_id == upload.id,
        )
        .order_by(ContentUploadReject.row_number, ContentUploadReject.id)
    )
    return iter(session.scalars(statement))


# --- calendar -----------------------------------------------------------------------------


@dataclass
class CalendarDay:
    day: date
    plans: list[PlannedPost] = field(default_factory=list)
    published: list[Post] = field(default_factory=list)


@dataclass
class Calendar:
    view: str
    first: date
    last: date
    days: list[CalendarDay]
    # platform → (planned, published, cadence target over the span or None)
    totals: dict[str, tuple[int, int, float | None]]


def calendar(session: Session, workspace_id: int, tz: str, view: str, anchor: date) -> Calendar:
    """A week (Monday to Sunday) or a month around ``anchor``: what was planned and what went
    out, per platform, against each platform's cadence."""
    if view == "month":
        first = anchor.replace(day=1)
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    else:
        first = _monday(anchor)
        last = first + timedelta(days=6)
    days = {
        first + timedelta(days=n): CalendarDay(first + timedelta(days=n))
        for n in range((last - first).days + 1)
    }
    plans = session.scalars(
        select(PlannedPost)
        .where(
            PlannedPost.workspace_id == workspace_id,
            PlannedPost.day >= first,
            PlannedPost.day <= last,
        )
        .order_by(PlannedPost.day, PlannedPost.id)
    )
    for plan in plans:
        days[plan.day].plans.append(plan)
    posts = session.scalars(
        select(Post)
        .where(
            Post.workspace_id == workspace_id,
            Post.published_at >= day_bounds(first, tz)[0],
            Post.published_at < day_bounds(last, tz)[1],
        )
        .order_by(Post.published_at)
    )
    for post in posts:
        assert post.published_at is not None
        days[business_day(post.published_at, tz)].published.append(post)
    return Calendar(view, first, last, list(days.values()), _totals(session, workspace_id, days))


def _totals(
    session: Session, workspace_id: int, days: dict[date, CalendarDay]
) -> dict[str, tuple[int, int, float | None]]:
    planned: dict[str, int] = defaultdict(int)
    published: dict[str, int] = defaultdict(int)
    for entry in days.values():
        for plan in entry.plans:
            planned[plan.platform] += 1
        for post in entry.published:
            published[post.platform] += 1
    cadences = {
        c.platform: c.tenths_per_week
        for c in session.scalars(select(Cadence).where(Cadence.workspace_id == workspace_id))
    }
    span_weeks = len(days) / 7
    return {
        platform: (
            planned[platform],
            published[platform],
            round(cadences[platform] / 10 * span_weeks, 1) if platform in cadences else None,
        )
        for platform in CONTENT_PLATFORMS
        if planned[platform] or published[platform] or platform in cadences
    }


def cadences(session: Session, workspace_id: int) -> dict[str, float]:
    return {
        c.platform: c.tenths_per_week / 10
        for c in session.scalars(select(Cadence).where(Cadence.workspace_id == workspace_id))
    }


# --- content → fans → GMV -----------------------------------------------------------------


def _post_fans(
    session: Session, workspace_id: int, post_ids: set[int]
) -> list[tuple[int, int, datetime]]:
    """(post, fan, when) for every fan a post brought in: through its short link (stored
    here) or added on WeCom through its live code (read from the WeCom connector). A fan
    counts once, for the first post that brought them."""
    first: dict[int, tuple[int, datetime]] = {}

    def keep(post_id: int, customer_id: int, at: datetime) -> None:
        if post_id in post_ids and (customer_id not in first or at < first[customer_id][1]):
            first[customer_id] = (post_id, at)

    stored = select(PostFan.post_id, PostFan.customer_id, PostFan.added_at).where(
        PostFan.workspace_id == workspace_id
    )
    for post_id, customer_id, at in session.execute(stored):
        keep(post_id, customer_id, at)
    for channel in _wecom_channels(session, workspace_id):
        keep(*channel)
    return [(post_id, customer_id, at) for customer_id, (post_id, at) in first.items()]


def _wecom_channels(session: Session, workspace_id: int) -> list[tuple[int, int, datetime]]:
    from siyu.channels.service import WECOM_CHANNEL
    from siyu.connectors.wecom.service import fan_channels

    return [
        (int(row.channel_ref), row.customer_id, row.added_at)
        for row in fan_channels(session, workspace_id)
        if row.channel_kind == WECOM_CHANNEL
        and row.channel_ref
        and row.channel_ref.isdigit()
        and row.added_at is not None
    ]


@dataclass
class FunnelRow:
    key: str  # a platform, or a material's id as text
    label: str
    plays: int = 0
    visitors: int = 0
    fans: int = 0
    buyers: int = 0
    gmv_fen: int = 0
    spend_fen: int = 0

    @property
    def cost_per_fan_fen(self) -> int | None:
        return self.spend_fen // self.fans if self.spend_fen and self.fans else None


@dataclass
class Report:
    platforms: list[FunnelRow]
    materials: list[FunnelRow]
    total: FunnelRow


def report(session: Session, workspace_id: int) -> Report:
    """Reach (plays) → visitors of the posts' links → fans added → buyers → GMV, per platform
    and per material. A fan's orders count from the moment the post brought them in."""
    posts = {
        post_id: (platform, material_id, plays)
        for post_id, platform, material_id, plays in session.execute(
            select(Post.id, Post.platform, Post.material_id, Post.plays).where(
                Post.workspace_id == workspace_id
            )
        )
    }
    fans = _post_fans(session, workspace_id, set(posts))
    gmv = net_paid_since(session, workspace_id, {customer: at for _p, customer, at in fans})
    visits = dict(
        session.execute(
            select(PostVisit.post_id, func.count())
            .where(PostVisit.workspace_id == workspace_id)
            .group_by(PostVisit.post_id)
        ).all()
    )
    titles = dict(
        session.execute(
            select(Material.id, Material.title).where(Material.workspace_id == workspace_id)
        ).all()
    )
    spend = dict(
        session.execute(
            select(Material.id, Material.spend_fen).where(Material.workspace_id == workspace_id)
        ).all()
    )
    by_platform: dict[str, FunnelRow] = {}
    by_material: dict[int, FunnelRow] = {}
    total = FunnelRow("total", N_("All content"))

    def rows_of(post_id: int) -> list[FunnelRow]:
        platform, material_id, _plays = posts[post_id]
        rows = [by_platform.setdefault(platform, FunnelRow(platform, platform)), total]
        if material_id is not None:
            rows.append(
                by_material.setdefault(
                    material_id, FunnelRow(str(material_id), titles.get(material_id, ""))
                )
            )
        return rows

    for post_id, (_platform, _material, plays) in posts.items():
        for row in rows_of(post_id):
            row.plays += plays
            row.visitors += int(visits.get(post_id, 0))
    for post_id, customer_id, _at in fans:
        for row in rows_of(post_id):
            row.fans += 1
            if customer_id in gmv:
                row.buyers += 1
                row.gmv_fen += gmv[customer_id]
    for material_id, row in by_material.items():
        row.spend_fen = int(spend.get(material_id) or 0)
        total.spend_fen += row.spend_fen
    return Report(
        platforms=sorted(by_platform.values(), key=lambda r: -r.plays),
        materials=sorted(by_material.values(), key=lambda r: (-r.gmv_fen, -r.plays)),
        total=total,
    )
