"""Demo public channels: a month of creator-centre exports from Douyin, Xiaohongshu and
Bilibili imported through the real importer (one export a week, so posts carry a history)
into the demo accounts, with their follower counts; materials, the calendar with its cadence
and Weibo announcements, and fans who came in through posts, so the content → fans → GMV
report fills."""

from __future__ import annotations

import random
import tempfile
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.channels import service
from siyu.channels.models import Post
from siyu.customers.service import search_customers
from siyu.demo.content_exports import DEMO_PLATFORMS, SUBJECTS, export_name, make_works
from siyu.demo.content_exports import write_content_export as write_export
from siyu.kit.clock import today, utcnow
from siyu.workspace.audit import Actor
from siyu.workspace.service import find_workspace, members_of

DEMO_ACTOR = Actor("system", label="siyu demo")
SEED = 20261207
DAYS = 30
EXPORT_DAYS_AGO = (21, 14, 7, 0)
CADENCE = {"douyin": "4.5", "xiaohongshu": "3", "bilibili": "1.5", "weibo": "3"}
ACCOUNTS = (
    ("douyin", "小鹿直播间", "https://www.douyin.com/user/xiaolu", 182_000),
    ("xiaohongshu", "小鹿的衣橱", "https://www.xiaohongshu.com/user/profile/xiaolu", 46_000),
    ("bilibili", "小鹿Live", "https://space.bilibili.com/20261207", 12_500),
    ("weibo", "小鹿直播间官博", "https://weibo.com/xiaolulive", 88_000),
)
HANDLES = {platform: handle for platform, handle, _url, _followers in ACCOUNTS}
LIVE_WEEKDAYS = (1, 4, 6)  # Tuesday, Friday and Sunday evenings
FANS_SAMPLED = 600


def seed(session: Session, workspace_id: int) -> None:
    workspace = find_workspace(session, workspace_id)
    assert workspace is not None
    rng = random.Random(SEED)
    last = today(workspace.timezone)
    first = last - timedelta(days=DAYS)
    _accounts(session, workspace_id, last, rng)
    works = [
        work
        for platform in DEMO_PLATFORMS
        for work in make_works(platform, first, DAYS, float(CADENCE[platform]), SEED)
    ]
    with tempfile.TemporaryDirectory(prefix="siyu-demo-content-") as folder:
        for days_ago in EXPORT_DAYS_AGO:
            as_of = last - timedelta(days=days_ago)
            for platform in DEMO_PLATFORMS:
                path = write_export(
                    Path(folder) / export_name(platform, as_of), platform, works, as_of
                )
                service.import_export(
                    session,
                    workspace,
                    path,
                    actor=DEMO_ACTOR,
                    file_name=path.name,
                    as_of=as_of,
                    account=HANDLES[platform],
                )
    posts = list(session.scalars(select(Post).where(Post.workspace_id == workspace_id)))
    _materials(session, workspace_id, posts, rng)
    _calendar(session, workspace_id, last, rng)
    _fans(session, workspace_id, posts, rng)


def _accounts(session: Session, workspace_id: int, last: date, rng: random.Random) -> None:
    for platform, handle, url, followers in ACCOUNTS:
        account = service.add_account(session, workspace_id, platform, handle, url)
        count = int(followers * 0.9)
        for days_ago in range(DAYS, -1, -1):
            count += int(followers * rng.uniform(0.001, 0.006))
            service.record_followers(
                session, workspace_id, account.id, last - timedelta(days=days_ago), count
            )


def _materials(session: Session, workspace_id: int, posts: list[Post], rng: random.Random) -> None:
    """One material per subject; every post whose title carries the subject belongs to it."""
    owners = [m.operator_id for m in members_of(session, workspace_id)]
    for subject in SUBJECTS:
        mine = [post for post in posts if subject in post.title]
        if not mine:
            continue
        material = service.create_material(
            session,
            workspace_id,
            service.MaterialIn(
                title=subject,
                copy_text=f"{subject}：直播间同款，评论区置顶链接领新粉券。",
                media_ref=f"nas://素材/2026/{subject}.mp4",
                tags=["直播同款", rng.choice(("穿搭", "好物", "幕后", "教程"))],
                owner_operator_id=rng.choice(owners) if owners else None,
                spend_fen=rng.choice((0, 0, 30_000, 50_000, 120_000)),
            ),
        )
        for post in mine:
            service.attach_post(session, workspace_id, post.id, material.id)
            service.ensure_link(session, workspace_id, post.id)


def _calendar(session: Session, workspace_id: int, last: date, rng: random.Random) -> None:
    for platform, per_week in CADENCE.items():
        service.set_cadence(session, workspace_id, platform, per_week)
    start = last - timedelta(days=DAYS)
    for offset in range(DAYS + 15):
        day = start + timedelta(days=offset)
        for platform in DEMO_PLATFORMS:
            if rng.random() < float(CADENCE[platform]) / 7:
                subject = rng.choice(SUBJECTS)
                service.plan_post(
                    session, workspace_id, platform=platform, kind="video", day=day, title=subject
                )
        if day.weekday() in LIVE_WEEKDAYS:
            service.plan_post(
                session,
                workspace_id,
                platform="weibo",
                kind="live_announcement",
                day=day,
                title=f"今晚8点直播预告：{rng.choice(SUBJECTS)}",
            )
        if day.weekday() == 0:
            service.plan_post(
                session,
                workspace_id,
                platform="weibo",
                kind="group_entry",
                day=day,
                title="粉丝群招募：评论区扫码进群领专属券",
            )


def _fans(session: Session, workspace_id: int, posts: list[Post], rng: random.Random) -> None:
    """Fans who came in through posts (some through the short link, most through WeCom)."""
    fans: list[int] = []
    cursor: str | None = None
    while len(fans) < FANS_SAMPLED:
        page, cursor = search_customers(session, workspace_id, cursor=cursor, limit=200)
        fans += [customer.id for customer in page]
        if cursor is None:
            break
    rng.shuffle(fans)
    published = [post for post in posts if post.published_at is not None]
    weights = [max(post.follower_gain, 1) for post in published]
    for fan in fans:
        post = rng.choices(published, weights)[0]
        assert post.published_at is not None
        at = min(post.published_at + timedelta(hours=rng.uniform(1, 72)), utcnow())
        via = "link" if rng.random() < 0.3 else "wecom"
        service.attribute_fans(session, workspace_id, post.id, [fan], via=via, at=at)
        if via == "link":
            service.record_visit(session, post, _visitor(rng), None)
    for post in rng.sample(published, k=min(len(published), 25)):
        for _ in range(rng.randrange(3, 30)):
            service.record_visit(session, post, _visitor(rng), None)


def _visitor(rng: random.Random) -> str:
    return f"demo{rng.getrandbits(64):016x}"
