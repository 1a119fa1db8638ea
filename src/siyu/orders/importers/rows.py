"""One data row to one parsed row (or a RowError): values read, nothing combined yet."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

from .headers import ColumnMap
from .reading import Row, UnreadableRow
from .records import ParsedItem, ParsedItemRow, RowError
from .spec import BadRowError, PlatformSpec, RefundClass, RowView
from .values import (
    Cell,
    clean_cells,
    is_masked,
    normalise_mobile,
    parse_moment,
    parse_moment_text,
    province_from_address,
)

# Free-text fields copied as they are (cleaned) from the first row that has them.
TEXT_FIELDS = (
    "shop",
    "buyer_nick",
    "receiver_name",
    "streamer_id",
    "streamer_name",
    "traffic_source",
)


class RawKeys(NamedTuple):
    """Where the raw row's keys come from: (cell index, key) per named header."""

    pairs: tuple[tuple[int, str], ...]
    names: tuple[str, ...]
    dense: bool  # every header is named: key i is cell i


def raw_keys(headers: list[str]) -> RawKeys:
    """Header names as raw-row keys; a repeated header gets "#2", "#3" so no cell is lost."""
    taken: set[str] = set()
    pairs: list[tuple[int, str]] = []
    for index, name in enumerate(headers):
        if not name:
            continue
        key, copy = name, 1
        while key in taken:
            copy += 1
            key = f"{name}#{copy}"
        taken.add(key)
        pairs.append((index, key))
    names = tuple(key for _, key in pairs)
    return RawKeys(tuple(pairs), names, dense=len(pairs) == len(headers))


@dataclass(frozen=True, slots=True)
class ReadContext:
    spec: PlatformSpec
    columns: ColumnMap
    zone: ZoneInfo
    raw_keys: RawKeys


@dataclass(slots=True)
class OrderRow:
    row: int
    cells: list[Cell]
    cleaned: list[str]  # the cells cleaned
    order_no: str
    platform: str
    status: str | None
    refund: RefundClass
    paid_amount_fen: int | None
    refund_amount_fen: int | None
    created_at: datetime | None
    paid_at: datetime | None
    completed_at: datetime | None
    texts: dict[str, str | None]
    items: list[ParsedItem]


class DataRow(NamedTuple):
    number: int
    cells: list[Cell]
    cleaned: list[str]  # the cells cleaned, once for the whole import


def data_rows(rows: Iterable[Row], header_row: int) -> Iterator[DataRow | RowError]:
    """Rows below the header, blank ones dropped, unreadable ones turned into RowErrors."""
    for row in rows:
        if isinstance(row, UnreadableRow):
            yield RowError(row=row.row, column=None, value=None, reason=row.reason)
            continue
        number, cells = row
        if number > header_row:
            cleaned = clean_cells(cells)
            if any(cleaned):
                yield DataRow(number, cells, cleaned)


def parse_order_rows(
    context: ReadContext, rows: Iterable[DataRow | RowError]
) -> Iterator[OrderRow | RowError]:
    columns = context.columns
    for row in rows:
        if isinstance(row, RowError):
            yield row
            continue
        number, cells, cleaned = row
        try:
            yield parse_order_row(context, RowView(columns, cells, number, cleaned))
        except BadRowError as problem:
            yield RowError(number, problem.column, problem.value, problem.reason)


def parse_item_rows(
    context: ReadContext, rows: Iterable[DataRow | RowError]
) -> Iterator[ParsedItemRow | RowError]:
    """The Taobao companion item file: every row is one item of the order it names."""
    for row in rows:
        if isinstance(row, RowError):
            yield row
            continue
        number, cells, cleaned = row
        view = RowView(context.columns, cells, number, cleaned)
        try:
            order_no = _order_no(view)
            items = context.spec.items_of(view)
            if not items:
                raise BadRowError(view.header("item_title"), None, "Missing item title.")
            yield ParsedItemRow(order_no=order_no, item=items[0], row=number)
        except BadRowError as problem:
            yield RowError(number, problem.column, problem.value, problem.reason)


def parse_order_row(context: ReadContext, view: RowView) -> OrderRow:
    spec = context.spec
    order_no = _order_no(view)
    address = spec.address_of(view)
    texts = {name: view.text(name) for name in TEXT_FIELDS}
    texts["address"] = address
    texts["province"] = view.text("province") or (address and province_from_address(address))
    texts["buyer_id"] = _unmasked(view.text("buyer_id"))
    texts["phone"] = _mobile(view.text("phone"))
    return OrderRow(
        row=view.row,
        cells=view.cells,
        cleaned=view.cleaned,
        order_no=order_no,
        platform=spec.platform_of(view),
        status=spec.status_of(view),
        refund=spec.refund_class(view),
        paid_amount_fen=view.fen("paid_amount"),
        refund_amount_fen=view.fen("refund_amount"),
        created_at=_moment(view, "created_at", context.zone),
        paid_at=_moment(view, "paid_at", context.zone),
        completed_at=_moment(view, "completed_at", context.zone),
        texts=texts,
        items=spec.items_of(view),
    )


def _order_no(view: RowView) -> str:
    order_no = view.text("order_no")
    if order_no is None:
        raise BadRowError(view.header("order_no"), None, "Missing order number.")
    return order_no


def _moment(view: RowView, name: str, zone: ZoneInfo) -> datetime | None:
    index = view.present(name)
    if index is None:
        return None
    cell, text = view.cells[index], view.cleaned[index]
    try:
        if isinstance(cell, datetime):
            return parse_moment(cell, zone)
        return parse_moment_text(text, zone)
    except ValueError as exc:
        raise BadRowError(view.columns.headers[index], text, str(exc)) from None


def _unmasked(text: str | None) -> str | None:
    """Masked ids (t**1) name nobody: they cannot identify a buyer across orders."""
    return None if text is None or is_masked(text) else text


def _mobile(text: str | None) -> str | None:
    return None if text is None else normalise_mobile(text)
