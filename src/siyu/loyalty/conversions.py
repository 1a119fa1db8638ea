"""Earning points from orders: conversions, vesting, refunds, settling, auto-convert and expiry.

Each order converts once because of the unique (workspace, platform, order_no) key; the loser of
a race answers 409 from inside its savepoint.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from siyu.kit.clock import as_utc, utcnow
from siyu.kit.errors import Conflict, NotFound, Unprocessable
from siyu.kit.i18n import N_
from siyu.kit.sql import insert_for
from siyu.loyalty import ledger
from siyu.loyalty.ledger import EntryRefs
from siyu.loyalty.models import (
    EarnRule,
    PointsAccount,
    PointsConversion,
    PointsLot,
    PointsTier,
)
from siyu.loyalty.service import (
    _claw_back,
    _credit,
    _fan_is_live,
    _in_segment,
    _owns,
    settings_of,
    spendable,
)
from siyu.orders import ownership as orders
from siyu.workspace.audit import SYSTEM, Actor

# --- earning: order conversions ---------------------------------------------------------------


@dataclass(frozen=True)
class ConversionResult:
    conversion_id: int
    points: int
    pending_points: int
    balance: int


def points_for(net_paid_fen: int, multiplier_permille: int, per_yuan: int = 1) -> int:
    """1 point per whole yuan (by default), times the multiplier, rounded down."""
    return max(0, net_paid_fen) // 100 * per_yuan * multiplier_permille // 1000


def multiplier_for(
    session: Session, workspace_id: int, customer_id: int, platform: str, paid_at: datetime
) -> int:
    """The product of the fan's tier multiplier and every rule that applies (in ‰)."""
    permille = 1000
    tier_permille = session.connection().scalar(
        select(PointsTier.multiplier_permille)
        .join(
            PointsAccount,
            and_(
                PointsAccount.workspace_id == PointsTier.workspace_id,
                PointsAccount.tier_code == PointsTier.code,
            ),
        )
        .where(PointsAccount.workspace_id == workspace_id, PointsAccount.customer_id == customer_id)
    )
    if tier_permille is not None:
        permille = permille * int(tier_permille) // 1000
    for rule in _rules_at(session, workspace_id, platform, paid_at):
        if rule.segment_id is not None and not _in_segment(
            session, workspace_id, rule.segment_id, customer_id
        ):
            continue
        permille = permille * rule.multiplier_permille // 1000
    return permille


def _rules_at(
    session: Session, workspace_id: int, platform: str, moment: datetime
) -> list[EarnRule]:
    return list(
        session.scalars(
            select(EarnRule).where(
                EarnRule.workspace_id == workspace_id,
                EarnRule.active.is_(True),
                or_(EarnRule.platform.is_(None), EarnRule.platform == platform),
                or_(EarnRule.starts_at.is_(None), EarnRule.starts_at <= moment),
                or_(EarnRule.ends_at.is_(None), EarnRule.ends_at > moment),
            )
        )
    )


def _already_converted() -> Conflict:
    return Conflict("order-already-converted", title=N_("This order was already converted"))


def convert_order(
    session: Session,
    workspace_id: int,
    customer_id: int,
    platform: str,
    order_no: str,
    actor: Actor,
) -> ConversionResult:
    """Turn one of the fan's paid orders into points (pending until the order completes).

    Lean on purpose (it is the busiest write with redemptions): the order and whether it was
    converted come in one SELECT, the conversion is one INSERT ... ON CONFLICT DO NOTHING
    RETURNING (no row back = another request converted it first: 409, nothing written), and a
    fan without debt is credited by one conditional UPDATE ... RETURNING the balance."""
    _fan_is_live(session, workspace_id, customer_id)
    order_no = order_no.strip()
    order = _order_to_convert(session, workspace_id, platform, order_no)
    if order.converted:
        raise _already_converted()
    if not _owns(session, workspace_id, order.customer_id, customer_id):
        raise Unprocessable("order-not-the-fans", title=N_("This order belongs to someone else"))
    if order.paid_at is None or order.paid_amount_fen <= 0:
        raise Unprocessable("order-unpaid", title=N_("This order has not been paid"))
    net = order.paid_amount_fen - order.refund_amount_fen
    if order.refund_state == "full" or net <= 0:
        raise Unprocessable("order-refunded", title=N_("This order was fully refunded"))
    settings = settings_of(session, workspace_id)
    paid_at = as_utc(order.paid_at)
    multiplier = multiplier_for(session, workspace_id, customer_id, platform, paid_at)
    points = points_for(net, multiplier, settings.points_per_yuan)
    vests_at = paid_at + timedelta(days=settings.vesting_days)
    now = utcnow()
    vest_now = order.status == "completed" or vests_at <= now
    insert = insert_for(session)
    conversion_id = (
        session.connection()
        .execute(
            insert(PointsConversion)
            .values(
                workspace_id=workspace_id,
                customer_id=customer_id,
                order_id=order.id,
                platform=platform,
                order_no=order_no,
                net_paid_fen=net,
                multiplier_permille=multiplier,
                points=points,
                clawed_back=0,
                state="vested" if vest_now else "pending",
                vests_at=vests_at,
                vested_at=now if vest_now else None,
                actor_kind=ledger.actor_kind(actor),
                actor_id=actor.id,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["workspace_id", "platform", "order_no"])
            .returning(PointsConversion.id)
        )
        .scalar()
    )
    if conversion_id is None:
        raise _already_converted()
    if vest_now and points:
        _credit(
            session,
            workspace_id,
            customer_id,
            points,
            "earn",
            f"{platform}:{order_no}",
            actor,
            refs=EntryRefs(conversion_id=conversion_id),
            settings=settings,
        )
    elif not vest_now:
        ledger.add_pending(
            session, ledger.lock_account(session, workspace_id, customer_id).id, points
        )
    return ConversionResult(
        conversion_id=int(conversion_id),
        points=points if vest_now else 0,
        pending_points=0 if vest_now else points,
        balance=spendable(session, workspace_id, customer_id),
    )


@dataclass(frozen=True)
class _OrderFacts:
    id: int
    customer_id: int | None
    status: str
    refund_state: str
    paid_at: datetime | None
    paid_amount_fen: int
    refund_amount_fen: int
    converted: bool


def _order_to_convert(
    session: Session, workspace_id: int, platform: str, order_no: str
) -> _OrderFacts:
    """The order's facts and whether it was converted already."""
    facts = orders.order_facts(session, workspace_id, platform, order_no)
    if facts is None:
        raise NotFound("order-not-found", title=N_("No order with this number"))
    converted = session.scalar(
        select(
            select(PointsConversion.id)
            .where(
                PointsConversion.workspace_id == workspace_id,
                PointsConversion.platform == platform,
                PointsConversion.order_no == order_no,
            )
            .exists()
        )
    )
    return _OrderFacts(**facts.__dict__, converted=bool(converted))


def vest(session: Session, conversion_id: int, actor: Actor = SYSTEM) -> bool:
    """Pending points of one conversion become spendable; False if someone else did it first."""
    conversion = session.get_one(PointsConversion, conversion_id, populate_existing=True)
    if conversion.state != "pending":
        return False
    ws, customer_id = conversion.workspace_id, conversion.customer_id
    account = ledger.lock_account(session, ws, customer_id)
    claimed = session.execute(
        update(PointsConversion)
        .where(PointsConversion.id == conversion_id, PointsConversion.state == "pending")
        .values(state="vested", vested_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if ledger.rowcount(claimed) != 1:
        return False
    session.refresh(conversion)
    ledger.add_pending(session, account.id, -conversion.points)
    if conversion.points:
        _credit(
            session,
            ws,
            customer_id,
            conversion.points,
            "earn",
            f"{conversion.platform}:{conversion.order_no}",
            actor,
            refs=EntryRefs(conversion_id=conversion.id),
        )
    return True


def apply_refund(
    session: Session, conversion_id: int, net_paid_fen: int, actor: Actor = SYSTEM
) -> int:
    """The order's net paid amount fell to ``net_paid_fen``: reduce its points. Pending points
    just shrink; vested ones are clawed back (or owed). Returns the points taken back."""
    conversion = session.get_one(PointsConversion, conversion_id, populate_existing=True)
    if conversion.state == "cancelled" or net_paid_fen >= conversion.net_paid_fen:
        return 0
    ws, customer_id = conversion.workspace_id, conversion.customer_id
    account = ledger.lock_account(session, ws, customer_id)
    session.refresh(conversion)
    per_yuan = settings_of(session, ws).points_per_yuan
    worth = points_for(net_paid_fen, conversion.multiplier_permille, per_yuan)
    delta = conversion.points - worth
    was_pending = conversion.state == "pending"
    conversion.net_paid_fen = max(0, net_paid_fen)
    conversion.points = worth
    if was_pending:
        ledger.add_pending(session, account.id, -delta)
        if worth == 0:
            conversion.state = "cancelled"
        session.flush()
        return delta
    conversion.clawed_back += delta
    session.flush()
    if delta:
        _claw_back(
            session,
            ws,
            customer_id,
            delta,
            f"{conversion.platform}:{conversion.order_no}",
            actor,
            conversion.id,
        )
    return delta


def settle_conversions(
    session: Session, workspace_id: int, now: datetime | None = None
) -> dict[str, int]:
    """Claw back refunds found since conversion, then vest what is due (order completed or N days
    after payment). Set-based selection; each row then moves under its own conditions."""
    now = now or utcnow()
    order = orders.settled_orders(workspace_id)
    refunded = session.execute(
        select(PointsConversion.id, order.c.net_paid_fen)
        .join(order, order.c.id == PointsConversion.order_id)
        .where(
            PointsConversion.workspace_id == workspace_id,
            PointsConversion.state != "cancelled",
            order.c.net_paid_fen < PointsConversion.net_paid_fen,
        )
    ).all()
    clawed = sum(apply_refund(session, cid, int(net)) for cid, net in refunded)
    due = session.scalars(
        select(PointsConversion.id)
        .join(order, order.c.id == PointsConversion.order_id)
        .where(
            PointsConversion.workspace_id == workspace_id,
            PointsConversion.state == "pending",
            or_(order.c.status == "completed", PointsConversion.vests_at <= now),
        )
        .order_by(PointsConversion.id)
    ).all()
    vested = sum(1 for cid in due if vest(session, cid))
    return {"refunds": len(refunded), "clawed_back": clawed, "vested": vested}


def auto_convert(session: Session, workspace_id: int) -> int:
    """Convert every eligible, unconverted paid order of fans who opted in; returns how many."""

    fans = list(
        session.scalars(
            select(PointsAccount.customer_id).where(
                PointsAccount.workspace_id == workspace_id, PointsAccount.auto_convert.is_(True)
            )
        )
    )
    done = set(
        session.execute(
            select(PointsConversion.platform, PointsConversion.order_no).where(
                PointsConversion.workspace_id == workspace_id,
                PointsConversion.customer_id.in_(fans),
            )
        ).all()
    )
    converted = 0
    for customer_id, platform, order_no in orders.paid_order_keys(session, workspace_id, fans):
        if (platform, order_no) in done:
            continue
        try:
            with session.begin_nested():
                convert_order(session, workspace_id, customer_id, platform, order_no, SYSTEM)
            converted += 1
        except (Conflict, Unprocessable, NotFound):
            continue
    return converted


# --- expiry -----------------------------------------------------------------------------------


@dataclass
class ExpirySummary:
    lots: int = 0
    points: int = 0
    customers: set[int] = field(default_factory=set)

    def as_dict(self) -> dict[str, int]:
        return {"lots": self.lots, "points": self.points, "customers": len(self.customers)}


def expire_due(
    session: Session,
    workspace_id: int,
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    limit: int | None = None,
) -> ExpirySummary:
    """Expire every lot past its expiry (or the first ``limit``): one ``expire`` entry per lot."""
    now = now or utcnow()
    due = session.execute(
        select(PointsLot.id, PointsLot.customer_id, PointsLot.remaining)
        .where(
            PointsLot.workspace_id == workspace_id,
            PointsLot.remaining > 0,
            PointsLot.expires_at <= now,
        )
        .order_by(PointsLot.customer_id, PointsLot.expires_at, PointsLot.id)
        .limit(limit)
    ).all()
    result = ExpirySummary()
    for lot_id, customer_id, remaining in due:
        if dry_run:
            expired = int(remaining)
        else:
            expired = _expire_lot(session, workspace_id, int(customer_id), int(lot_id))
        if expired:
            result.lots += 1
            result.points += expired
            result.customers.add(int(customer_id))
    return result


def _expire_lot(session: Session, workspace_id: int, customer_id: int, lot_id: int) -> int:
    account = ledger.lock_account(session, workspace_id, customer_id)
    remaining = session.scalar(select(PointsLot.remaining).where(PointsLot.id == lot_id)) or 0
    if remaining <= 0:
        return 0
    zeroed = session.execute(
        update(PointsLot)
        .where(PointsLot.id == lot_id, PointsLot.remaining == remaining)
        .values(remaining=0)
        .execution_options(synchronize_session=False)
    )
    if ledger.rowcount(zeroed) != 1:
        return 0
    ledger.add_balance(session, account.id, -remaining)
    ledger.append_expire(session, workspace_id, customer_id, lot_id, int(remaining))
    return int(remaining)
