"""Points tiers: defining them, the yearly recompute and each fan's tier history."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, func, literal, select, true
from sqlalchemy.orm import Session

from siyu.customers import service as customers
from siyu.kit.clock import utcnow
from siyu.kit.errors import Conflict, NotFound, Unprocessable
from siyu.kit.i18n import N_
from siyu.kit.sql import insert_for
from siyu.loyalty.models import (
    PointsAccount,
    PointsEntry,
    PointsTier,
    TierChange,
)
from siyu.loyalty.service import _tier
from siyu.orders import ownership as orders
from siyu.workspace import audit
from siyu.workspace.audit import SYSTEM, Actor


def list_tiers(session: Session, workspace_id: int) -> list[PointsTier]:
    return list(
        session.scalars(
            select(PointsTier)
            .where(PointsTier.workspace_id == workspace_id)
            .order_by(PointsTier.rank)
        )
    )


TIER_CODE_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_-")


def _validate_tier(
    code: str, name: str, rank: int, min_points: int, min_spend: int | None, multiplier: int
) -> None:
    if not code or len(code) > 32 or not set(code) <= TIER_CODE_CHARS:
        raise Unprocessable(
            "tier-code-invalid",
            title=N_("A tier code is 1 to 32 lowercase letters, digits, - or _"),
        )
    if not name.strip() or len(name) > 50:
        raise Unprocessable("tier-name-invalid", title=N_("A tier name is 1 to 50 characters"))
    if rank < 0 or min_points < 0 or (min_spend is not None and min_spend < 0):
        raise Unprocessable(
            "tier-floor-invalid", title=N_("Rank and thresholds cannot be negative")
        )
    if multiplier <= 0:
        raise Unprocessable("multiplier-invalid", title=N_("The multiplier must be positive"))


def save_tier(
    session: Session,
    workspace_id: int,
    code: str,
    name: str,
    rank: int,
    min_points_12m: int,
    multiplier_permille: int = 1000,
    benefits: str | None = None,
    *,
    min_spend_fen_12m: int | None = None,
    actor: Actor = SYSTEM,
) -> PointsTier:
    """Create or change the tier ``code``. A fan reaches it with ``min_points_12m`` points earned
    or (when set) ``min_spend_fen_12m`` fen spent in the last 12 months."""
    code = code.strip()
    _validate_tier(code, name, rank, min_points_12m, min_spend_fen_12m, multiplier_permille)
    tier = _tier(session, workspace_id, code) or PointsTier(workspace_id=workspace_id, code=code)
    tier.name, tier.rank, tier.min_points_12m = name.strip(), rank, min_points_12m
    tier.min_spend_fen_12m = min_spend_fen_12m or None
    tier.multiplier_permille, tier.benefits = multiplier_permille, (benefits or "").strip() or None
    session.add(tier)
    session.flush()
    audit.record(
        session,
        actor,
        "points.tier_save",
        workspace_id=workspace_id,
        target_type="points_tier",
        target_id=tier.id,
        detail={
            "code": code,
            "min_points_12m": min_points_12m,
            "min_spend_fen_12m": tier.min_spend_fen_12m,
            "multiplier_permille": multiplier_permille,
        },
    )
    return tier


TIER_FIELDS = (
    "name",
    "rank",
    "min_points_12m",
    "min_spend_fen_12m",
    "multiplier_permille",
    "benefits",
)


def create_tier(
    session: Session, workspace_id: int, code: str, values: dict[str, Any], actor: Actor
) -> PointsTier:
    if _tier(session, workspace_id, code.strip()) is not None:
        raise Conflict("tier-exists", title=N_("A tier with this code exists already"))
    return save_tier(
        session,
        workspace_id,
        code,
        values.get("name") or "",
        int(values.get("rank") or 0),
        int(values.get("min_points_12m") or 0),
        int(values.get("multiplier_permille") or 1000),
        values.get("benefits"),
        min_spend_fen_12m=values.get("min_spend_fen_12m"),
        actor=actor,
    )


def update_tier(
    session: Session, workspace_id: int, code: str, values: dict[str, Any], actor: Actor
) -> PointsTier:
    """Change the given fields of a tier; fans move at the next recomputation (nightly)."""
    tier = get_tier(session, workspace_id, code)
    merged = {name: getattr(tier, name) for name in TIER_FIELDS}
    merged.update({k: v for k, v in values.items() if k in TIER_FIELDS})
    return save_tier(
        session,
        workspace_id,
        code,
        merged["name"] or "",
        int(merged["rank"]),
        int(merged["min_points_12m"]),
        int(merged["multiplier_permille"]),
        merged["benefits"],
        min_spend_fen_12m=merged["min_spend_fen_12m"],
        actor=actor,
    )


def get_tier(session: Session, workspace_id: int, code: str) -> PointsTier:
    tier = _tier(session, workspace_id, code)
    if tier is None:
        raise NotFound("tier-not-found", title=N_("Tier not found"))
    return tier


def _tier_fits(tier: PointsTier, points: int, spend_fen: int) -> bool:
    """Points earned or money spent, whichever reaches the tier's floor."""
    if tier.min_points_12m <= points:
        return True
    return tier.min_spend_fen_12m is not None and tier.min_spend_fen_12m <= spend_fen


def _spend_12m(session: Session, workspace_id: int, since: datetime) -> dict[int, int]:
    """Net paid fen per fan over orders paid since ``since``."""
    spend = orders.net_spend_since(workspace_id, since)
    rows = session.execute(select(spend.c.customer_id, spend.c.net_fen)).all()
    return {int(cid or 0): int(total or 0) for cid, total in rows}


def _points_12m(session: Session, workspace_id: int, since: datetime) -> dict[int, int]:
    rows = session.execute(
        select(PointsEntry.customer_id, func.sum(PointsEntry.points))
        .where(
            PointsEntry.workspace_id == workspace_id,
            PointsEntry.kind.in_(("earn", "adjust")),
            PointsEntry.points > 0,
            PointsEntry.created_at >= since,
        )
        .group_by(PointsEntry.customer_id)
    ).all()
    return {int(cid): int(total or 0) for cid, total in rows}


def recompute_tiers(session: Session, workspace_id: int, now: datetime | None = None) -> int:
    """Each fan's tier from points earned or money spent in the last 12 months; changes are
    kept. Fans who reach a spend floor get a points account (to hold the tier) if they had none."""
    tiers = list_tiers(session, workspace_id)
    if not tiers:
        return 0
    since = (now or utcnow()) - timedelta(days=365)
    earned = _points_12m(session, workspace_id, since)
    spent = _spend_12m(session, workspace_id, since) if _spend_floors(tiers) else {}
    lowest_spend_floor = min(_spend_floors(tiers), default=None)
    if lowest_spend_floor is not None:
        _accounts_for_spenders(session, workspace_id, since, lowest_spend_floor)
    changes = 0
    accounts = session.scalars(
        select(PointsAccount).where(PointsAccount.workspace_id == workspace_id)
    ).all()
    for account in accounts:
        points = earned.get(account.customer_id, 0)
        spend = spent.get(account.customer_id, 0)
        fitting = [t for t in tiers if _tier_fits(t, points, spend)]
        code = max(fitting, key=lambda t: t.rank).code if fitting else None
        if code != account.tier_code:
            session.add(
                TierChange(
                    workspace_id=workspace_id,
                    customer_id=account.customer_id,
                    from_tier=account.tier_code,
                    to_tier=code,
                    reason=f"{points} points, {spend} fen spent in 12 months",
                )
            )
            account.tier_code = code
            changes += 1
    session.flush()
    return changes


def _spend_floors(tiers: list[PointsTier]) -> list[int]:
    return [t.min_spend_fen_12m for t in tiers if t.min_spend_fen_12m]


def _accounts_for_spenders(
    session: Session, workspace_id: int, since: datetime, floor: int
) -> None:
    """One INSERT ... SELECT: an account for every live fan whose 12-month spend reaches
    ``floor`` (existing accounts are left alone)."""
    spend = orders.net_spend_since(workspace_id, since)
    spenders = select(spend.c.customer_id).where(spend.c.net_fen >= floor)
    live = customers.live_customers_among(workspace_id, spenders)
    moment = utcnow()
    fans = select(
        literal(workspace_id),
        live.c.id,
        literal(0),
        literal(0),
        literal(0),
        literal(False),
        literal(moment, DateTime(timezone=True)),
        literal(moment, DateTime(timezone=True)),
    ).where(true())  # SQLite reads "ON CONFLICT" after a bare FROM as a join's ON
    insert = insert_for(session)
    session.execute(
        insert(PointsAccount)
        .from_select(
            [
                "workspace_id",
                "customer_id",
                "balance",
                "pending",
                "debt",
                "auto_convert",
                "created_at",
                "updated_at",
            ],
            fans,
            include_defaults=False,
        )
        .on_conflict_do_nothing(index_elements=["workspace_id", "customer_id"])
    )


def tier_history(session: Session, workspace_id: int, customer_id: int) -> list[TierChange]:
    return list(
        session.scalars(
            select(TierChange)
            .where(TierChange.workspace_id == workspace_id, TierChange.customer_id == customer_id)
            .order_by(TierChange.id.desc())
        )
    )
