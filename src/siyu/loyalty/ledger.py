"""The points ledger's primitives: accounts, entries and lots.

Every change to a fan's points follows one order, so parallel requests can't lose an update or
deadlock: first the account row (a conditional ``UPDATE`` or ``SELECT ... FOR UPDATE``, which on
PostgreSQL holds the row lock to commit and on SQLite runs under the ``BEGIN IMMEDIATE`` write
lock), then the fan's lots, then whatever else (stock, redemptions). Whoever holds the account row
is the only writer of that fan's lots.

Callers are ``service`` functions; nothing outside the loyalty domain uses this module.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from siyu.kit.clock import as_utc, utcnow
from siyu.kit.sql import insert_for
from siyu.loyalty.models import PointsAccount, PointsEntry, PointsLot
from siyu.workspace.audit import SYSTEM, Actor

ACTOR_KIND = {"operator": "operator", "token": "token", "fan": "fan", "system": "system"}


def payload_hash(payload: dict[str, Any]) -> str:
    """A stable digest of a request's meaning, to tell a retry from a reused key."""
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def actor_kind(actor: Actor) -> str:
    return ACTOR_KIND.get(actor.type, "system")


def rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


# --- accounts ------------------------------------------------------------------------------


def ensure_account(session: Session, workspace_id: int, customer_id: int) -> None:
    """Create the fan's account if missing; parallel callers both succeed (ON CONFLICT)."""
    insert = insert_for(session)
    session.execute(
        insert(PointsAccount)
        .values(workspace_id=workspace_id, customer_id=customer_id, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["workspace_id", "customer_id"])
    )


def find_account(session: Session, workspace_id: int, customer_id: int) -> PointsAccount | None:
    return session.scalar(
        select(PointsAccount)
        .where(PointsAccount.workspace_id == workspace_id, PointsAccount.customer_id == customer_id)
        .execution_options(populate_existing=True)
    )


def lock_account(session: Session, workspace_id: int, customer_id: int) -> PointsAccount:
    """The fan's account, created if needed and locked to the end of the transaction."""
    ensure_account(session, workspace_id, customer_id)
    account = session.scalar(
        select(PointsAccount)
        .where(PointsAccount.workspace_id == workspace_id, PointsAccount.customer_id == customer_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert account is not None
    return account


def _move(session: Session, account_id: int, condition: Any = None, **deltas: int) -> bool:
    """``UPDATE points_accounts SET col = col + delta ... WHERE id = :id [AND condition]``."""
    values: dict[str, Any] = {
        name: getattr(PointsAccount, name) + delta for name, delta in deltas.items()
    }
    statement = update(PointsAccount).where(PointsAccount.id == account_id)
    if condition is not None:
        statement = statement.where(condition)
    result = session.execute(
        statement.values(**values, updated_at=utcnow()).execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


def debit(session: Session, workspace_id: int, customer_id: int, points: int) -> bool:
    """Take ``points`` from the spendable balance if it holds them: one conditional UPDATE (a fan
    without an account has nothing to spend)."""
    result = session.connection().execute(
        update(PointsAccount)
        .where(
            PointsAccount.workspace_id == workspace_id,
            PointsAccount.customer_id == customer_id,
            PointsAccount.balance >= points,
        )
        .values(balance=PointsAccount.balance - points, updated_at=utcnow())
    )
    return rowcount(result) == 1


def add_balance(session: Session, account_id: int, points: int) -> None:
    assert _move(session, account_id, PointsAccount.balance >= -points, balance=points)


def add_pending(session: Session, account_id: int, points: int) -> None:
    assert _move(session, account_id, PointsAccount.pending >= -points, pending=points)


def add_debt(session: Session, account_id: int, points: int) -> None:
    assert _move(session, account_id, PointsAccount.debt >= -points, debt=points)


# --- entries and lots -----------------------------------------------------------------------


@dataclass(frozen=True)
class EntryRefs:
    idempotency_key: str | None = None
    payload_hash: str | None = None
    conversion_id: int | None = None
    redemption_id: int | None = None


def append(
    session: Session,
    workspace_id: int,
    customer_id: int,
    kind: str,
    points: int,
    reason: str,
    actor: Actor,
    *,
    debt_delta: int = 0,
    refs: EntryRefs = EntryRefs(),
) -> PointsEntry:
    entry = PointsEntry(
        **_entry_values(workspace_id, customer_id, kind, points, reason, actor, debt_delta, refs)
    )
    session.add(entry)
    session.flush()
    return entry


def insert_entry(
    session: Session,
    workspace_id: int,
    customer_id: int,
    kind: str,
    points: int,
    reason: str,
    actor: Actor,
    *,
    debt_delta: int = 0,
    refs: EntryRefs = EntryRefs(),
) -> int:
    """``append`` without the ORM unit of work: one INSERT ... RETURNING id (the hot paths)."""
    return int(
        session.connection()
        .execute(
            insert(PointsEntry)
            .values(
                _entry_values(
                    workspace_id, customer_id, kind, points, reason, actor, debt_delta, refs
                )
            )
            .returning(PointsEntry.id)
        )
        .scalar_one()
    )


def _entry_values(
    workspace_id: int,
    customer_id: int,
    kind: str,
    points: int,
    reason: str,
    actor: Actor,
    debt_delta: int,
    refs: EntryRefs,
) -> dict[str, Any]:
    """One ledger entry's columns, for the ORM and the Core insert alike."""
    return {
        "workspace_id": workspace_id,
        "customer_id": customer_id,
        "kind": kind,
        "points": points,
        "debt_delta": debt_delta,
        "reason": reason[:200],
        "actor_kind": actor_kind(actor),
        "actor_id": actor.id,
        "idempotency_key": refs.idempotency_key,
        "payload_hash": refs.payload_hash,
        "conversion_id": refs.conversion_id,
        "redemption_id": refs.redemption_id,
        "created_at": utcnow(),
    }


def insert_lot(
    session: Session,
    workspace_id: int,
    customer_id: int,
    entry_id: int,
    points: int,
    earned_at: datetime,
    expires_at: datetime,
) -> None:
    session.connection().execute(
        insert(PointsLot).values(
            workspace_id=workspace_id,
            customer_id=customer_id,
            entry_id=entry_id,
            points=points,
            remaining=points,
            earned_at=earned_at,
            expires_at=expires_at,
        )
    )


def credit_debt_free(
    session: Session, workspace_id: int, customer_id: int, points: int
) -> int | None:
    """The common credit in one statement: add ``points`` to an existing account without debt
    (taking its row lock) and return the new balance; None if there is no account or it owes
    points (the caller then takes the slow path that settles the debt first)."""
    balance = (
        session.connection()
        .execute(
            update(PointsAccount)
            .where(
                PointsAccount.workspace_id == workspace_id,
                PointsAccount.customer_id == customer_id,
                PointsAccount.debt == 0,
            )
            .values(balance=PointsAccount.balance + points, updated_at=utcnow())
            .returning(PointsAccount.balance)
        )
        .scalar()
    )
    return None if balance is None else int(balance)


class NotEnoughLivePoints(Exception):
    """The balance counts points past their expiry: the live lots hold only ``live``."""

    def __init__(self, live: int) -> None:
        super().__init__(live)
        self.live = live


def take_from_lots(
    session: Session,
    workspace_id: int,
    customer_id: int,
    points: int,
    first: int | None = None,
    *,
    now: datetime | None = None,
) -> tuple[dict[str, int], int]:
    """Spend ``points`` from the fan's lots, soonest expiry first (``first``, a lot id, ahead of
    all). Lots already past their expiry are never spent: they are expired here, each with its
    ``expire`` entry, and their points are returned for the caller to take off the balance.
    Returns (lot id → points taken, points expired); raises ``NotEnoughLivePoints`` when the live
    lots can't cover ``points`` (the caller rolls back). The caller holds the account row."""
    now = now or utcnow()
    order: list[Any] = [PointsLot.expires_at, PointsLot.id]
    if first is not None:
        order.insert(0, PointsLot.id != first)  # False sorts first
    lots = (
        session.connection()
        .execute(
            select(PointsLot.id, PointsLot.remaining, PointsLot.expires_at)
            .where(
                PointsLot.workspace_id == workspace_id,
                PointsLot.customer_id == customer_id,
                PointsLot.remaining > 0,
            )
            .order_by(*order)
        )
        .all()
    )
    due = [(lot_id, int(left)) for lot_id, left, ends in lots if as_utc(ends) <= now]
    live = [(lot_id, int(left)) for lot_id, left, ends in lots if as_utc(ends) > now]
    if sum(left for _, left in live) < points:
        raise NotEnoughLivePoints(sum(left for _, left in live))
    expired = _zero_lots(session, workspace_id, customer_id, due)
    taken: dict[str, int] = {}
    left = points
    for lot_id, remaining in live:
        if left == 0:
            break
        share = min(left, remaining)
        result = session.connection().execute(
            update(PointsLot)
            .where(PointsLot.id == lot_id, PointsLot.remaining >= share)
            .values(remaining=PointsLot.remaining - share)
        )
        assert rowcount(result) == 1, "lots changed under a held account lock"
        taken[str(lot_id)] = share
        left -= share
    return taken, expired


def _zero_lots(
    session: Session, workspace_id: int, customer_id: int, lots: list[tuple[int, int]]
) -> int:
    """Expire these (lot id, remaining) lots: zero each and write its ``expire`` entry."""
    for lot_id, remaining in lots:
        zeroed = session.execute(
            update(PointsLot)
            .where(PointsLot.id == lot_id, PointsLot.remaining == remaining)
            .values(remaining=0)
            .execution_options(synchronize_session=False)
        )
        assert rowcount(zeroed) == 1, "lots changed under a held account lock"
        append_expire(session, workspace_id, customer_id, int(lot_id), remaining)
    return sum(remaining for _, remaining in lots)


def expire_due_lots(session: Session, workspace_id: int, customer_id: int, now: datetime) -> int:
    """Expire the fan's lots past their expiry that the nightly job hasn't reached yet; returns
    the points, which the caller takes off the balance. The caller holds the account row."""
    due = session.execute(
        select(PointsLot.id, PointsLot.remaining).where(
            PointsLot.workspace_id == workspace_id,
            PointsLot.customer_id == customer_id,
            PointsLot.remaining > 0,
            PointsLot.expires_at <= now,
        )
    ).all()
    return _zero_lots(session, workspace_id, customer_id, [(i, int(r)) for i, r in due])


def append_expire(
    session: Session, workspace_id: int, customer_id: int, lot_id: int, points: int
) -> None:
    append(session, workspace_id, customer_id, "expire", -points, f"lot {lot_id}", SYSTEM)


def return_to_lots(session: Session, taken: dict[str, int]) -> None:
    """Put points back where they were taken from (a cancelled redemption)."""
    for lot_id, share in taken.items():
        session.execute(
            update(PointsLot)
            .where(PointsLot.id == int(lot_id))
            .values(remaining=PointsLot.remaining + share)
            .execution_options(synchronize_session=False)
        )


def expiring_points(
    session: Session,
    workspace_id: int,
    customer_id: int,
    before: datetime,
    after: datetime | None = None,
) -> tuple[int, datetime | None]:
    """Points in lots expiring in (``after``, ``before``] and the first expiry among them."""
    conditions = [
        PointsLot.workspace_id == workspace_id,
        PointsLot.customer_id == customer_id,
        PointsLot.remaining > 0,
        PointsLot.expires_at <= before,
    ]
    if after is not None:
        conditions.append(PointsLot.expires_at > after)
    row = session.execute(
        select(
            func.coalesce(func.sum(PointsLot.remaining), 0), func.min(PointsLot.expires_at)
        ).where(*conditions)
    ).one()
    return int(row[0]), row[1]


def next_expiry(
    session: Session, workspace_id: int, customer_id: int, now: datetime
) -> datetime | None:
    moment: datetime | None = session.scalar(
        select(func.min(PointsLot.expires_at)).where(
            PointsLot.workspace_id == workspace_id,
            PointsLot.customer_id == customer_id,
            PointsLot.remaining > 0,
            PointsLot.expires_at > now,
        )
    )
    return moment
