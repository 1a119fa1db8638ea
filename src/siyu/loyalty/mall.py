"""The points mall: items, redemptions and their shipping.

Stock moves by a conditional UPDATE checked by row count; a redemption replays by its
idempotency key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from siyu.kit.clock import as_utc, utcnow
from siyu.kit.crypto import decrypt_pii, encrypt_pii
from siyu.kit.errors import Conflict, Forbidden, NotFound, Unprocessable
from siyu.kit.i18n import N_
from siyu.kit.pagination import keyset_page
from siyu.kit.sql import get_in_workspace
from siyu.loyalty import ledger, shipping
from siyu.loyalty.ledger import EntryRefs
from siyu.loyalty.models import (
    SHELVES,
    MallItem,
    Redemption,
)
from siyu.loyalty.service import (
    ADDRESS_CONTEXT,
    _check_key,
    _fan_is_live,
    _in_segment,
    _key_reused,
    _spend,
    _tier,
)
from siyu.loyalty.shipping import ShippingAddress
from siyu.workspace import audit
from siyu.workspace.audit import Actor

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
