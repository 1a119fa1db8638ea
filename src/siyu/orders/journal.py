"""The undo journal of a running import: what each committed chunk changed, and its undoing.

An import commits in short transactions (requests never wait long behind it), yet a file is
applied whole or not at all. Each chunk (a batch of orders) writes, in the transaction that
commits it, an
``ImportChunk`` row saying what it did: the orders it created, the earlier state of the orders
and items it rewrote, and what resolving its buyers wrote (fans, identities, phones). The
run's last transaction marks it completed and drops the journal. A run that fails, or whose
process died, is undone from its newest chunk back, one short transaction per chunk: each
undo restores exactly the state its chunk found, so chunk by chunk the store returns to the
state before the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.orm import Session

from siyu.customers.service import undo_resolution
from siyu.db import UtcDateTime
from siyu.kit.bulk import insert_rows
from siyu.kit.clock import as_utc
from siyu.orders.models import ImportChunk, Order, OrderItem

_ORDERS = cast(Table, Order.__table__)
_ORDER_ITEMS = cast(Table, OrderItem.__table__)
_RESTORED = [c.name for c in _ORDERS.columns if c.name not in ("id", "workspace_id")]
_MOMENTS = {c.name for c in _ORDERS.columns if isinstance(c.type, UtcDateTime)}
_ITEM_COLUMNS = ("title", "sku", "quantity", "unit_price_fen", "product_id")


@dataclass
class ChunkUndo:
    """Filled while a chunk writes; stored with it."""

    orders_created: list[int] = field(default_factory=list)
    orders_before: list[dict[str, Any]] = field(default_factory=list)
    items_before: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    resolutions: list[dict[str, Any]] = field(default_factory=list)

    def keep_orders(self, session: Session, workspace_id: int, order_ids: list[int]) -> None:
        """Remember these orders as they are now, before the chunk rewrites them."""
        if not order_ids:
            return
        columns = [_ORDERS.c.id, *(_ORDERS.c[name] for name in _RESTORED)]
        rows = session.execute(
            select(*columns).where(
                _ORDERS.c.workspace_id == workspace_id, _ORDERS.c.id.in_(order_ids)
            )
        )
        for row in rows.mappings():
            self.orders_before.append({key: _plain(value) for key, value in row.items()})

    def keep_items(self, session: Session, workspace_id: int, order_ids: list[int]) -> None:
        """Remember these orders' items as they are now, before the chunk replaces them."""
        fresh = [order_id for order_id in order_ids if order_id not in self.items_before]
        if not fresh:
            return
        for order_id in fresh:
            self.items_before[order_id] = []
        rows = session.execute(
            select(OrderItem.order_id, *(getattr(OrderItem, c) for c in _ITEM_COLUMNS))
            .where(OrderItem.workspace_id == workspace_id, OrderItem.order_id.in_(fresh))
            .order_by(OrderItem.id)
        )
        for order_id, *values in rows:
            self.items_before[order_id].append(dict(zip(_ITEM_COLUMNS, values, strict=True)))

    def as_json(self) -> dict[str, Any]:
        return {
            "orders_created": self.orders_created,
            "orders_before": self.orders_before,
            "items_before": {str(k): v for k, v in self.items_before.items()},
            "resolutions": self.resolutions,
        }


def record_chunk(
    session: Session, workspace_id: int, run_id: int, seq: int, undo: ChunkUndo
) -> None:
    session.add(ImportChunk(workspace_id=workspace_id, run_id=run_id, seq=seq, undo=undo.as_json()))
    session.flush()


def forget_chunks(session: Session, workspace_id: int, run_id: int) -> None:
    """The run completed: its journal is no longer needed."""
    session.execute(
        delete(ImportChunk).where(
            ImportChunk.workspace_id == workspace_id, ImportChunk.run_id == run_id
        )
    )


def undo_newest_chunk(session: Session, workspace_id: int, run_id: int) -> bool:
    """Take back the run's newest chunk still applied (in the caller's transaction); False
    when none is left."""
    chunk = session.scalar(
        select(ImportChunk)
        .where(ImportChunk.workspace_id == workspace_id, ImportChunk.run_id == run_id)
        .order_by(ImportChunk.seq.desc())
        .limit(1)
    )
    if chunk is None:
        return False
    _undo(session, workspace_id, chunk.undo)
    session.delete(chunk)
    session.flush()
    return True


def _undo(session: Session, workspace_id: int, undo: dict[str, Any]) -> None:
    created = undo["orders_created"]
    if created:
        session.execute(
            delete(OrderItem).where(
                OrderItem.workspace_id == workspace_id, OrderItem.order_id.in_(created)
            )
        )
        session.execute(
            delete(Order).where(Order.workspace_id == workspace_id, Order.id.in_(created))
        )
    if undo["orders_before"]:
        session.execute(
            update(_ORDERS)
            .where(_ORDERS.c.workspace_id == workspace_id)
            .where(_ORDERS.c.id == bindparam("b_id")),
            [_restored(row) for row in undo["orders_before"]],
        )
    items = {int(order_id): rows for order_id, rows in undo["items_before"].items()}
    if items:
        session.execute(
            delete(OrderItem).where(
                OrderItem.workspace_id == workspace_id, OrderItem.order_id.in_(items)
            )
        )
        rows = [
            item | {"workspace_id": workspace_id, "order_id": order_id}
            for order_id, kept in items.items()
            for item in kept
        ]
        insert_rows(session, _ORDER_ITEMS, rows)
    for resolution in reversed(undo["resolutions"]):
        undo_resolution(session, workspace_id, resolution)


def _restored(row: dict[str, Any]) -> dict[str, Any]:
    values = {
        name: as_utc(datetime.fromisoformat(row[name]))
        if name in _MOMENTS and row[name] is not None
        else row[name]
        for name in _RESTORED
    }
    return values | {"b_id": row["id"]}


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value
