"""Loyalty reports, the ledger's invariant check and the fan's points timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from siyu.kit.i18n import gettext
from siyu.kit.timeline import TimelineEntry
from siyu.loyalty.models import (
    MallItem,
    OperatorGift,
    PointsAccount,
    PointsConversion,
    PointsEntry,
    PointsLot,
    Redemption,
)
from siyu.loyalty.service import list_entries

# --- reports and invariants -------------------------------------------------------------------


@dataclass(frozen=True)
class PointsReport:
    issued: int
    redeemed: int
    expired: int
    clawed_back: int
    adjusted: int
    outstanding: int
    pending: int
    debt: int
    redemption_cost_fen: int
    gift_cost_fen: int
    outstanding_cost_fen: int  # the outstanding points at the average cost of a redeemed point


def report(
    session: Session,
    workspace_id: int,
    since: datetime | None = None,
    until: datetime | None = None,
) -> PointsReport:
    window = [PointsEntry.workspace_id == workspace_id]
    if since is not None:
        window.append(PointsEntry.created_at >= since)
    if until is not None:
        window.append(PointsEntry.created_at < until)
    sums = dict(
        session.execute(
            select(PointsEntry.kind, func.sum(PointsEntry.points))
            .where(*window)
            .group_by(PointsEntry.kind)
        ).all()
    )
    totals = session.execute(
        select(
            func.coalesce(func.sum(PointsAccount.balance), 0),
            func.coalesce(func.sum(PointsAccount.pending), 0),
            func.coalesce(func.sum(PointsAccount.debt), 0),
        ).where(PointsAccount.workspace_id == workspace_id)
    ).one()
    kept = [Redemption.workspace_id == workspace_id, Redemption.state != "cancelled"]
    if since is not None:
        kept.append(Redemption.created_at >= since)
    if until is not None:
        kept.append(Redemption.created_at < until)
    cost_row = session.execute(
        select(
            func.coalesce(func.sum(Redemption.quantity * MallItem.cost_fen), 0),
            func.coalesce(
                func.sum(
                    case((Redemption.points > 0, Redemption.quantity * MallItem.cost_fen), else_=0)
                ),
                0,
            ),
            func.coalesce(func.sum(Redemption.points), 0),
        )
        .join(MallItem, MallItem.id == Redemption.item_id)
        .where(*kept, Redemption.gift_id.is_(None))
    ).one()
    gifts = [OperatorGift.workspace_id == workspace_id, OperatorGift.state == "approved"]
    if since is not None:
        gifts.append(OperatorGift.created_at >= since)
    if until is not None:
        gifts.append(OperatorGift.created_at < until)
    gift_cost = session.scalar(
        select(func.coalesce(func.sum(OperatorGift.cost_fen), 0)).where(*gifts)
    )
    redeemed_points = int(cost_row[2])
    outstanding = int(totals[0])
    per_point = int(cost_row[1]) / redeemed_points if redeemed_points else 0
    return PointsReport(
        issued=int(sums.get("earn") or 0),
        redeemed=-int(sums.get("redeem") or 0) - int(sums.get("redemption_refund") or 0),
        expired=-int(sums.get("expire") or 0),
        clawed_back=-int(sums.get("clawback") or 0),
        adjusted=int(sums.get("adjust") or 0),
        outstanding=outstanding,
        pending=int(totals[1]),
        debt=int(totals[2]),
        redemption_cost_fen=int(cost_row[0]),
        gift_cost_fen=int(gift_cost or 0),
        outstanding_cost_fen=round(outstanding * per_point),
    )


@dataclass(frozen=True)
class Drift:
    workspace_id: int
    customer_id: int
    what: str  # balance-vs-entries | balance-vs-lots | debt-vs-entries | pending-vs-conversions
    cached: int
    computed: int


def check_invariants(session: Session, workspace_id: int | None = None) -> list[Drift]:
    """Compare every account with the ledger, the lots and the pending conversions."""
    scope = [] if workspace_id is None else [PointsAccount.workspace_id == workspace_id]
    entries = (
        select(
            PointsEntry.workspace_id.label("ws"),
            PointsEntry.customer_id.label("cid"),
            func.sum(PointsEntry.points).label("points"),
            func.sum(PointsEntry.debt_delta).label("debt"),
        )
        .group_by(PointsEntry.workspace_id, PointsEntry.customer_id)
        .subquery()
    )
    lots = (
        select(
            PointsLot.workspace_id.label("ws"),
            PointsLot.customer_id.label("cid"),
            func.sum(PointsLot.remaining).label("remaining"),
        )
        .group_by(PointsLot.workspace_id, PointsLot.customer_id)
        .subquery()
    )
    pending = (
        select(
            PointsConversion.workspace_id.label("ws"),
            PointsConversion.customer_id.label("cid"),
            func.sum(PointsConversion.points).label("points"),
        )
        .where(PointsConversion.state == "pending")
        .group_by(PointsConversion.workspace_id, PointsConversion.customer_id)
        .subquery()
    )

    def joined(sub: Any) -> Any:
        return and_(sub.c.ws == PointsAccount.workspace_id, sub.c.cid == PointsAccount.customer_id)

    rows = session.execute(
        select(
            PointsAccount.workspace_id,
            PointsAccount.customer_id,
            PointsAccount.balance,
            PointsAccount.debt,
            PointsAccount.pending,
            func.coalesce(entries.c.points, 0),
            func.coalesce(entries.c.debt, 0),
            func.coalesce(lots.c.remaining, 0),
            func.coalesce(pending.c.points, 0),
        )
        .outerjoin(entries, joined(entries))
        .outerjoin(lots, joined(lots))
        .outerjoin(pending, joined(pending))
        .where(*scope)
    ).all()
    drifts: list[Drift] = []
    for ws, cid, balance, debt, pend, e_points, e_debt, l_rem, c_pend in rows:
        for what, cached, computed in (
            ("balance-vs-entries", balance, e_points),
            ("balance-vs-lots", balance, l_rem),
            ("debt-vs-entries", debt, e_debt),
            ("pending-vs-conversions", pend, c_pend),
        ):
            if int(cached) != int(computed):
                drifts.append(Drift(int(ws), int(cid), what, int(cached), int(computed)))
    orphans = session.execute(
        select(PointsEntry.workspace_id, PointsEntry.customer_id, func.sum(PointsEntry.points))
        .outerjoin(
            PointsAccount,
            and_(
                PointsAccount.workspace_id == PointsEntry.workspace_id,
                PointsAccount.customer_id == PointsEntry.customer_id,
            ),
        )
        .where(
            PointsAccount.id.is_(None),
            *([] if workspace_id is None else [PointsEntry.workspace_id == workspace_id]),
        )
        .group_by(PointsEntry.workspace_id, PointsEntry.customer_id)
    ).all()
    drifts.extend(
        Drift(int(w), int(c), "entries-without-account", 0, int(p)) for w, c, p in orphans
    )
    return drifts


def workspace_ids_with_points(session: Session) -> list[int]:
    return list(session.scalars(select(PointsAccount.workspace_id).distinct()))


# --- the fan's timeline -----------------------------------------------------------------------


def timeline_of(
    session: Session, workspace_id: int, customer_id: int, limit: int = 20
) -> list[TimelineEntry]:
    """The fan's latest points movements for the 360 page's activity timeline."""
    from siyu.loyalty.labels import ENTRY_LABELS, reason_text

    entries, _ = list_entries(session, workspace_id, customer_id=customer_id, limit=limit)
    return [
        TimelineEntry(
            entry.created_at,
            "points",
            gettext("%(what)s %(points)s points · %(reason)s")
            % {
                "what": gettext(ENTRY_LABELS.get(entry.kind, entry.kind)),
                "points": f"{entry.points:+,}",
                "reason": reason_text(entry.reason),
            },
            f"/loyalty/ledger?customer_id={customer_id}",
        )
        for entry in entries
    ]
