"""Rows with one order number become one order.

Adjacent rows are grouped as they stream by: only the current group is held. Where rows are
parts of their order (amounts per row: Douyin sub-orders, Xiaohongshu SKU lines), the rows of
one order can also be scattered over the file (sorted by another column in Excel, two exports
concatenated), and each part carries money: ``assemble_file_orders`` first reads the order
numbers alone to find the orders that come back after another, then streams the others as
usual while their rows wait in an on-disk spill, grouped once the file has been read. Memory
stays bounded: a fixed-size filter of the numbers seen plus the numbers that came back.

Where amounts are per order (Taobao, Kuaishou, Youzan, generic), a number that comes back
after another order is a newer statement of it (a second ParsedOrder with the same number),
which the import service writes over the first.
"""

from __future__ import annotations

import pickle
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from .reading import Row, UnreadableRow
from .records import ParsedOrder, RowError
from .rows import OrderRow, RawKeys, ReadContext, data_rows, parse_order_rows
from .spec import AmountScope, RefundClass, RowView
from .values import Cell, clean_text

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


def assemble_file_orders(
    context: ReadContext, read: Callable[[], Iterable[Row]], header_row: int
) -> Iterator[ParsedOrder | RowError]:
    """Orders of a file where every row of one order number is one order, wherever it is.

    ``read`` makes a fresh pass over the file's rows; where rows are parts of their order the
    file is read once more beforehand, for its order numbers only.
    """

    def order_rows() -> Iterator[OrderRow | RowError]:
        return parse_order_rows(context, data_rows(read(), header_row))

    if context.spec.amount_scope != "row":
        yield from assemble_orders(context, order_rows())
        return
    scattered = scattered_order_numbers(context, read(), header_row)
    if not scattered:
        yield from assemble_orders(context, order_rows())
        return
    with _Spill() as spill:
        yield from assemble_orders(context, spill.divert(order_rows(), scattered))
        for group in spill.groups():
            yield merge_group(context, group)


def scattered_order_numbers(context: ReadContext, rows: Iterable[Row], header_row: int) -> set[str]:
    """Order numbers whose rows may not all be adjacent: a number starting a run of rows after
    an earlier run probably had it. A false hit of the filter only sends an order through the
    spill, where it comes out the same. Only the order number's cells are cleaned."""
    positions = context.columns.positions.get("order_no", ())
    seen = _NumberFilter()
    scattered: set[str] = set()
    previous: str | None = None
    for row in rows:
        if isinstance(row, UnreadableRow) or row[0] <= header_row:
            continue
        number, cells = row
        cleaned = [""] * len(cells)
        for index in positions:
            if index < len(cells):
                cleaned[index] = clean_text(cells[index])
        order_no = RowView(context.columns, cells, number, cleaned).text("order_no")
        if order_no is None or order_no == previous:
            continue
        previous = order_no
        if seen.add(order_no):
            scattered.add(order_no)
    return scattered


class _NumberFilter:
    """A Bloom filter over order numbers: fixed memory whatever the file's length."""

    _BITS = 1 << 26  # 8 MiB; about 1 false hit in 100,000 numbers for a million orders
    _PROBES = 4

    def __init__(self) -> None:
        self._bits = bytearray(self._BITS >> 3)

    def add(self, text: str) -> bool:
        """Record ``text``; whether it (probably) was recorded before."""
        code = hash(text)
        step = (code >> 32) | 1
        present = True
        for probe in range(self._PROBES):
            bit = (code + probe * step) & (self._BITS - 1)
            byte, mask = bit >> 3, 1 << (bit & 7)
            if not self._bits[byte] & mask:
                present = False
                self._bits[byte] |= mask
        return present


class _Spill:
    """Rows of scattered orders, kept on disk (SQLite) and read back grouped by order."""

    def __enter__(self) -> _Spill:
        self._directory = tempfile.TemporaryDirectory(prefix="siyu-import-")
        self._db = sqlite3.connect(Path(self._directory.name) / "spill.db")
        self._db.execute(
            "CREATE TABLE spill (order_no TEXT, seq INTEGER, row BLOB,"
            " PRIMARY KEY (order_no, seq)) WITHOUT ROWID"
        )
        self._seq = 0
        return self

    def __exit__(self, *_exc: object) -> None:
        self._db.close()
        self._directory.cleanup()

    def divert(
        self, rows: Iterable[OrderRow | RowError], scattered: set[str]
    ) -> Iterator[OrderRow | RowError]:
        """``rows`` less those of scattered orders, which are kept for ``groups``."""
        for row in rows:
            if isinstance(row, OrderRow) and row.order_no in scattered:
                self._keep(row)
            else:
                yield row

    def _keep(self, row: OrderRow) -> None:
        self._seq += 1
        blob = pickle.dumps(row, protocol=pickle.HIGHEST_PROTOCOL)
        self._db.execute("INSERT INTO spill VALUES (?, ?, ?)", (row.order_no, self._seq, blob))

    def groups(self) -> Iterator[_Group]:
        """One group per order number, its rows in file order."""
        group = _Group()
        cursor = self._db.execute("SELECT order_no, row FROM spill ORDER BY order_no, seq")
        for order_no, blob in cursor:
            if group.rows and order_no != group.rows[0].order_no:
                yield group
                group = _Group()
            group.add(pickle.loads(blob))  # noqa: S301 - written by this process just now
        if group.rows:
            yield group


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
