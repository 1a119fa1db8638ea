"""Rules of the live domain: lives, reservations and wishlists, share links and their visits,
effective invites, the leaderboard, prizes, fair draws, the live's orders and its report.

The only module that changes the domain's state. Other domains are read through their own
service and read functions: orders (``orders.figures.paid_orders_between``), customers,
segments and coupons.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy import Select, event, func, select, union, update
from sqlalchemy.orm import Session

from siyu.coupons import service as coupons
from siyu.customers import service as customers
from siyu.kit.clock import as_utc, utcnow
from siyu.kit.errors import Conflict, NotFound, Unprocessable
from siyu.kit.i18n import N_
from siyu.kit.pagination import keyset_page
from siyu.kit.redis import get_redis
from siyu.kit.sql import get_in_workspace, insert_for, unknown_reference
from siyu.live import board, fairdraw
from siyu.live.models import (
    PLATFORMS,
    POOLS,
    PRIZE_BASES,
    Live,
    LiveDraw,
    LiveInvite,
    LivePrize,
    LiveReservation,
    LiveSettings,
    LiveShare,
    LiveVisit,
)
from siyu.orders.figures import paid_orders_between
from siyu.segments import service as segments
from siyu.workspace import audit
from siyu.workspace.audit import Actor

log = logging.getLogger("siyu.live")

DEFAULT_GRACE_MINUTES = 30
MAX_GRACE_MINUTES = 4320
MAX_PRODUCTS = 50
POST_LIVE_DAYS = 7  # how long after a live a purchase still counts as its post-live conversion


# --- problems ------------------------------------------------------------------------------------


def live_not_found() -> NotFound:
    return NotFound("live-not-found", title=N_("No such live"))


def draw_not_found() -> NotFound:
    return NotFound("live-draw-not-found", title=N_("No such draw"))


def share_not_found() -> NotFound:
    return NotFound("live-share-not-found", title=N_("No such share link"))


def _invalid(field_name: str, message: str) -> Unprocessable:
    return Unprocessable(
        "live-invalid",
        title=N_("The live has invalid fields"),
        errors=[{"field": field_name, "message": message}],
    )


# --- lives ---------------------------------------------------------------------------------------


@dataclass
class LiveDraft:
    title: str
    platform: str
    starts_at: datetime
    ends_at: datetime
    streamer_id: str | None = None
    room_url: str | None = None
    products: list[str] = field(default_factory=list)
    coupon_campaign_ids: list[int] = field(default_factory=list)


def _check(session: Session, workspace_id: int, draft: LiveDraft) -> None:
    if not draft.title.strip() or len(draft.title) > 100:
        raise _invalid("title", "give a title of 1 to 100 characters")
    if draft.platform not in PLATFORMS:
        raise _invalid("platform", f"one of {', '.join(PLATFORMS)}")
    if draft.ends_at <= draft.starts_at:
        raise _invalid("ends_at", "the live must end after it starts")
    if len(draft.products) > MAX_PRODUCTS or any(
        not p.strip() or len(p) > 100 for p in draft.products
    ):
        raise _invalid("products", f"at most {MAX_PRODUCTS} names of 1 to 100 characters")
    for campaign_id in draft.coupon_campaign_ids:
        try:
            coupons.get_campaign(session, workspace_id, campaign_id)
        except NotFound:
            raise unknown_reference("coupon_campaign_ids") from None


def create_live(session: Session, workspace_id: int, draft: LiveDraft, actor: Actor) -> Live:
    draft.products = list(dict.fromkeys(p.strip() for p in draft.products if p.strip()))
    _check(session, workspace_id, draft)
    live = Live(workspace_id=workspace_id, **draft.__dict__)
    live.title = live.title.strip()
    session.add(live)
    session.flush()
    audit.record(
        session, actor, "live.created", workspace_id=workspace_id, target_type="live",
        target_id=live.id, detail={"title": live.title},
    )  # fmt: skip
    return live


def update_live(
    session: Session, workspace_id: int, live_id: int, changes: dict[str, Any], actor: Actor
) -> Live:
    live = get_live(session, workspace_id, live_id)
    values = {name: getattr(live, name) for name in LiveDraft.__dataclass_fields__}
    values.update(changes)
    draft = LiveDraft(**values)
    draft.products = list(dict.fromkeys(p.strip() for p in draft.products if p.strip()))
    _check(session, workspace_id, draft)
    for name, value in draft.__dict__.items():
        setattr(live, name, value)
    live.title = live.title.strip()
    session.flush()
    audit.record(
        session, actor, "live.updated", workspace_id=workspace_id, target_type="live",
        target_id=live.id, detail={"fields": sorted(changes)},
    )  # fmt: skip
    return live


def get_live(session: Session, workspace_id: int, live_id: int) -> Live:
    return get_in_workspace(session, Live, workspace_id, live_id, live_not_found())


def list_lives(
    session: Session, workspace_id: int, *, cursor: str | None = None, limit: int = 50
) -> tuple[list[Live], str | None]:
    statement = select(Live).where(Live.workspace_id == workspace_id)
    return keyset_page(session, statement, Live.id, cursor=cursor, limit=limit)


def phase_of(live: Live, now: datetime | None = None) -> str:
    now = now or utcnow()
    if now < live.starts_at:
        return "upcoming"
    return "on_air" if now < live.ends_at else "ended"


# --- the workspace's rule: the grace period ------------------------------------------------------


def grace_minutes(session: Session, workspace_id: int) -> int:
    value = session.scalar(
        select(LiveSettings.grace_minutes).where(LiveSettings.workspace_id == workspace_id)
    )
    return DEFAULT_GRACE_MINUTES if value is None else int(value)


def set_grace_minutes(session: Session, workspace_id: int, minutes: int, actor: Actor) -> None:
    if not 0 <= minutes <= MAX_GRACE_MINUTES:
        raise _invalid("grace_minutes", f"0 to {MAX_GRACE_MINUTES} minutes")
    statement = insert_for(session)(LiveSettings).values(
        workspace_id=workspace_id, grace_minutes=minutes
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[LiveSettings.workspace_id], set_={"grace_minutes": minutes}
        )
    )
    audit.record(
        session, actor, "live.grace_set", workspace_id=workspace_id,
        detail={"grace_minutes": minutes},
    )  # fmt: skip


def order_window(session: Session, live: Live) -> tuple[datetime, datetime]:
    """When a payment makes an order the live's: its window plus the workspace's grace."""
    return live.starts_at, live.ends_at + timedelta(
        minutes=grace_minutes(session, live.workspace_id)
    )


def live_orders(session: Session, live: Live) -> Any:
    """The live's orders as a subquery: id, customer_id, net_fen, paid_at."""
    start, end = order_window(session, live)
    return paid_orders_between(
        live.workspace_id, start, end, platform=live.platform, streamer_id=live.streamer_id
    ).subquery()


# --- reservations and the wishlist ---------------------------------------------------------------


def reserve(
    session: Session,
    workspace_id: int,
    live_id: int,
    customer_id: int,
    *,
    via: str | None = None,
    visitor: str | None = None,
) -> tuple[LiveReservation, bool]:
    """The fan's reservation and whether it is new; a second call returns the first one. The
    share link it came by (``via`` code, else the visitor cookie's first touch) gets the
    effective invite."""
    live = get_live(session, workspace_id, live_id)
    customers.check_customers(session, workspace_id, [customer_id], "customer_id")
    share = _share_for(session, live, via=via, visitor=visitor)
    inserted = session.scalar(
        insert_for(session)(LiveReservation)
        .values(
            workspace_id=workspace_id,
            live_id=live.id,
            customer_id=customer_id,
            share_id=share.id if share else None,
            wishlist=[],
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["live_id", "customer_id"])
        .returning(LiveReservation.id)
    )
    reservation = session.scalars(
        select(LiveReservation).where(
            LiveReservation.live_id == live.id, LiveReservation.customer_id == customer_id
        )
    ).one()
    if inserted is not None and share is not None:
        record_invite(session, share, customer_id, "reserved")
    return reservation, inserted is not None


def _share_for(
    session: Session, live: Live, *, via: str | None, visitor: str | None
) -> LiveShare | None:
    if via:
        share = share_by_code(session, via)
        if share is None or share.live_id != live.id:
            raise _invalid("via", "not a share link of this live")
        return share
    return first_touch(session, live, visitor) if visitor else None


def reservation_of(session: Session, live: Live, customer_id: int) -> LiveReservation | None:
    return session.scalars(
        select(LiveReservation).where(
            LiveReservation.workspace_id == live.workspace_id,
            LiveReservation.live_id == live.id,
            LiveReservation.customer_id == customer_id,
        )
    ).first()


def set_wishlist(
    session: Session, live: Live, customer_id: int, products: list[str]
) -> LiveReservation:
    """The fan's wishlist: some of the live's featured products (reserving comes first)."""
    reservation = reservation_of(session, live, customer_id)
    if reservation is None:
        raise Conflict("live-not-reserved", title=N_("Reserve the live first"))
    unknown = [p for p in products if p not in live.products]
    if unknown:
        raise _invalid("products", "pick among the live's featured products")
    reservation.wishlist = list(dict.fromkeys(products))
    session.flush()
    return reservation


def wishlist_counts(session: Session, live: Live) -> dict[str, int]:
    counts = dict.fromkeys(live.products, 0)
    for wishlist in session.scalars(
        select(LiveReservation.wishlist).where(
            LiveReservation.workspace_id == live.workspace_id, LiveReservation.live_id == live.id
        )
    ):
        for product in wishlist or []:
            if product in counts:
                counts[product] += 1
    return counts


def reserver_ids(session: Session, live: Live) -> Select[Any]:
    return select(LiveReservation.customer_id).where(
        LiveReservation.workspace_id == live.workspace_id, LiveReservation.live_id == live.id
    )


def reservers_of_lives_started(
    session: Session, workspace_id: int, since: datetime, until: datetime
) -> list[tuple[int, datetime]]:
    """(fan, the live's start) for every reservation of a live that started in [since, until):
    the anchor of playbooks that follow a live."""
    rows = session.execute(
        select(LiveReservation.customer_id, Live.starts_at)
        .join(Live, (Live.id == LiveReservation.live_id) & (Live.workspace_id == workspace_id))
        .where(
            LiveReservation.workspace_id == workspace_id,
            Live.starts_at >= since,
            Live.starts_at < until,
        )
    )
    return [(customer_id, as_utc(starts_at)) for customer_id, starts_at in rows]


# --- share links and visits ----------------------------------------------------------------------


def share_link(
    session: Session, workspace_id: int, live_id: int, customer_id: int
) -> tuple[LiveShare, bool]:
    """The fan's one link for the live (created on first ask) and whether it is new."""
    live = get_live(session, workspace_id, live_id)
    customers.check_customers(session, workspace_id, [customer_id], "customer_id")
    inserted = session.scalar(
        insert_for(session)(LiveShare)
        .values(
            workspace_id=workspace_id,
            live_id=live.id,
            customer_id=customer_id,
            code=secrets.token_urlsafe(9),
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["live_id", "customer_id"])
        .returning(LiveShare.id)
    )
    share = session.scalars(
        select(LiveShare).where(LiveShare.live_id == live.id, LiveShare.customer_id == customer_id)
    ).one()
    return share, inserted is not None


def share_by_code(session: Session, code: str) -> LiveShare | None:
    """Codes are unguessable and global: a visitor carries no workspace."""
    return session.scalars(select(LiveShare).where(LiveShare.code == code[:16])).first()


def share_of(session: Session, live: Live, customer_id: int) -> LiveShare | None:
    return session.scalars(
        select(LiveShare).where(
            LiveShare.workspace_id == live.workspace_id,
            LiveShare.live_id == live.id,
            LiveShare.customer_id == customer_id,
        )
    ).first()


def record_visit(
    session: Session, share: LiveShare, visitor: str, at: datetime | None = None
) -> bool:
    """Count the visitor once per link; whether this visit was the first."""
    inserted = session.scalar(
        insert_for(session)(LiveVisit)
        .values(
            workspace_id=share.workspace_id,
            live_id=share.live_id,
            share_id=share.id,
            visitor=visitor[:64],
            visited_at=at or utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["share_id", "visitor"])
        .returning(LiveVisit.id)
    )
    return inserted is not None


def first_touch(session: Session, live: Live, visitor: str) -> LiveShare | None:
    """The link that first brought this visitor to the live (first touch wins)."""
    return session.scalars(
        select(LiveShare)
        .join(LiveVisit, LiveVisit.share_id == LiveShare.id)
        .where(
            LiveVisit.workspace_id == live.workspace_id,
            LiveVisit.live_id == live.id,
            LiveVisit.visitor == visitor[:64],
        )
        .order_by(LiveVisit.id)
        .limit(1)
    ).first()


def bind_visitor(session: Session, live: Live, visitor: str, customer_id: int) -> None:
    """The visitor turned out to be this fan (they opened the live's page signed in). A fan
    whose profile is newer than their first visit became a fan through the link."""
    share = identify_visitor(session, live, visitor, customer_id)
    if share is None:
        return
    first_visit = session.scalar(
        select(func.min(LiveVisit.visited_at)).where(
            LiveVisit.live_id == live.id, LiveVisit.visitor == visitor[:64]
        )
    )
    fan = customers.get_customer(session, live.workspace_id, customer_id)
    if first_visit is not None and fan.created_at >= first_visit:
        record_invite(session, share, customer_id, "new_fan")


def identify_visitor(
    session: Session, live: Live, visitor: str, customer_id: int
) -> LiveShare | None:
    """Tie the visitor's visits of the live to the fan; the link of their first touch."""
    share = first_touch(session, live, visitor)
    if share is not None:
        session.execute(
            update(LiveVisit)
            .where(
                LiveVisit.workspace_id == live.workspace_id,
                LiveVisit.live_id == live.id,
                LiveVisit.visitor == visitor[:64],
                LiveVisit.customer_id.is_(None),
            )
            .values(customer_id=customer_id)
        )
    return share


@dataclass(frozen=True)
class Touch:
    sharer_id: int
    live_id: int
    visited_at: datetime


def first_sharer_of(session: Session, workspace_id: int, customer_id: int) -> Touch | None:
    """Read function for other domains (old-brings-new): whose live share link first brought
    this fan, and when. None when the fan never arrived through one."""
    row = session.execute(
        select(LiveShare.customer_id, LiveVisit.live_id, LiveVisit.visited_at)
        .join(LiveShare, LiveShare.id == LiveVisit.share_id)
        .where(LiveVisit.workspace_id == workspace_id, LiveVisit.customer_id == customer_id)
        .order_by(LiveVisit.visited_at, LiveVisit.id)
        .limit(1)
    ).first()
    return Touch(int(row[0]), int(row[1]), row[2]) if row else None


# --- effective invites ---------------------------------------------------------------------------


def record_invite(session: Session, share: LiveShare, invitee_id: int, kind: str) -> bool:
    """Credit the link's owner once for this invitee (never the sharer themself)."""
    if invitee_id == share.customer_id:
        return False
    invite_id = session.scalar(
        insert_for(session)(LiveInvite)
        .values(
            workspace_id=share.workspace_id,
            live_id=share.live_id,
            share_id=share.id,
            sharer_id=share.customer_id,
            invitee_id=invitee_id,
            kind=kind,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["live_id", "invitee_id"])
        .returning(LiveInvite.id)
    )
    if invite_id is None:
        return False
    _board_pending(session).append(
        (share.live_id, board.Invite(invitee_id, share.customer_id, int(invite_id)))
    )
    return True


def settle_order_invites(session: Session, live: Live) -> int:
    """Visitors (known as fans) who ordered in the live's window become effective invites of
    the link that first brought them. Idempotent; run after imports and from the report."""
    orders = live_orders(session, live)
    rows: Any = session.execute(
        select(LiveVisit.customer_id, LiveVisit.share_id)
        .where(
            LiveVisit.workspace_id == live.workspace_id,
            LiveVisit.live_id == live.id,
            LiveVisit.customer_id.in_(select(orders.c.customer_id)),
            LiveVisit.customer_id.not_in(
                select(LiveInvite.invitee_id).where(LiveInvite.live_id == live.id)
            ),
        )
        .order_by(LiveVisit.id)
    ).all()  # fmt: skip
    first: dict[int, int] = {}
    for customer_id, share_id in rows:
        first.setdefault(int(customer_id), int(share_id))
    shares = {
        s.id: s for s in session.scalars(select(LiveShare).where(LiveShare.id.in_(first.values())))
    }
    return sum(
        record_invite(session, shares[share_id], customer_id, "ordered")
        for customer_id, share_id in first.items()
    )


def _board_pending(session: Session) -> list[tuple[int, board.Invite]]:
    pending: list[tuple[int, board.Invite]] = session.info.setdefault("siyu_live_board", [])
    return pending


@event.listens_for(Session, "after_commit")
def _feed_board_after_commit(session: Session) -> None:
    """Committed invites reach the Redis board (idempotent: a replay counts nothing twice)."""
    pending = session.info.pop("siyu_live_board", None)
    client = get_redis()
    if not pending or client is None:
        return
    by_live: dict[int, list[board.Invite]] = {}
    for live_id, invite in pending:
        by_live.setdefault(live_id, []).append(invite)
    try:
        for live_id, invites in by_live.items():
            board.record(client, live_id, invites)
    except RedisError as exc:  # the board is rebuilt from the store: `siyu live rebuild-board`
        log.warning("live board not updated, Redis unavailable: %s", exc)


@event.listens_for(Session, "after_rollback")
def _forget_board_after_rollback(session: Session) -> None:
    session.info.pop("siyu_live_board", None)


# --- the leaderboard -----------------------------------------------------------------------------


def leaderboard(session: Session, live: Live, limit: int) -> list[board.Standing]:
    client = get_redis()
    if client is None:
        return board.sql_top(session, live.workspace_id, live.id, limit)
    board.ensure_armed(client, session, live.workspace_id, live.id)
    return board.redis_top(client, live.id, limit)


def standing_of(session: Session, live: Live, customer_id: int) -> board.Standing | None:
    client = get_redis()
    if client is None:
        return board.sql_standing(session, live.workspace_id, live.id, customer_id)
    board.ensure_armed(client, session, live.workspace_id, live.id)
    return board.redis_standing(client, live.id, customer_id)


def rebuild_board(session: Session, live: Live) -> int:
    """Merge the store's invites into the Redis board again (after Redis lost writes)."""
    client = get_redis()
    if client is None:
        return 0
    client.delete(*board.keys(live.id))
    board.ensure_armed(client, session, live.workspace_id, live.id)
    return len(board.store_invites(session, live.workspace_id, live.id))


# --- prizes --------------------------------------------------------------------------------------


def add_prize(
    session: Session, live: Live, name: str, basis: str, top_n: int | None, actor: Actor
) -> LivePrize:
    if not name.strip() or len(name) > 100:
        raise _invalid("name", "give a name of 1 to 100 characters")
    if basis not in PRIZE_BASES:
        raise _invalid("basis", f"one of {', '.join(PRIZE_BASES)}")
    if basis == "rank" and (top_n is None or not 1 <= top_n <= 1000):
        raise _invalid("top_n", "the leaderboard's top 1 to 1000")
    prize = LivePrize(
        workspace_id=live.workspace_id,
        live_id=live.id,
        name=name.strip(),
        basis=basis,
        top_n=top_n if basis == "rank" else None,
    )
    session.add(prize)
    session.flush()
    audit.record(
        session, actor, "live.prize_added", workspace_id=live.workspace_id, target_type="live",
        target_id=live.id, detail={"name": prize.name, "basis": basis},
    )  # fmt: skip
    return prize


def prizes_of(session: Session, live: Live) -> list[LivePrize]:
    return list(
        session.scalars(
            select(LivePrize)
            .where(LivePrize.workspace_id == live.workspace_id, LivePrize.live_id == live.id)
            .order_by(LivePrize.id)
        )
    )


def rewards_bare_sharing(prizes: list[LivePrize]) -> bool:
    """WeChat bans rewards for the bare act of sharing: a prize on that basis is flagged."""
    return any(p.basis == "shares" for p in prizes)


# --- fair draws ----------------------------------------------------------------------------------


def create_draw(
    session: Session,
    live: Live,
    *,
    name: str,
    pool: str,
    winners: int,
    actor: Actor,
    segment_id: int | None = None,
    prize: str | None = None,
) -> LiveDraw:
    if not name.strip() or len(name) > 100:
        raise _invalid("name", "give a name of 1 to 100 characters")
    if pool not in POOLS:
        raise _invalid("pool", f"one of {', '.join(POOLS)}")
    if not 1 <= winners <= 1000:
        raise _invalid("winners", "1 to 1000")
    if pool == "segment" and (
        segment_id is None or not segments.segment_exists(session, live.workspace_id, segment_id)
    ):
        raise unknown_reference("segment_id")
    seed = fairdraw.fresh_seed()
    draw = LiveDraw(
        workspace_id=live.workspace_id,
        live_id=live.id,
        name=name.strip(),
        pool=pool,
        segment_id=segment_id if pool == "segment" else None,
        prize=(prize or "").strip()[:100] or None,
        winners_wanted=winners,
        seed_hex=seed.hex(),
        commitment=fairdraw.commitment_of(seed),
    )
    session.add(draw)
    session.flush()
    audit.record(
        session, actor, "live.draw_created", workspace_id=live.workspace_id,
        target_type="live_draw", target_id=draw.id,
        detail={"pool": pool, "winners": winners, "commitment": draw.commitment},
    )  # fmt: skip
    return draw


def get_draw(session: Session, workspace_id: int, draw_id: int) -> LiveDraw:
    return get_in_workspace(session, LiveDraw, workspace_id, draw_id, draw_not_found())


def draws_of(session: Session, live: Live) -> list[LiveDraw]:
    return list(
        session.scalars(
            select(LiveDraw)
            .where(LiveDraw.workspace_id == live.workspace_id, LiveDraw.live_id == live.id)
            .order_by(LiveDraw.id)
        )
    )


def pool_ids(session: Session, live: Live, pool: str, segment_id: int | None) -> list[int]:
    ids: Any
    if pool == "reservers":
        ids = session.scalars(reserver_ids(session, live))
    elif pool == "sharers":
        ids = session.scalars(
            select(LiveInvite.sharer_id)
            .where(LiveInvite.workspace_id == live.workspace_id, LiveInvite.live_id == live.id)
            .distinct()
        )
    elif pool == "buyers":
        ids = session.scalars(select(buyers_of(session, live).c.customer_id).distinct())
    else:
        ids = iter(segments.member_ids(session, live.workspace_id, segment_id or 0))
    return sorted({int(i) for i in ids if i is not None})


def buyers_of(session: Session, live: Live) -> Any:
    orders = live_orders(session, live)
    return select(orders.c.customer_id).where(orders.c.customer_id.is_not(None)).subquery()


def run_draw(session: Session, workspace_id: int, draw_id: int, actor: Actor) -> LiveDraw:
    """Reveal the seed and draw; a draw already run answers its result again (a conditional
    update makes the first run the only one under concurrency)."""
    draw = get_draw(session, workspace_id, draw_id)
    if draw.ran_at is not None:
        return draw
    live = get_live(session, workspace_id, draw.live_id)
    pool = pool_ids(session, live, draw.pool, draw.segment_id)
    winners = fairdraw.draw_winners(bytes.fromhex(draw.seed_hex), pool, draw.winners_wanted)
    ran = session.execute(
        update(LiveDraw)
        .where(LiveDraw.id == draw.id, LiveDraw.ran_at.is_(None))
        .values(pool_ids=pool, winner_ids=winners, ran_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.refresh(draw)
    if getattr(ran, "rowcount", 0):
        audit.record(
            session, actor, "live.draw_run", workspace_id=workspace_id, target_type="live_draw",
            target_id=draw.id, detail={"pool_size": len(pool), "winners": winners},
        )  # fmt: skip
    return draw


# --- after the live ------------------------------------------------------------------------------


def post_live_audience(session: Session, live: Live) -> Any:
    """Reservers and visitors known as fans who did not buy in the live: a select of ids."""
    orders = live_orders(session, live)
    reservers = select(LiveReservation.customer_id).where(
        LiveReservation.workspace_id == live.workspace_id, LiveReservation.live_id == live.id
    )
    visitors = select(LiveVisit.customer_id).where(
        LiveVisit.workspace_id == live.workspace_id,
        LiveVisit.live_id == live.id,
        LiveVisit.customer_id.is_not(None),
    )
    bought = select(orders.c.customer_id).where(orders.c.customer_id.is_not(None))
    either = union(reservers, visitors).subquery()
    return select(either.c.customer_id).where(either.c.customer_id.not_in(bought))


def issue_post_live(
    session: Session, live: Live, campaign_id: int, actor: Actor
) -> coupons.IssueReport:
    """Hand a post-live coupon campaign's coupons to reservers and visitors who did not buy
    (the coupons domain's engine keeps its stock and limits)."""
    audience = [int(i) for i in session.scalars(post_live_audience(session, live)) if i is not None]
    if not audience:
        raise Conflict("live-no-post-live-audience", title=N_("Nobody to reach after this live"))
    return coupons.issue(session, live.workspace_id, campaign_id, actor, customer_ids=audience)


def has_unbound_visit(session: Session, live: Live, visitor: str) -> bool:
    return (
        session.scalar(
            select(LiveVisit.id)
            .where(
                LiveVisit.workspace_id == live.workspace_id,
                LiveVisit.live_id == live.id,
                LiveVisit.visitor == visitor[:64],
                LiveVisit.customer_id.is_(None),
            )
            .limit(1)
        )
        is not None
    )


def lives_ended_since(session: Session, since: datetime) -> list[Live]:
    """Lives of every workspace that ended after ``since`` (the hourly settlement's work)."""
    return list(
        session.scalars(
            select(Live).where(Live.ends_at >= since, Live.starts_at <= utcnow()).order_by(Live.id)
        )
    )
