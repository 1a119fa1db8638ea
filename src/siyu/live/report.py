"""What a live brought, read in SQL: reservations, visits, invites, the live's orders (by the
workspace's window rule), what sharers' links brought, its coupons and the conversion after it.

An order is *share-attributed* when its buyer came by a sharer's link (first touch) and is not
that sharer; per sharer it counts toward the link that first brought the buyer.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.coupons import service as coupons
from siyu.kit.errors import NotFound
from siyu.live.models import Live, LiveInvite, LiveReservation, LiveShare, LiveVisit
from siyu.live.service import POST_LIVE_DAYS, live_orders, order_window, post_live_audience
from siyu.orders.figures import paid_orders_between


@dataclass(frozen=True)
class SharerLine:
    customer_id: int
    invites: int
    orders: int
    gmv_fen: int


@dataclass
class LiveReport:
    reservations: int
    share_visits: int
    effective_invites: int
    new_fans: int
    orders: int
    gmv_fen: int
    share_attributed_orders: int
    share_attributed_gmv_fen: int
    coupons_claimed: int = 0
    coupons_used: int = 0
    post_live_audience: int = 0
    post_live_buyers: int = 0
    post_live_gmv_fen: int = 0
    sharers: list[SharerLine] = field(default_factory=list)

    def contract(self) -> dict[str, int]:
        """The fields the API promises."""
        keys = (
            "reservations", "share_visits", "effective_invites", "orders", "gmv_fen",
            "share_attributed_orders", "share_attributed_gmv_fen",
        )  # fmt: skip
        return {k: getattr(self, k) for k in keys}

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _count(session: Session, statement: Any) -> int:
    return int(session.scalar(statement) or 0)


def attributed_buyers(live: Live) -> Any:
    """Fans who came by someone else's link: customer id → the sharer of their first touch."""
    first = (
        select(LiveVisit.customer_id, func.min(LiveVisit.id).label("visit_id"))
        .where(
            LiveVisit.workspace_id == live.workspace_id,
            LiveVisit.live_id == live.id,
            LiveVisit.customer_id.is_not(None),
        )
        .group_by(LiveVisit.customer_id)
        .subquery()
    )
    return (
        select(first.c.customer_id, LiveShare.customer_id.label("sharer_id"))
        .join(LiveVisit, LiveVisit.id == first.c.visit_id)
        .join(LiveShare, LiveShare.id == LiveVisit.share_id)
        .where(LiveShare.customer_id != first.c.customer_id)
        .subquery()
    )


def live_report(session: Session, live: Live) -> LiveReport:
    scope = (LiveInvite.workspace_id == live.workspace_id, LiveInvite.live_id == live.id)
    orders = live_orders(session, live)
    order_count, gmv = session.execute(
        select(func.count(), func.coalesce(func.sum(orders.c.net_fen), 0))
    ).one()
    attributed = attributed_buyers(live)
    per_sharer = session.execute(
        select(attributed.c.sharer_id, func.count(), func.coalesce(func.sum(orders.c.net_fen), 0))
        .join(attributed, attributed.c.customer_id == orders.c.customer_id)
        .group_by(attributed.c.sharer_id)
    ).all()
    report = LiveReport(
        reservations=_count(
            session,
            select(func.count()).where(
                LiveReservation.workspace_id == live.workspace_id,
                LiveReservation.live_id == live.id,
            ),
        ),
        share_visits=_count(
            session,
            select(func.count()).where(
                LiveVisit.workspace_id == live.workspace_id, LiveVisit.live_id == live.id
            ),
        ),
        effective_invites=_count(session, select(func.count()).where(*scope)),
        new_fans=_count(session, select(func.count()).where(*scope, LiveInvite.kind == "new_fan")),
        orders=int(order_count),
        gmv_fen=int(gmv),
        share_attributed_orders=sum(int(n) for _, n, _ in per_sharer),
        share_attributed_gmv_fen=sum(int(g) for _, _, g in per_sharer),
    )
    _add_coupons(session, live, report)
    _add_post_live(session, live, report)
    report.sharers = _sharer_lines(
        session, live, {int(s): (int(n), int(g)) for s, n, g in per_sharer}
    )
    return report


def _sharer_lines(
    session: Session, live: Live, bought: dict[int, tuple[int, int]]
) -> list[SharerLine]:
    invites = dict(
        session.execute(
            select(LiveInvite.sharer_id, func.count())
            .where(LiveInvite.workspace_id == live.workspace_id, LiveInvite.live_id == live.id)
            .group_by(LiveInvite.sharer_id)
        ).all()
    )
    sharers = set(invites) | set(bought)
    lines = [
        SharerLine(int(s), int(invites.get(s, 0)), *bought.get(int(s), (0, 0))) for s in sharers
    ]
    return sorted(lines, key=lambda line: (-line.invites, -line.gmv_fen, line.customer_id))


def _add_coupons(session: Session, live: Live, report: LiveReport) -> None:
    for campaign_id in live.coupon_campaign_ids:
        try:
            campaign = coupons.get_campaign(session, live.workspace_id, campaign_id)
        except NotFound:
            continue
        numbers = coupons.report(session, campaign)
        report.coupons_claimed += numbers.claimed
        report.coupons_used += numbers.used


def _add_post_live(session: Session, live: Live, report: LiveReport) -> None:
    audience = post_live_audience(session, live).subquery()
    _, end = order_window(session, live)
    after = paid_orders_between(
        live.workspace_id, end, end + timedelta(days=POST_LIVE_DAYS), platform=live.platform
    ).subquery()
    report.post_live_audience = _count(session, select(func.count()).select_from(audience))
    buyers, gmv = session.execute(
        select(
            func.count(func.distinct(after.c.customer_id)),
            func.coalesce(func.sum(after.c.net_fen), 0),
        ).where(after.c.customer_id.in_(select(audience.c.customer_id)))
    ).one()
    report.post_live_buyers, report.post_live_gmv_fen = int(buyers), int(gmv)
