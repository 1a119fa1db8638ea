"""Orders written in bulk: one batch of statements of orders becomes a few SQL statements.

Files and the batch API both end here. Each batch resolves its buyers to customers in one call
to the customers service, loads the orders it names with one query per platform, and then
inserts the new orders, updates the changed ones and leaves the unchanged ones alone, all with
executemany statements: nothing here runs a query per order.

An order's ``content_hash`` is two halves: one over the normalised order (customer, status,
refund state, amounts, times, texts) and one over its items. A newer export that only moves the
status rewrites the order but not its items, so items attached later from Taobao's item file
survive it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, delete, select, update
from sqlalchemy.orm import Session

from siyu.customers.service import FanKey, resolve_customers
from siyu.kit.bulk import insert_returning_ids, insert_rows
from siyu.kit.clock import utcnow
from siyu.kit.jsontext import EncodedJSON
from siyu.orders.importers import ParsedItem, ParsedOrder
from siyu.orders.importers.privacy import scrub_raw
from siyu.orders.journal import ChunkUndo
from siyu.orders.models import Order, OrderItem

_HALF = 16  # hex characters of each half of content_hash
# Inserts go through the tables with the driver's executemany (siyu.kit.bulk): the ORM's bulk
# path adds per-row bookkeeping that nothing here needs.
_ORDERS = cast(Table, Order.__table__)
_ORDER_ITEMS = cast(Table, OrderItem.__table__)

# Column widths of the orders tables: longer texts are cut rather than failing the batch.
_ORDER_TEXT_WIDTHS = {
    "shop": 100,
    "buyer_id": 128,
    "buyer_nick": 100,
    "streamer_id": 64,
    "streamer_name": 100,
    "traffic_source": 64,
}
ORDER_NO_WIDTH = 64


@dataclass
class OrderCounts:
    """What a batch (or a whole file) did to the store."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    customers_created: int = 0
    paid_amount_fen: int = 0
    refund_amount_fen: int = 0

    def add(self, other: OrderCounts) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.customers_created += other.customers_created
        self.paid_amount_fen += other.paid_amount_fen
        self.refund_amount_fen += other.refund_amount_fen


@dataclass(frozen=True, slots=True)
class _Stored:
    id: int
    content_hash: str
    import_run_id: int | None
    paid_amount_fen: int
    refund_amount_fen: int


@dataclass(slots=True)
class _Statement:
    """One order as the batch states it, ready to write."""

    values: dict[str, Any]
    items: list[dict[str, Any]]
    order_hash: str
    items_hash: str

    @property
    def key(self) -> tuple[str, str]:
        return self.values["platform"], self.values["order_no"]


def apply_orders(
    session: Session,
    workspace_id: int,
    orders: Sequence[ParsedOrder],
    *,
    run_id: int | None = None,
    keep_items_when_empty: bool = False,
    undo: ChunkUndo | None = None,
) -> OrderCounts:
    """Upsert one batch by (platform, order_no).

    ``run_id`` marks the orders this import wrote; an order the same run already wrote (its
    number came back later in the file) is the newer statement of that order and is not
    counted twice. ``keep_items_when_empty``: an order stating no items keeps the items it has
    (the batch API, where items are optional). ``undo`` is filled with what the batch
    changes, for an import to take it back (``siyu.orders.journal``).
    """
    latest = _latest_statements(orders)
    resolution = resolve_customers(session, workspace_id, [fan_key(o) for o in latest])
    if undo is not None:
        undo.resolutions.append(resolution.undo.as_json())
    statements = [
        _statement(workspace_id, order, customer_id)
        for order, customer_id in zip(latest, resolution.customer_ids, strict=True)
    ]
    stored = _stored_orders(session, workspace_id, [s.key for s in statements])
    counts = OrderCounts(customers_created=resolution.created)
    new: list[_Statement] = []
    changed: list[tuple[_Stored, _Statement, bool]] = []
    for statement in statements:
        known = stored.get(statement.key)
        if known is None:
            new.append(statement)
            counts.created += 1
            _add_amounts(counts, statement)
            continue
        if keep_items_when_empty and not statement.items:
            statement.items_hash = known.content_hash[_HALF:]
        # The same run wrote this order earlier in the file: it is counted already.
        repeat = run_id is not None and known.import_run_id == run_id
        if _content_hash(statement) == known.content_hash:
            if not repeat:
                counts.unchanged += 1
                _add_amounts(counts, statement)
            continue
        changed.append((known, statement, statement.items_hash != known.content_hash[_HALF:]))
        if repeat:
            counts.paid_amount_fen -= known.paid_amount_fen
            counts.refund_amount_fen -= known.refund_amount_fen
        else:
            counts.updated += 1
        _add_amounts(counts, statement)
    now = utcnow()
    if undo is not None:
        undo.keep_orders(session, workspace_id, [known.id for known, _, _ in changed])
        undo.keep_items(session, workspace_id, [known.id for known, _, items in changed if items])
    created = _insert_orders(session, workspace_id, new, run_id, now)
    if undo is not None:
        undo.orders_created.extend(created)
    _update_orders(session, workspace_id, changed, run_id, now)
    return counts


def fan_key(order: ParsedOrder) -> FanKey:
    return FanKey(
        platform=order.platform,
        external_id=order.buyer_id,
        phone=order.phone,
        nickname=order.buyer_nick,
        region=order.province,
        real_name=order.receiver_name,
        address=order.address,
        seen_at=order.created_at or order.paid_at,
    )


def item_values(item: ParsedItem) -> dict[str, Any]:
    return {
        "title": item.title[:300],
        "sku": _clip(item.sku, 200),
        "quantity": item.quantity,
        "unit_price_fen": item.unit_price_fen,
        "product_id": _clip(item.product_id, 64),
    }


def items_digest(items: Sequence[dict[str, Any]]) -> str:
    return _digest([tuple(item.values()) for item in items])


def _latest_statements(orders: Sequence[ParsedOrder]) -> list[ParsedOrder]:
    """One statement per order: when a number repeats within the batch, the later one wins."""
    latest: dict[tuple[str, str], ParsedOrder] = {}
    for order in orders:
        key = (order.platform, order.order_no)
        latest.pop(key, None)  # re-insert so the batch keeps the file's order
        latest[key] = order
    return list(latest.values())


def _statement(workspace_id: int, order: ParsedOrder, customer_id: int | None) -> _Statement:
    values: dict[str, Any] = {
        "customer_id": customer_id,
        "platform": order.platform,
        "order_no": order.order_no,
        "status": order.status,
        "refund_state": order.refund_state,
        "paid_amount_fen": order.paid_amount_fen,
        "refund_amount_fen": order.refund_amount_fen,
        "ordered_at": order.created_at,
        "paid_at": order.paid_at,
        "completed_at": order.completed_at,
    }
    for name, width in _ORDER_TEXT_WIDTHS.items():
        values[name] = _clip(getattr(order, name), width)
    items = [item_values(item) for item in order.items]
    statement = _Statement(values, items, _digest(tuple(values.values())), items_digest(items))
    values["raw"] = order.raw if isinstance(order.raw, EncodedJSON) else scrub_raw(order.raw)
    values["workspace_id"] = workspace_id
    return statement


def _add_amounts(counts: OrderCounts, statement: _Statement) -> None:
    counts.paid_amount_fen += statement.values["paid_amount_fen"]
    counts.refund_amount_fen += statement.values["refund_amount_fen"]


def _stored_orders(
    session: Session, workspace_id: int, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], _Stored]:
    numbers_by_platform: dict[str, list[str]] = {}
    for platform, order_no in keys:
        numbers_by_platform.setdefault(platform, []).append(order_no)
    stored: dict[tuple[str, str], _Stored] = {}
    for platform, numbers in numbers_by_platform.items():
        rows = session.execute(
            select(
                Order.order_no,
                Order.id,
                Order.content_hash,
                Order.import_run_id,
                Order.paid_amount_fen,
                Order.refund_amount_fen,
            ).where(
                Order.workspace_id == workspace_id,
                Order.platform == platform,
                Order.order_no.in_(numbers),
            )
        )
        for order_no, order_id, content_hash, run_id, paid, refund in rows:
            stored[(platform, order_no)] = _Stored(order_id, content_hash, run_id, paid, refund)
    return stored


def _insert_orders(
    session: Session,
    workspace_id: int,
    statements: Sequence[_Statement],
    run_id: int | None,
    now: datetime,
) -> list[int]:
    if not statements:
        return []
    rows = [
        s.values
        | {
            "content_hash": _content_hash(s),
            "item_count": _quantity(s.items),
            "import_run_id": run_id,
            "created_at": now,
            "updated_at": now,
        }
        for s in statements
    ]
    ids = insert_returning_ids(session, _ORDERS, rows)
    insert_items(session, workspace_id, zip(ids, (s.items for s in statements), strict=True))
    return ids


def _update_orders(
    session: Session,
    workspace_id: int,
    changed: Sequence[tuple[_Stored, _Statement, bool]],
    run_id: int | None,
    now: datetime,
) -> None:
    if not changed:
        return
    rows = []
    for stored, statement, items_changed in changed:
        row = statement.values | {
            "id": stored.id,
            "content_hash": _content_hash(statement),
            "import_run_id": run_id,
            "updated_at": now,
        }
        if items_changed:
            row["item_count"] = _quantity(statement.items)
        rows.append(row)
    session.execute(update(Order), rows)
    replaced = [(stored.id, s.items) for stored, s, items_changed in changed if items_changed]
    replace_items(session, workspace_id, replaced)


def replace_items(
    session: Session,
    workspace_id: int,
    orders: Sequence[tuple[int, Sequence[dict[str, Any]]]],
) -> None:
    """Delete the items of these orders and insert the given ones in their place."""
    if not orders:
        return
    session.execute(
        delete(OrderItem)
        .where(
            OrderItem.workspace_id == workspace_id,
            OrderItem.order_id.in_([order_id for order_id, _ in orders]),
        )
        .execution_options(synchronize_session=False)
    )
    insert_items(session, workspace_id, orders)


def insert_items(
    session: Session,
    workspace_id: int,
    orders: Iterable[tuple[int, Sequence[dict[str, Any]]]],
) -> None:
    rows = [
        item | {"workspace_id": workspace_id, "order_id": order_id}
        for order_id, items in orders
        for item in items
    ]
    insert_rows(session, _ORDER_ITEMS, rows)


def _content_hash(statement: _Statement) -> str:
    return statement.order_hash + statement.items_hash


def _digest(value: object) -> str:
    # repr of str/int/None/aware-UTC datetimes is stable across processes (unlike hash()).
    return hashlib.blake2b(repr(value).encode(), digest_size=_HALF // 2).hexdigest()


def _quantity(items: Sequence[dict[str, Any]]) -> int:
    return sum(int(item["quantity"]) for item in items)


def _clip(text: str | None, width: int) -> str | None:
    return None if text is None else text[:width]
