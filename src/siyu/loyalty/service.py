"""The loyalty core: points settings, the fan checks, balances, crediting and debiting lots,
idempotency keys and operator adjustments. The other loyalty modules move points through these.

Concurrency: see ``ledger`` for the locking order. Balances move by conditional UPDATEs checked
by row count, with CHECK constraints as the last line. Work that may collide on a unique key runs
in a savepoint so the loser can answer 409 (or replay the first result) cleanly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from siyu.customers import service as customers
from siyu.kit.clock import as_utc, end_of_month_after, utcnow
from siyu.kit.errors import Conflict, Unprocessable
from siyu.kit.i18n import N_
from siyu.kit.pagination import keyset_page
from siyu.loyalty import ledger
from siyu.loyalty.ledger import EntryRefs
from siyu.loyalty.models import (
    PointsAccount,
    PointsConversion,
    PointsEntry,
    PointsLot,
    PointsTier,
)
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
    customers.require_customer(session, workspace_id, customer_id)
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


def _in_segment(session: Session, workspace_id: int, segment_id: int, customer_id: int) -> bool:
    from siyu.segments.service import is_member

    return is_member(session, workspace_id, segment_id, customer_id)


# --- tiers ------------------------------------------------------------------------------------


def _tier(session: Session, workspace_id: int, code: str | None) -> PointsTier | None:
    if code is None:
        return None
    return session.scalar(
        select(PointsTier).where(PointsTier.workspace_id == workspace_id, PointsTier.code == code)
    )
