"""Demo lives for ``siyu demo``: a past live on the busiest recent day of the imported orders
(its GMV is those orders), with reservations, share links, visits, effective invites, a
leaderboard, prizes and a run draw; and an upcoming live a fan can reserve and share from
their phone."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from siyu.coupons import service as coupons
from siyu.customers import service as customers
from siyu.kit.clock import DEFAULT_TIMEZONE, today, utcnow
from siyu.live import service
from siyu.live.models import Live
from siyu.orders.figures import gmv_by_day
from siyu.workspace.audit import Actor

ACTOR = Actor("system", label="demo")
HOUSE_STREAMER = "6201835520"  # the demo's house streamer on Douyin
PAST_PRODUCTS = ["羊绒围巾", "保温杯", "坚果礼盒", "真丝眼罩"]
NEXT_PRODUCTS = ["年货大礼包", "羊毛袜三双装", "红色加绒卫衣"]
SHARERS = 12
LOOKBACK_DAYS = 60


def seed(session: Session, workspace_id: int) -> None:
    rng = random.Random(14)
    fans = [c.id for c in customers.search_customers(session, workspace_id, limit=200)[0]]
    past = _past_live(session, workspace_id)
    _campaign_of(session, past, rng, fans)
    _upcoming_live(session, workspace_id, fans)


def _busiest_day(session: Session, workspace_id: int) -> date:
    last = today(DEFAULT_TIMEZONE) - timedelta(days=1)
    days = gmv_by_day(
        session, workspace_id, last - timedelta(days=LOOKBACK_DAYS), last, DEFAULT_TIMEZONE
    )
    return max(days, key=lambda d: (days[d][1], d)) if days else last


def _local(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), ZoneInfo(DEFAULT_TIMEZONE))


def _past_live(session: Session, workspace_id: int) -> Live:
    day = _busiest_day(session, workspace_id)
    grabs = [
        c.id
        for c in coupons.list_campaigns(session, workspace_id, limit=50)[0]
        if c.channel == "grab"
    ]
    draft = service.LiveDraft(
        title="冬季宠粉专场",
        platform="douyin",
        starts_at=_local(day, 10),
        ends_at=_local(day, 23),
        streamer_id=HOUSE_STREAMER,
        room_url="https://live.douyin.com/620183552",
        products=PAST_PRODUCTS,
        coupon_campaign_ids=grabs[:1],
    )
    return service.create_live(session, workspace_id, draft, ACTOR)


def _campaign_of(session: Session, live: Live, rng: random.Random, fans: list[int]) -> None:
    """Sharers' links, their visitors (the live's buyers among them), reservations through
    the links, the invites the orders bring, prizes and a run draw."""
    buyers = sorted({int(c) for c in session.scalars(service.buyers_of(session, live).select())})
    sharers = [f for f in fans if f not in buyers][:SHARERS]
    shares = [service.share_link(session, live.workspace_id, live.id, s)[0] for s in sharers]
    if not shares:
        return
    weights = [1 / (rank + 1) for rank in range(len(shares))]  # a few sharers bring most
    visited = live.starts_at - timedelta(days=1)
    for n, customer_id in enumerate(buyers[:80] + fans[-40:]):
        share = rng.choices(shares, weights)[0]
        visitor = f"demo-visitor-{live.id}-{n:06d}"
        service.record_visit(session, share, visitor, at=visited + timedelta(minutes=n))
        if customer_id == share.customer_id:
            continue
        service.identify_visitor(session, live, visitor, customer_id)
        if rng.random() < 0.5:
            service.reserve(session, live.workspace_id, live.id, customer_id, visitor=visitor)
    for n in range(60):  # visitors who never came back as fans
        service.record_visit(
            session, rng.choice(shares), f"demo-passer-{live.id}-{n:06d}", at=visited
        )
    service.settle_order_invites(session, live)
    service.add_prize(session, live, "前三名：定制礼盒", "rank", 3, ACTOR)
    service.add_prize(session, live, "锦鲤：年货大礼包", "draw", None, ACTOR)
    draw = service.create_draw(
        session, live, name="预约锦鲤", pool="reservers", winners=3, prize="年货大礼包", actor=ACTOR
    )
    service.run_draw(session, live.workspace_id, draw.id, ACTOR)


def _upcoming_live(session: Session, workspace_id: int, fans: list[int]) -> None:
    tomorrow = (utcnow() + timedelta(days=1)).astimezone(ZoneInfo(DEFAULT_TIMEZONE)).date()
    draft = service.LiveDraft(
        title="年货节开播夜",
        platform="douyin",
        starts_at=_local(tomorrow, 20),
        ends_at=_local(tomorrow, 23),
        streamer_id=HOUSE_STREAMER,
        room_url="https://live.douyin.com/620183552",
        products=NEXT_PRODUCTS,
    )
    live = service.create_live(session, workspace_id, draft, ACTOR)
    for fan in fans[:2]:
        share, _ = service.share_link(session, workspace_id, live.id, fan)
        for invitee in fans[2 + fan % 5 : 6 + fan % 5]:
            service.reserve(session, workspace_id, live.id, invitee, via=share.code)
    service.add_prize(session, live, "邀请前五名：小鹿周边", "rank", 5, ACTOR)
    service.create_draw(
        session,
        live,
        name="开播锦鲤",
        pool="reservers",
        winners=5,
        prize="羊毛袜三双装",
        actor=ACTOR,
    )
