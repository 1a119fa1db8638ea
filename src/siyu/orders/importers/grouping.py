"""Adjacent rows with one order number become one order.

Only the current group is held, so memory stays flat however long the file. An order number
that comes back after another order is a new group (and a second ParsedOrder with the same
number): tracking every number seen would grow with the file, and the import service upserts
by number anyway.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from .records import ParsedOrder, RowError
from .rows import OrderRow, RawKeys, ReadContext
from .spec import AmountScope, RefundClass
from .values import Cell

# Order progress; a multi-row order is only as far along as its least advanced live row.
_PROGRESS = ("created", "paid", "shipped", "completed")


@dataclass(slots=True)
class _Group:
    rows: list[OrderRow] = field(default_factory=list)
    row_numbers: list[int] = field(default_factory=list)
    seen: set[tuple[Cell, ...]] = field(default_factory=set)

    def add(self, row: OrderRow) -> None:
        """Identical duplicate rows (same cells) are exports repeating themselves: keep one."""
        self.row_numbers.append(row.row)
        cells = tuple(row.cells)
        if cells not in self.seen:
            self.seen.add(cells)
            self.rows.append(row)


def assemble_orders(
    context: ReadContext, rows: Iterable[OrderRow | RowError]
) -> Iterator[ParsedOrder | RowError]:
    group = _Group()
    for row in rows:
        if isinstance(row, RowError):
            yield row
            continue
        if group.rows and row.order_no != group.rows[0].order_no:
            yield merge_group(context, group)
            group = _Group()
        group.add(row)
    if group.rows:
        yield merge_group(context, group)


def merge_group(context: ReadContext, group: _Group) -> ParsedOrder | RowError:
    rows = group.rows
    first = rows[0]
    single = len(rows) == 1  # most orders: skip the combining
    scope = context.spec.amount_scope
    paid_at = first.paid_at if single else _first_moment(row.paid_at for row in rows)
    paid_amount = _amount(scope, [row.paid_amount_fen for row in rows])
    if paid_at is not None and paid_amount is None:
        column = _header(context, "paid_amount")
        return RowError(first.row, column, None, "Paid order has no paid amount.")
    # Only a payment time makes an order paid, whatever the amount columns say.
    paid_fen = paid_amount if paid_at is not None and paid_amount is not None else 0
    refund_fen = _amount(scope, [row.refund_amount_fen for row in rows]) or 0
    texts = _merged_texts(rows)
    return ParsedOrder(
        platform=first.platform,
        order_no=first.order_no,
        shop=texts["shop"],
        buyer_id=texts["buyer_id"],
        buyer_nick=texts["buyer_nick"],
        phone=texts["phone"],
        receiver_name=texts["receiver_name"],
        address=texts["address"],
        province=texts["province"],
        status=combined_status([row.status for row in rows], paid=paid_at is not None),
        refund_state=combined_refund([row.refund for row in rows], refund_fen, paid_fen),
        paid_amount_fen=paid_fen,
        refund_amount_fen=refund_fen,
        created_at=first.created_at if single else _first_moment(r.created_at for r in rows),
        paid_at=paid_at,
        completed_at=first.completed_at if single else _first_moment(r.completed_at for r in rows),
        streamer_id=texts["streamer_id"],
        streamer_name=texts["streamer_name"],
        traffic_source=texts["traffic_source"],
        items=[item for row in rows for item in row.items],
        rows=group.row_numbers,
        raw=raw_record(context.raw_keys, first.cleaned),
    )


def _merged_texts(rows: list[OrderRow]) -> dict[str, str | None]:
    """Each text field from the first row that has it."""
    if len(rows) == 1:
        return {name: text or None for name, text in rows[0].texts.items()}
    return {name: _first_text(rows, name) for name in rows[0].texts}


def combined_status(statuses: list[str | None], *, paid: bool) -> str:
    known = [status for status in statuses if status is not None]
    if not known:
        return "paid" if paid else "created"
    live = [status for status in known if status != "closed"]
    if not live:
        return "closed"
    return min(live, key=_PROGRESS.index)


def combined_refund(classes: list[RefundClass], refund_fen: int, paid_fen: int) -> str:
    """Amounts decide partial or full when the file has them; otherwise the rows' texts do."""
    if refund_fen > 0:
        return "full" if paid_fen and refund_fen >= paid_fen else "partial"
    if "refunded" in classes:
        return "full" if all(refund == "refunded" for refund in classes) else "partial"
    if "requested" in classes:
        return "requested"
    return "none"


def raw_record(keys: RawKeys, cleaned: list[str]) -> dict[str, str]:
    """Header -> cleaned cell text (keys from ``raw_keys``); a missing cell is ""."""
    if keys.dense and len(cleaned) >= len(keys.names):
        return dict(zip(keys.names, cleaned[: len(keys.names)], strict=True))
    count = len(cleaned)
    return {key: cleaned[index] if index < count else "" for index, key in keys.pairs}


def _amount(scope: AmountScope, amounts: list[int | None]) -> int | None:
    present = [amount for amount in amounts if amount is not None]
    if not present:
        return None
    return sum(present) if scope == "row" else present[0]


def _first_text(rows: list[OrderRow], name: str) -> str | None:
    return next((row.texts[name] for row in rows if row.texts.get(name)), None)


def _first_moment(moments: Iterable[datetime | None]) -> datetime | None:
    return next((moment for moment in moments if moment is not None), None)


def _header(context: ReadContext, name: str) -> str | None:
    positions = context.columns.positions.get(name)
    return context.columns.headers[positions[0]] if positions else None
