"""Rules of the loyalty domain: order conversions, the ledger's operations, tiers, the points mall,
operator gifts, reports and the invariant check. The only code that changes points.

Concurrency: see ``ledger`` for the locking order. Each order converts once because of the
unique (workspace, platform, order_no) key; stock and balances move by conditional UPDATEs checked
by row count, with CHECK constraints as the last line. Work that may collide on a unique key runs
in a savepoint so the loser can answer 409 (or replay the first result) cleanly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, and_, case, func, insert, literal, or_, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from siyu.customers import service as customers
from siyu.kit.clock import as_utc, business_day, end_of_month_after, utcnow
from siyu.kit.crypto import decrypt_pii, encrypt_pii
from siyu.kit.errors import Conflict, Forbidden, NotFound, Unprocessable
from siyu.kit.i18n import N_, gettext
from siyu.kit.pagination import keyset_page
from siyu.kit.sql import get_in_workspace, insert_for
from siyu.kit.timeline import TimelineEntry
from siyu.loyalty import ledger, shipping
from siyu.loyalty.ledger import EntryRefs
from siyu.loyalty.models import (
    SHELVES,
    EarnRule,
    GiftBudget,
    MallItem,
    OperatorGift,
    PointsAccount,
    PointsConversion,
    PointsEntry,
    PointsLot,
    PointsTier,
    Redemption,
    TierChange,
)
from siyu.loyalty.shipping import ShippingAddress
from siyu.orders import ownership as orders
from siyu.workspace import audit
from siyu.workspace import service as workspace_service
from siyu.workspace.audit import SYSTEM, Actor

ADDRESS_CONTEXT = b"mall_redemptions.address"
MAX_MERGE_HOPS = 8

# --- settings ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PointsSettings:
    """``Workspace.settings["points"]``; every key optional."""

    points_per_yuan: int = 1
    expiry_months: int = 12
    vesting_days: int = 15
    expiring_soon_days: int = 30
    gift_approval_threshold_fen: int = 5000
    default_gift_budget_fen: int = 50000
    timezone: str = "Asia/Shanghai"


def settings_of(session: Session, workspace_id: int) -> PointsSettings:
    raw = workspace_service.settings_section(session, workspace_id, "points")
    known = {k: int(v) for k, v in raw.items() if k in PointsSettings.__dataclass_fields__}
    known.pop("timezone", None)
    return PointsSettings(
        **known, timezone=workspace_service.workspace_timezone(session, workspace_id)
    )


# The stored keys and the values each may take (the time zone is the workspace's own).
SETTING_BOUNDS = {
    "points_per_yuan": (0, 10_000),
    "expiry_months": (1, 120),
    "vesting_days": (0, 365),
    "expiring_soon_days": (1, 365),
    "gift_approval_threshold_fen": (0, 10**12),
    "default_gift_budget_fen": (0, 10**12),
}


def save_settings(
    session: Session, workspace_id: int, values: dict[str, int], actor: Actor
) -> PointsSettings:
    """Replace the workspace's points settings (a key left out takes its default); audited."""
    for key, value in values.items():
        low, high = SETTING_BOUNDS.get(key, (1, 0))
        if not low <= value <= high:
            raise Unprocessable(
                "invalid-points-settings",
                title=N_("Invalid points settings"),
                detail=f"{key} must be between {low} and {high}",
                field=key,
            )
    workspace_service.save_settings_section(session, workspace_id, "points", dict(values))
    audit.record(session, actor, "points.settings", workspace_id=workspace_id, detail=values)
    return settings_of(session, workspace_id)


def expiry_for(settings: PointsSettings, earned_at: datetime) -> datetime:
    """End of the N-th business month after earning (default 12)."""
    return end_of_month_after(earned_at, settings.expiry_months, settings.timezone)


# --- fans -------------------------------------------------------------------------------------


def _live_fan(session: Session, workspace_id: int, customer_id: int) -> Any:
    customer = customers.get_customer(session, workspace_id, customer_id)
    if customer.merged_into_id is not None or customer.erased_at is not None:
        raise Unprocessable(
            "customer-not-live",
            title=N_("This fan was merged into another or erased"),
            merged_into_id=customer.merged_into_id,
        )
    return customer


def _fan_is_live(session: Session, workspace_id: int, customer_id: int) -> None:
    """``_live_fan`` in one narrow SELECT, for the hot paths (same answers)."""
    customers.check_live_customer(session, workspace_id, customer_id)


def _owns(session: Session, workspace_id: int, owner_id: int | None, customer_id: int) -> bool:
    """The order's fan is this fan, or a fan since merged into this one."""
    for _ in range(MAX_MERGE_HOPS):
        if owner_id is None:
            return False
        if owner_id == customer_id:
            return True
        owner_id = customers.get_customer(session, workspace_id, owner_id).merged_into_id
    return False


# --- balance ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PointsSummary:
    customer_id: int
    balance: int
    pending: int
    debt: int
    expiring_soon: int
    expiring_soon_until: datetime
    next_expiry: datetime | None
    tier_code: str | None
    tier_name: str | None
    auto_convert: bool


def summary(session: Session, workspace_id: int, customer_id: int) -> PointsSummary:
    _live_fan_or_tombstone(session, workspace_id, customer_id)
    settings = settings_of(session, workspace_id)
    account = ledger.find_account(session, workspace_id, customer_id)
    now = utcnow()
    until = now + timedelta(days=settings.expiring_soon_days)
    due, _ = ledger.expiring_points(session, workspace_id, customer_id, now)
    soon, _ = ledger.expiring_points(session, workspace_id, customer_id, until, after=now)
    first = ledger.next_expiry(session, workspace_id, customer_id, now)
    tier = _tier(session, workspace_id, account.tier_code if account else None)
    return PointsSummary(
        customer_id=customer_id,
        balance=account.balance - due if account else 0,
        pending=account.pending if account else 0,
        debt=account.debt if account else 0,
        expiring_soon=soon,
        expiring_soon_until=until,
        next_expiry=as_utc(first) if first else None,
        tier_code=tier.code if tier else None,
        tier_name=tier.name if tier else None,
        auto_convert=bool(account and account.auto_convert),
    )


def _live_fan_or_tombstone(session: Session, workspace_id: int, customer_id: int) -> None:
    customers.get_customer(session, workspace_id, customer_id)


def set_auto_convert(
    session: Session, workspace_id: int, customer_id: int, enabled: bool, actor: Actor
) -> None:
    _live_fan(session, workspace_id, customer_id)
    account = ledger.lock_account(session, workspace_id, customer_id)
    account.auto_convert = enabled
    audit.record(
        session,
        actor,
        "points.auto_convert",
        workspace_id=workspace_id,
        target_type="customer",
        target_id=customer_id,
        detail={"enabled": enabled},
    )


def list_entries(
    session: Session,
    workspace_id: int,
    *,
    customer_id: int | None = None,
    kind: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[PointsEntry], str | None]:
    statement = select(PointsEntry).where(PointsEntry.workspace_id == workspace_id)
    if customer_id is not None:
        statement = statement.where(PointsEntry.customer_id == customer_id)
    if kind:
        statement = statement.where(PointsEntry.kind == kind)
    return keyset_page(session, statement, PointsEntry.id, cursor=cursor, limit=limit)


def list_conversions(
    session: Session, workspace_id: int, customer_id: int, limit: int = 50
) -> list[PointsConversion]:
    return list(
        session.scalars(
            select(PointsConversion)
            .where(
                PointsConversion.workspace_id == workspace_id,
                PointsConversion.customer_id == customer_id,
            )
            .order_by(PointsConversion.id.desc())
            .limit(limit)
        )
    )


# --- crediting and debiting -------------------------------------------------------------------


def _credit(
    session: Session,
    workspace_id: int,
    customer_id: int,
    points: int,
    kind: str,
    reason: str,
    actor: Actor,
    *,
    earned_at: datetime | None = None,
    refs: EntryRefs = EntryRefs(),
    settings: PointsSettings | None = None,
) -> tuple[int, int]:
    """Add points: a debt from earlier claw-backs is settled first, the rest becomes a lot.
    Returns (entry id, the account's balance after). The account row is taken first, as for
    every change of a fan's points: by the one-statement credit when the fan owes nothing,
    else by ``lock_account``."""
    balance = ledger.credit_debt_free(session, workspace_id, customer_id, points)
    entry_id = ledger.insert_entry(
        session, workspace_id, customer_id, kind, points, reason, actor, refs=refs
    )
    kept = points
    if balance is None:
        account = ledger.lock_account(session, workspace_id, customer_id)
        settle = min(account.debt, points)
        if settle:
            ledger.add_debt(session, account.id, -settle)
            ledger.insert_entry(
                session,
                workspace_id,
                customer_id,
                "clawback",
                -settle,
                N_("Debt from a refunded order settled"),
                SYSTEM,
                debt_delta=-settle,
                refs=EntryRefs(conversion_id=refs.conversion_id),
            )
        kept = points - settle
        if kept:
            ledger.add_balance(session, account.id, kept)
        balance = account.balance + kept
    if kept:
        moment = earned_at or utcnow()
        expiry = expiry_for(settings or settings_of(session, workspace_id), moment)
        ledger.insert_lot(session, workspace_id, customer_id, entry_id, kept, moment, expiry)
    return entry_id, balance


def _insufficient(balance: int, needed: int) -> Conflict:
    return Conflict(
        "insufficient-points",
        title=N_("Not enough points"),
        balance=balance,
        needed=needed,
    )


def spendable(session: Session, workspace_id: int, customer_id: int) -> int:
    """The balance without points past their expiry that the nightly job hasn't expired yet
    (one statement)."""
    due = (
        select(func.coalesce(func.sum(PointsLot.remaining), 0))
        .where(
            PointsLot.workspace_id == workspace_id,
            PointsLot.customer_id == customer_id,
            PointsLot.remaining > 0,
            PointsLot.expires_at <= utcnow(),
        )
        .scalar_subquery()
    )
    balance = session.connection().scalar(
        select(PointsAccount.balance - due).where(
            PointsAccount.workspace_id == workspace_id, PointsAccount.customer_id == customer_id
        )
    )
    return int(balance or 0)


def _spend(session: Session, workspace_id: int, customer_id: int, points: int) -> dict[str, int]:
    """Debit the balance (conditional UPDATE, which takes the account row) and take the points
    from the live lots, FIFO. Lots past their expiry are expired first, never spent; if what is
    left can't pay, the caller's savepoint rolls everything back."""
    if not ledger.debit(session, workspace_id, customer_id, points):
        raise _insufficient(spendable(session, workspace_id, customer_id), points)
    try:
        taken, expired = ledger.take_from_lots(session, workspace_id, customer_id, points)
    except ledger.NotEnoughLivePoints as short:
        raise _insufficient(short.live, points) from short
    if expired:
        assert ledger.debit(session, workspace_id, customer_id, expired)
    return taken


def _claw_back(
    session: Session,
    workspace_id: int,
    customer_id: int,
    points: int,
    reason: str,
    actor: Actor,
    conversion_id: int | None,
) -> PointsEntry:
    """Take points back; what was already spent (or has expired) becomes a debt settled from
    future earnings."""
    account = ledger.lock_account(session, workspace_id, customer_id)
    balance, now = account.balance, utcnow()
    expired = ledger.expire_due_lots(session, workspace_id, customer_id, now)
    if expired:
        ledger.add_balance(session, account.id, -expired)
        balance -= expired
    taken = min(balance, points)
    owed = points - taken
    if taken:
        ledger.add_balance(session, account.id, -taken)
        ledger.take_from_lots(
            session,
            workspace_id,
            customer_id,
            taken,
            first=_lot_of(session, conversion_id),
            now=now,
        )
    if owed:
        ledger.add_debt(session, account.id, owed)
    return ledger.append(
        session,
        workspace_id,
        customer_id,
        "clawback",
        -taken,
        reason,
        actor,
        debt_delta=owed,
        refs=EntryRefs(conversion_id=conversion_id),
    )


def _lot_of(session: Session, conversion_id: int | None) -> int | None:
    if conversion_id is None:
        return None
    return session.scalar(
        select(PointsLot.id)
        .join(PointsEntry, PointsEntry.id == PointsLot.entry_id)
        .where(PointsEntry.conversion_id == conversion_id, PointsEntry.kind == "earn")
    )


# --- idempotency ------------------------------------------------------------------------------


def _key_reused() -> Unprocessable:
    return Unprocessable(
        "idempotency-key-reused",
        title=N_("This idempotency key was already used for a different request"),
    )


def _check_key(key: str) -> str:
    key = key.strip()
    if not key or len(key) > 100:
        raise Unprocessable(
            "idempotency-key-invalid", title=N_("The idempotency key must be 1 to 100 characters")
        )
    return key


# --- adjustments ------------------------------------------------------------------------------


def adjust(
    session: Session,
    workspace_id: int,
    customer_id: int,
    points: int,
    reason: str,
    actor: Actor,
    idempotency_key: str,
) -> tuple[PointsEntry, bool]:
    """An operator's correction (+ or −). Returns the entry and whether it is a replay."""
    key = "adjust:" + _check_key(idempotency_key)
    digest = ledger.payload_hash({"customer_id": customer_id, "points": points, "reason": reason})
    replay = _entry_replay(session, workspace_id, key, digest)
    if replay is not None:
        return replay, True
    if points == 0:
        raise Unprocessable("adjustment-zero", title=N_("An adjustment must not be zero"))
    if not reason.strip():
        raise Unprocessable("reason-required", title=N_("Give a reason"))
    _live_fan(session, workspace_id, customer_id)
    refs = EntryRefs(idempotency_key=key, payload_hash=digest)
    try:
        with session.begin_nested():
            if points > 0:
                entry_id, _ = _credit(
                    session, workspace_id, customer_id, points, "adjust", reason, actor, refs=refs
                )
                entry = session.get_one(PointsEntry, entry_id)
            else:
                _spend(session, workspace_id, customer_id, -points)
                entry = ledger.append(
                    session, workspace_id, customer_id, "adjust", points, reason, actor, refs=refs
                )
    except IntegrityError:
        replay = _entry_replay(session, workspace_id, key, digest)
        if replay is None:
            raise
        return replay, True
    audit.record(
        session,
        actor,
        "points.adjust",
        workspace_id=workspace_id,
        target_type="customer",
        target_id=customer_id,
        detail={"points": points, "reason": reason, "entry_id": entry.id},
    )
    return entry, False


def _entry_replay(session: Session, workspace_id: int, key: str, digest: str) -> PointsEntry | None:
    entry = session.scalar(
        select(PointsEntry).where(
            PointsEntry.workspace_id == workspace_id, PointsEntry.idempotency_key == key
        )
    )
    if entry is not None and entry.payload_hash != digest:
        raise _key_reused()
    return entry


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


def _in_segment(session: Session, workspace_id: int, segment_id: int, customer_id: int) -> bool:
    from siyu.segments.service import is_member

    return is_member(session, workspace_id, segment_id, customer_id)


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


def _conversion_by_number(
    session: Session, workspace_id: int, platform: str, order_no: str
) -> PointsConversion | None:
    return session.scalar(
        select(PointsConversion).where(
            PointsConversion.workspace_id == workspace_id,
            PointsConversion.platform == platform,
            PointsConversion.order_no == order_no,
        )
    )


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


# --- tiers ------------------------------------------------------------------------------------


def _tier(session: Session, workspace_id: int, code: str | None) -> PointsTier | None:
    if code is None:
        return None
    return session.scalar(
        select(PointsTier).where(PointsTier.workspace_id == workspace_id, PointsTier.code == code)
    )


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


PLATFORMS = ("taobao", "douyin", "kuaishou", "youzan", "xiaohongshu", "generic")
RULE_FIELDS = ("name", "multiplier_permille", "platform", "segment_id", "starts_at", "ends_at")
MAX_MULTIPLIER_PERMILLE = 100_000  # ×100


def list_earn_rules(session: Session, workspace_id: int) -> list[EarnRule]:
    return list(
        session.scalars(
            select(EarnRule)
            .where(EarnRule.workspace_id == workspace_id)
            .order_by(EarnRule.active.desc(), EarnRule.id.desc())
        )
    )


def get_earn_rule(session: Session, workspace_id: int, rule_id: int) -> EarnRule:
    not_found = NotFound("earn-rule-not-found", title=N_("Earn rule not found"))
    return get_in_workspace(session, EarnRule, workspace_id, rule_id, not_found)


def _validate_rule(session: Session, workspace_id: int, rule: EarnRule) -> None:
    if not (rule.name or "").strip() or len(rule.name) > 100:
        raise Unprocessable("rule-name-invalid", title=N_("A rule name is 1 to 100 characters"))
    if not 0 < rule.multiplier_permille <= MAX_MULTIPLIER_PERMILLE:
        raise Unprocessable(
            "multiplier-invalid", title=N_("The multiplier must be positive (at most ×100)")
        )
    if rule.platform is not None and rule.platform not in PLATFORMS:
        raise Unprocessable("platform-unknown", title=N_("Unknown platform"))
    if rule.starts_at and rule.ends_at and as_utc(rule.ends_at) <= as_utc(rule.starts_at):
        raise Unprocessable("window-invalid", title=N_("The window ends before it starts"))
    if rule.segment_id is not None:
        from siyu.segments.service import segment_exists

        if not segment_exists(session, workspace_id, rule.segment_id):
            raise Unprocessable("segment-unknown", title=N_("Unknown segment"))


def add_earn_rule(
    session: Session,
    workspace_id: int,
    name: str,
    multiplier_permille: int,
    *,
    platform: str | None = None,
    segment_id: int | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    actor: Actor = SYSTEM,
) -> EarnRule:
    rule = EarnRule(
        workspace_id=workspace_id,
        name=(name or "").strip(),
        multiplier_permille=multiplier_permille,
        platform=platform or None,
        segment_id=segment_id,
        starts_at=starts_at,
        ends_at=ends_at,
        active=True,
    )
    _validate_rule(session, workspace_id, rule)
    session.add(rule)
    session.flush()
    _audit_rule(session, actor, rule, "points.rule_create")
    return rule


def update_earn_rule(
    session: Session, workspace_id: int, rule_id: int, values: dict[str, Any], actor: Actor
) -> EarnRule:
    """Change the given fields (``active`` switches the rule off or on); validated as a whole."""
    rule = get_earn_rule(session, workspace_id, rule_id)
    for name, value in values.items():
        if name in RULE_FIELDS or name == "active":
            setattr(rule, name, value.strip() if isinstance(value, str) else value)
    if rule.platform == "":
        rule.platform = None
    _validate_rule(session, workspace_id, rule)
    session.flush()
    _audit_rule(session, actor, rule, "points.rule_update")
    return rule


def _audit_rule(session: Session, actor: Actor, rule: EarnRule, action: str) -> None:
    audit.record(
        session,
        actor,
        action,
        workspace_id=rule.workspace_id,
        target_type="earn_rule",
        target_id=rule.id,
        detail={
            "name": rule.name,
            "multiplier_permille": rule.multiplier_permille,
            "platform": rule.platform,
            "segment_id": rule.segment_id,
            "active": rule.active,
        },
    )


# --- mall items -------------------------------------------------------------------------------

ITEM_FIELDS = (
    "name",
    "shelf",
    "points_price",
    "cash_price_fen",
    "cost_fen",
    "stock",
    "per_customer_limit",
    "min_tier_code",
    "segment_id",
    "available_from",
    "available_until",
    "image_url",
    "description",
    "virtual",
    "coupon_template_id",
    "active",
)


def _validate_item(session: Session, workspace_id: int, values: dict[str, Any]) -> None:
    if values.get("shelf") is not None and values["shelf"] not in SHELVES:
        raise Unprocessable("shelf-unknown", title=N_("Unknown shelf"))
    start, end = values.get("available_from"), values.get("available_until")
    if start is not None and end is not None and as_utc(end) <= as_utc(start):
        raise Unprocessable(
            "window-invalid", title=N_("The availability window ends before it starts")
        )
    code = values.get("min_tier_code")
    if code and _tier(session, workspace_id, code) is None:
        raise Unprocessable("tier-unknown", title=N_("Unknown tier"))
    segment = values.get("segment_id")
    if segment is not None:
        from siyu.segments.service import segment_exists

        if not segment_exists(session, workspace_id, segment):
            raise Unprocessable("segment-unknown", title=N_("Unknown segment"))
    template = values.get("coupon_template_id")
    if template is not None:
        from siyu.coupons.service import template_exists

        if not template_exists(session, workspace_id, template):
            raise Unprocessable("coupon-template-unknown", title=N_("Unknown coupon template"))
        values["virtual"] = True  # a coupon is handed over on the spot: nothing to ship


def create_item(
    session: Session, workspace_id: int, values: dict[str, Any], actor: Actor
) -> MallItem:
    values = {k: v for k, v in values.items() if k in ITEM_FIELDS}
    _validate_item(session, workspace_id, values)
    item = MallItem(workspace_id=workspace_id, **values)
    session.add(item)
    session.flush()
    audit.record(
        session,
        actor,
        "mall.item_create",
        workspace_id=workspace_id,
        target_type="mall_item",
        target_id=item.id,
        detail={"name": item.name, "stock": item.stock, "points_price": item.points_price},
    )
    return item


def update_item(
    session: Session, workspace_id: int, item_id: int, values: dict[str, Any], actor: Actor
) -> MallItem:
    """Change an item; ``stock`` here is not set but moved by ``stock_delta`` (parallel-safe)."""
    item = get_item(session, workspace_id, item_id)
    delta = int(values.pop("stock_delta", 0) or 0)
    values = {k: v for k, v in values.items() if k in ITEM_FIELDS and k != "stock"}
    _validate_item(session, workspace_id, values)
    for name, value in values.items():
        setattr(item, name, value)
    item.updated_at = utcnow()
    session.flush()
    if delta:
        moved = session.execute(
            update(MallItem)
            .where(MallItem.id == item.id, MallItem.stock + delta >= 0)
            .values(stock=MallItem.stock + delta)
            .execution_options(synchronize_session=False)
        )
        if ledger.rowcount(moved) != 1:
            raise Conflict("stock-negative", title=N_("Stock cannot go below zero"))
        session.refresh(item)
    audit.record(
        session,
        actor,
        "mall.item_update",
        workspace_id=workspace_id,
        target_type="mall_item",
        target_id=item.id,
        detail={"fields": sorted(values), "stock_delta": delta},
    )
    return item


def get_item(session: Session, workspace_id: int, item_id: int) -> MallItem:
    not_found = NotFound("mall-item-not-found", title=N_("Mall item not found"))
    return get_in_workspace(session, MallItem, workspace_id, item_id, not_found, fresh=True)


def list_items(
    session: Session,
    workspace_id: int,
    *,
    shelf: str | None = None,
    available_only: bool = False,
) -> list[MallItem]:
    statement = select(MallItem).where(MallItem.workspace_id == workspace_id)
    if shelf:
        statement = statement.where(MallItem.shelf == shelf)
    if available_only:
        now = utcnow()
        statement = statement.where(
            MallItem.active.is_(True),
            or_(MallItem.available_from.is_(None), MallItem.available_from <= now),
            or_(MallItem.available_until.is_(None), MallItem.available_until > now),
        )
    return list(
        session.scalars(statement.order_by(MallItem.shelf, MallItem.points_price, MallItem.id))
    )


def _check_available(session: Session, item: MallItem, customer_id: int) -> None:
    now = utcnow()
    starts = item.available_from and as_utc(item.available_from)
    ends = item.available_until and as_utc(item.available_until)
    if not item.active or (starts and starts > now) or (ends and ends <= now):
        raise Unprocessable("item-unavailable", title=N_("This gift is not available now"))
    if item.min_tier_code:
        account = ledger.find_account(session, item.workspace_id, customer_id)
        needed = _tier(session, item.workspace_id, item.min_tier_code)
        have = _tier(session, item.workspace_id, account.tier_code if account else None)
        if needed and (have is None or have.rank < needed.rank):
            raise Forbidden(
                "item-reserved-for-tier", title=N_("This gift is reserved for a higher tier")
            )
    if item.segment_id is not None and not _in_segment(
        session, item.workspace_id, item.segment_id, customer_id
    ):
        raise Forbidden(
            "item-reserved-for-segment", title=N_("This gift is reserved for some fans")
        )


# --- redemptions ------------------------------------------------------------------------------


def redeem(
    session: Session,
    workspace_id: int,
    customer_id: int,
    item_id: int,
    quantity: int,
    idempotency_key: str,
    actor: Actor,
    *,
    address: str | ShippingAddress | None = None,
    free: bool = False,
    gift_id: int | None = None,
) -> tuple[Redemption, bool]:
    """Reserve points and stock together. Returns the redemption and whether it is a replay.

    ``address``: a structured recipient or the older single text; stored encrypted."""
    key = _check_key(idempotency_key)
    address_text = shipping.stored_text(address)
    digest = ledger.payload_hash(
        {
            "customer_id": customer_id,
            "item_id": item_id,
            "quantity": quantity,
            "address": address_text or "",
        }
    )
    replay = _redemption_replay(session, workspace_id, key, digest)
    if replay is not None:
        return replay, True
    if quantity <= 0:
        raise Unprocessable("quantity-invalid", title=N_("Quantity must be at least 1"))
    _fan_is_live(session, workspace_id, customer_id)
    item = get_item(session, workspace_id, item_id)
    _check_available(session, item, customer_id)
    if not item.virtual and address_text is None:
        raise Unprocessable("address-required", title=N_("A shipping address is needed"))
    masked = shipping.masked_text(address if address_text else None)
    points = 0 if free else item.points_price * quantity
    try:
        with session.begin_nested():
            redemption = _reserve(
                session,
                item,
                customer_id,
                quantity,
                points,
                key,
                digest,
                (address_text, masked),
                actor,
                gift_id,
            )
            if item.coupon_template_id is not None:
                _issue_coupons(session, item, customer_id, quantity)
    except IntegrityError:
        replay = _redemption_replay(session, workspace_id, key, digest)
        if replay is None:
            raise
        return replay, True
    audit.record(
        session,
        actor,
        "mall.redeem",
        workspace_id=workspace_id,
        target_type="redemption",
        target_id=redemption.id,
        detail={
            "customer_id": customer_id,
            "item_id": item_id,
            "quantity": quantity,
            "points": points,
        },
    )
    return redemption, False


def _reserve(
    session: Session,
    item: MallItem,
    customer_id: int,
    quantity: int,
    points: int,
    key: str,
    digest: str,
    address: tuple[str | None, str | None],
    actor: Actor,
    gift_id: int | None = None,
) -> Redemption:
    """``address``: the plaintext to encrypt and its masked line."""
    ws = item.workspace_id
    # The account row first (also when free): it serialises this fan's redemptions, which makes
    # the per-fan limit count below exact.
    taken = _spend(session, ws, customer_id, points) if points else {}
    if not points:
        ledger.lock_account(session, ws, customer_id)
    if item.per_customer_limit is not None:
        had = _redeemed_quantity(session, ws, customer_id, item.id)
        if had + quantity > item.per_customer_limit:
            raise Conflict(
                "redemption-limit-reached",
                title=N_("You have reached the limit for this gift"),
                limit=item.per_customer_limit,
            )
    stocked = session.connection().execute(
        update(MallItem)
        .where(MallItem.id == item.id, MallItem.stock >= quantity)
        .values(stock=MallItem.stock - quantity)
    )
    if ledger.rowcount(stocked) != 1:
        raise Conflict("out-of-stock", title=N_("This gift is out of stock"))
    now = utcnow()
    # An ORM-enabled INSERT ... RETURNING: the row comes back as an object without a flush.
    redemption = session.scalars(
        insert(Redemption)
        .values(
            workspace_id=ws,
            customer_id=customer_id,
            item_id=item.id,
            quantity=quantity,
            points=points,
            # Virtual items (coupons among them) are handed over at once: never in the queue.
            state="delivered" if item.virtual else "pending",
            delivered_at=now if item.virtual else None,
            idempotency_key=key,
            payload_hash=digest,
            address_enc=encrypt_pii(address[0], context=ADDRESS_CONTEXT) if address[0] else None,
            address_masked=address[1],
            lots_used=taken,
            gift_id=gift_id,
            created_at=now,
            updated_at=now,
        )
        .returning(Redemption)
    ).one()
    if points:
        ledger.insert_entry(
            session,
            ws,
            customer_id,
            "redeem",
            -points,
            f"{item.name} ×{quantity}",
            actor,
            refs=EntryRefs(redemption_id=redemption.id),
        )
    return redemption


def _issue_coupons(session: Session, item: MallItem, customer_id: int, quantity: int) -> None:
    """The coupon the item stands for, claimed for the fan in the redemption's own savepoint:
    a refused coupon (the fan's limit reached) undoes the points and the stock too."""
    from siyu.coupons.service import issue_for_points

    assert item.coupon_template_id is not None
    issue_for_points(session, item.workspace_id, item.coupon_template_id, customer_id, quantity)


def _redeemed_quantity(session: Session, workspace_id: int, customer_id: int, item_id: int) -> int:
    return int(
        session.scalar(
            select(func.coalesce(func.sum(Redemption.quantity), 0)).where(
                Redemption.workspace_id == workspace_id,
                Redemption.customer_id == customer_id,
                Redemption.item_id == item_id,
                Redemption.state != "cancelled",
            )
        )
        or 0
    )


def _redemption_replay(
    session: Session, workspace_id: int, key: str, digest: str
) -> Redemption | None:
    found = session.execute(
        select(Redemption.id, Redemption.payload_hash).where(
            Redemption.workspace_id == workspace_id, Redemption.idempotency_key == key
        )
    ).first()
    if found is None:
        return None
    if found.payload_hash != digest:
        raise _key_reused()
    return session.get_one(Redemption, found.id)


def get_redemption(session: Session, workspace_id: int, redemption_id: int) -> Redemption:
    not_found = NotFound("redemption-not-found", title=N_("Redemption not found"))
    return get_in_workspace(session, Redemption, workspace_id, redemption_id, not_found, fresh=True)


def list_redemptions(
    session: Session,
    workspace_id: int,
    *,
    state: str | None = None,
    customer_id: int | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[Redemption], str | None]:
    statement = select(Redemption).where(Redemption.workspace_id == workspace_id)
    if state:
        statement = statement.where(Redemption.state == state)
    if customer_id is not None:
        statement = statement.where(Redemption.customer_id == customer_id)
    return keyset_page(session, statement, Redemption.id, cursor=cursor, limit=limit)


def redemption_address(
    session: Session, redemption: Redemption, actor: Actor, *, reason: str
) -> str | None:
    """The shipping address in clear: an audited read."""
    if redemption.address_enc is None:
        return None
    audit.record(
        session,
        actor,
        "pii.reveal",
        workspace_id=redemption.workspace_id,
        target_type="redemption",
        target_id=redemption.id,
        detail={"fields": ["address"], "reason": reason},
    )
    return shipping.clear_line(decrypt_pii(redemption.address_enc, context=ADDRESS_CONTEXT))


def _transition(
    session: Session,
    workspace_id: int,
    redemption_id: int,
    source: tuple[str, ...],
    target: str,
    **values: Any,
) -> Redemption:
    get_redemption(session, workspace_id, redemption_id)
    moved = session.execute(
        update(Redemption)
        .where(
            Redemption.workspace_id == workspace_id,
            Redemption.id == redemption_id,
            Redemption.state.in_(source),
        )
        .values(state=target, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    if ledger.rowcount(moved) != 1:
        current = get_redemption(session, workspace_id, redemption_id).state
        raise Conflict(
            "redemption-state-conflict",
            title=N_("This redemption cannot make that change in its current state"),
            state=current,
        )
    return get_redemption(session, workspace_id, redemption_id)


def ship(
    session: Session,
    workspace_id: int,
    redemption_id: int,
    carrier: str,
    tracking_no: str,
    actor: Actor,
) -> Redemption:
    carrier, tracking_no = carrier.strip(), tracking_no.strip()
    if not carrier or not tracking_no:
        raise Unprocessable("tracking-required", title=N_("Give the carrier and tracking number"))
    redemption = _transition(
        session,
        workspace_id,
        redemption_id,
        ("pending",),
        "shipped",
        carrier=carrier[:50],
        tracking_no=tracking_no[:64],
        shipped_at=utcnow(),
    )
    audit.record(
        session,
        actor,
        "mall.ship",
        workspace_id=workspace_id,
        target_type="redemption",
        target_id=redemption_id,
        detail={"carrier": carrier, "tracking_no": tracking_no},
    )
    return redemption


def deliver(session: Session, workspace_id: int, redemption_id: int, actor: Actor) -> Redemption:
    redemption = _transition(
        session, workspace_id, redemption_id, ("shipped",), "delivered", delivered_at=utcnow()
    )
    audit.record(
        session,
        actor,
        "mall.deliver",
        workspace_id=workspace_id,
        target_type="redemption",
        target_id=redemption_id,
    )
    return redemption


def cancel(
    session: Session, workspace_id: int, redemption_id: int, reason: str, actor: Actor
) -> Redemption:
    """Cancel a pending redemption: its points go back to the lots they came from, and its stock
    to the shelf."""
    found = get_redemption(session, workspace_id, redemption_id)
    account = ledger.lock_account(session, workspace_id, found.customer_id)
    redemption = _transition(
        session,
        workspace_id,
        redemption_id,
        ("pending",),
        "cancelled",
        cancelled_at=utcnow(),
        cancel_reason=(reason or "")[:200] or None,
    )
    if redemption.points:
        ledger.return_to_lots(session, redemption.lots_used)
        ledger.add_balance(session, account.id, redemption.points)
        ledger.append(
            session,
            workspace_id,
            redemption.customer_id,
            "redemption_refund",
            redemption.points,
            reason or "cancelled",
            actor,
            refs=EntryRefs(redemption_id=redemption.id),
        )
    session.execute(
        update(MallItem)
        .where(MallItem.id == redemption.item_id)
        .values(stock=MallItem.stock + redemption.quantity)
        .execution_options(synchronize_session=False)
    )
    audit.record(
        session,
        actor,
        "mall.cancel",
        workspace_id=workspace_id,
        target_type="redemption",
        target_id=redemption_id,
        detail={"reason": reason, "points": redemption.points},
    )
    return redemption


@dataclass
class BulkShipResult:
    shipped: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, message)


def bulk_ship(session: Session, workspace_id: int, text: str, actor: Actor) -> BulkShipResult:
    """Lines ``redemption id,carrier,tracking number`` (a header line is allowed). Good lines
    ship, each bad line is reported with its number; nothing is half-applied per line."""
    import csv
    import io

    result = BulkShipResult()
    for number, row in enumerate(csv.reader(io.StringIO(text.lstrip("\ufeff"))), start=1):
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        if number == 1 and cells and not cells[0].lstrip("#").isdigit():
            continue  # header
        if len(cells) < 3 or not cells[0].lstrip("#").isdigit():
            result.errors.append(
                (number, N_("Expected: redemption number, carrier, tracking number"))
            )
            continue
        try:
            with session.begin_nested():
                ship(session, workspace_id, int(cells[0].lstrip("#")), cells[1], cells[2], actor)
            result.shipped += 1
        except (Conflict, NotFound, Unprocessable) as problem:
            result.errors.append((number, str(problem.title)))
    return result


# --- operator gifts ---------------------------------------------------------------------------


def _month_key(settings: PointsSettings, moment: datetime | None = None) -> str:
    return business_day(moment or utcnow(), settings.timezone).strftime("%Y-%m")


def gift_budget(session: Session, workspace_id: int, operator_id: int) -> tuple[int, int]:
    """(monthly budget, spent this month) in fen."""
    settings = settings_of(session, workspace_id)
    budget = session.scalar(
        select(GiftBudget.monthly_budget_fen).where(
            GiftBudget.workspace_id == workspace_id, GiftBudget.operator_id == operator_id
        )
    )
    spent = session.scalar(
        select(func.coalesce(func.sum(OperatorGift.cost_fen), 0)).where(
            OperatorGift.workspace_id == workspace_id,
            OperatorGift.operator_id == operator_id,
            OperatorGift.month == _month_key(settings),
            OperatorGift.state != "rejected",
        )
    )
    return (settings.default_gift_budget_fen if budget is None else int(budget)), int(spent or 0)


@dataclass(frozen=True)
class BudgetStatus:
    operator_id: int
    month: str
    budget_fen: int
    spent_fen: int
    left_fen: int
    approval_threshold_fen: int


def budget_status(session: Session, workspace_id: int, operator_id: int) -> BudgetStatus:
    from siyu.workspace.roles import Role

    _require_member(session, workspace_id, operator_id, Role.analyst)
    settings = settings_of(session, workspace_id)
    budget, spent = gift_budget(session, workspace_id, operator_id)
    return BudgetStatus(
        operator_id=operator_id,
        month=_month_key(settings),
        budget_fen=budget,
        spent_fen=spent,
        left_fen=max(0, budget - spent),
        approval_threshold_fen=settings.gift_approval_threshold_fen,
    )


def set_gift_budget(
    session: Session, workspace_id: int, operator_id: int, budget_fen: int, actor: Actor
) -> None:
    if budget_fen < 0:
        raise Unprocessable("budget-invalid", title=N_("The budget cannot be negative"))
    row = session.scalar(
        select(GiftBudget).where(
            GiftBudget.workspace_id == workspace_id, GiftBudget.operator_id == operator_id
        )
    ) or GiftBudget(workspace_id=workspace_id, operator_id=operator_id)
    row.monthly_budget_fen = budget_fen
    session.add(row)
    audit.record(
        session,
        actor,
        "gift.budget",
        workspace_id=workspace_id,
        target_type="operator",
        target_id=operator_id,
        detail={"monthly_budget_fen": budget_fen},
    )


def send_gift(
    session: Session,
    workspace_id: int,
    operator_id: int,
    customer_id: int,
    *,
    description: str,
    reason: str,
    cost_fen: int | None,
    actor: Actor,
    item_id: int | None = None,
    address: str | None = None,
    approver: bool = False,
) -> OperatorGift:
    """An operator's gift to a fan, within the monthly budget; above the threshold it waits for an
    admin (unless an admin sends it). A mall-item gift joins the redemption queue, points-free."""
    _live_fan(session, workspace_id, customer_id)
    if not reason.strip():
        raise Unprocessable("reason-required", title=N_("Give a reason"))
    item = get_item(session, workspace_id, item_id) if item_id is not None else None
    cost = cost_fen if cost_fen is not None else (item.cost_fen if item else 0)
    if cost < 0:
        raise Unprocessable("cost-invalid", title=N_("The cost cannot be negative"))
    description = (description or (item.name if item else "")).strip()
    if not description:
        raise Unprocessable("description-required", title=N_("Say what the gift is"))
    _lock_budget(session, workspace_id, operator_id)  # serialises one operator's gifts
    budget, spent = gift_budget(session, workspace_id, operator_id)
    if spent + cost > budget:
        raise Conflict(
            "gift-budget-exceeded",
            title=N_("This gift would go over your monthly budget"),
            budget_fen=budget,
            spent_fen=spent,
        )
    settings = settings_of(session, workspace_id)
    needs_approval = cost > settings.gift_approval_threshold_fen and not approver
    gift = OperatorGift(
        workspace_id=workspace_id,
        operator_id=operator_id,
        customer_id=customer_id,
        item_id=item_id,
        description=description[:200],
        reason=reason.strip()[:200],
        cost_fen=cost,
        month=_month_key(settings),
        state="pending_approval" if needs_approval else "approved",
        decided_by=operator_id if not needs_approval else None,
        decided_at=None if needs_approval else utcnow(),
    )
    session.add(gift)
    session.flush()
    if address:
        gift.address_enc = encrypt_pii(address, context=ADDRESS_CONTEXT)
    if not needs_approval:
        _fulfil_gift(session, gift, address, actor)
    audit.record(
        session,
        actor,
        "gift.send",
        workspace_id=workspace_id,
        target_type="customer",
        target_id=customer_id,
        detail={"gift_id": gift.id, "cost_fen": cost, "state": gift.state, "reason": gift.reason},
    )
    return gift


def _lock_budget(session: Session, workspace_id: int, operator_id: int) -> None:
    insert = insert_for(session)
    session.execute(
        insert(GiftBudget)
        .values(
            workspace_id=workspace_id,
            operator_id=operator_id,
            monthly_budget_fen=settings_of(session, workspace_id).default_gift_budget_fen,
        )
        .on_conflict_do_nothing(index_elements=["workspace_id", "operator_id"])
    )
    session.execute(
        select(GiftBudget.id)
        .where(GiftBudget.workspace_id == workspace_id, GiftBudget.operator_id == operator_id)
        .with_for_update()
    )


def _fulfil_gift(session: Session, gift: OperatorGift, address: str | None, actor: Actor) -> None:
    if gift.item_id is None:
        return
    redemption, _ = redeem(
        session,
        gift.workspace_id,
        gift.customer_id,
        gift.item_id,
        1,
        f"gift:{gift.id}",
        actor,
        address=address,
        free=True,
        gift_id=gift.id,
    )
    gift.redemption_id = redemption.id


def decide_gift(
    session: Session,
    workspace_id: int,
    gift_id: int,
    approve: bool,
    admin_id: int,
    actor: Actor,
    *,
    address: str | None = None,
) -> OperatorGift:
    gift = get_gift(session, workspace_id, gift_id)
    claimed = session.execute(
        update(OperatorGift)
        .where(OperatorGift.id == gift_id, OperatorGift.state == "pending_approval")
        .values(
            state="approved" if approve else "rejected", decided_by=admin_id, decided_at=utcnow()
        )
        .execution_options(synchronize_session=False)
    )
    if ledger.rowcount(claimed) != 1:
        raise Conflict("gift-already-decided", title=N_("This gift was already decided"))
    session.refresh(gift)
    if approve:
        stored = (
            decrypt_pii(gift.address_enc, context=ADDRESS_CONTEXT) if gift.address_enc else None
        )
        _fulfil_gift(session, gift, address or stored, actor)
    audit.record(
        session,
        actor,
        "gift.approve" if approve else "gift.reject",
        workspace_id=workspace_id,
        target_type="gift",
        target_id=gift_id,
    )
    return gift


def _member_role(session: Session, workspace_id: int, operator_id: int) -> Any:
    from siyu.workspace import service as workspaces

    for membership in workspaces.members_of(session, workspace_id):
        if membership.operator_id == operator_id:
            return membership.role
    return None


def _require_member(session: Session, workspace_id: int, operator_id: int, needed: Any) -> bool:
    """The operator belongs to the workspace with at least ``needed``; returns whether they are
    an admin (who approves their own gifts)."""
    from siyu.workspace.roles import Role
    from siyu.workspace.service import role_allows

    role = _member_role(session, workspace_id, operator_id)
    if role is None:
        raise Unprocessable(
            "operator-not-member", title=N_("This operator is not a member of the workspace")
        )
    if not role_allows(role, needed):
        raise Forbidden("role-required", title=N_("Your role does not allow this"))
    return role_allows(role, Role.admin)


def send_gift_for(
    session: Session,
    workspace_id: int,
    operator_id: int,
    customer_id: int,
    actor: Actor,
    **details: Any,
) -> OperatorGift:
    """``send_gift`` for an integration acting as a named operator: their budget, and approval
    unless they are an admin."""
    from siyu.workspace.roles import Role

    admin = _require_member(session, workspace_id, operator_id, Role.operator)
    return send_gift(
        session, workspace_id, operator_id, customer_id, actor=actor, approver=admin, **details
    )


def decide_gift_for(
    session: Session, workspace_id: int, gift_id: int, approve: bool, admin_id: int, actor: Actor
) -> OperatorGift:
    from siyu.workspace.roles import Role

    get_gift(session, workspace_id, gift_id)  # the gift first: another workspace's is not found
    _require_member(session, workspace_id, admin_id, Role.admin)
    return decide_gift(session, workspace_id, gift_id, approve, admin_id, actor)


def get_gift(session: Session, workspace_id: int, gift_id: int) -> OperatorGift:
    not_found = NotFound("gift-not-found", title=N_("Gift not found"))
    return get_in_workspace(session, OperatorGift, workspace_id, gift_id, not_found)


def list_gifts(
    session: Session, workspace_id: int, *, state: str | None = None, limit: int = 100
) -> list[OperatorGift]:
    statement = select(OperatorGift).where(OperatorGift.workspace_id == workspace_id)
    if state:
        statement = statement.where(OperatorGift.state == state)
    return list(session.scalars(statement.order_by(OperatorGift.id.desc()).limit(limit)))


def gifts_page(
    session: Session,
    workspace_id: int,
    *,
    state: str | None = None,
    operator_id: int | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[OperatorGift], str | None]:
    statement = select(OperatorGift).where(OperatorGift.workspace_id == workspace_id)
    if state:
        statement = statement.where(OperatorGift.state == state)
    if operator_id is not None:
        statement = statement.where(OperatorGift.operator_id == operator_id)
    return keyset_page(session, statement, OperatorGift.id, cursor=cursor, limit=limit)


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
