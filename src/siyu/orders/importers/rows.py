"""One data row to one parsed row (or a RowError): values read, nothing combined yet."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from .headers import ColumnMap
from .reading import Row, UnreadableRow
from .records import ParsedItem, ParsedItemRow, RowError
from .spec import BadRowError, PlatformSpec, RefundClass, RowView
from .values import (
    Cell,
    clean_text,
    is_masked,
    normalise_mobile,
    parse_moment,
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


@dataclass(frozen=True, slots=True)
class ReadContext:
    spec: PlatformSpec
    columns: ColumnMap
    zone: ZoneInfo


@dataclass(slots=True)
class OrderRow:
    row: int
    cells: list[Cell]
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


def data_rows(rows: Iterable[Row], header_row: int) -> Iterator[tuple[int, list[Cell]] | RowError]:
    """Rows below the header, blank ones dropped, unreadable ones turned into RowErrors."""
    for row in rows:
        if isinstance(row, UnreadableRow):
            yield RowError(row=row.row, column=None, value=None, reason=row.reason)
            continue
        number, cells = row
        if number > header_row and any(clean_text(cell) for cell in cells):
            yield number, cells


def parse_order_rows(
    context: ReadContext, rows: Iterable[tuple[int, list[Cell]] | RowError]
) -> Iterator[OrderRow | RowError]:
    for row in rows:
        if isinstance(row, RowError):
            yield row
            continue
        number, cells = row
        try:
            yield parse_order_row(context, RowView(context.columns, cells, number))
        except BadRowError as problem:
            yield RowError(number, problem.column, problem.value, problem.reason)


def parse_item_rows(
    context: ReadContext, rows: Iterable[tuple[int, list[Cell]] | RowError]
) -> Iterator[ParsedItemRow | RowError]:
    """The Taobao companion item file: every row is one item of the order it names."""
    for row in rows:
        if isinstance(row, RowError):
            yield row
            continue
        number, cells = row
        view = RowView(context.columns, cells, number)
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
    found = view.cell(name)
    if found is None:
        return None
    header, cell = found
    try:
        return parse_moment(cell, zone)
    except ValueError as exc:
        raise BadRowError(header, clean_text(cell), str(exc)) from None


def _unmasked(text: str | None) -> str | None:
    """Masked ids (t**1) name nobody: they cannot identify a buyer across orders."""
    return None if text is None or is_masked(text) else text


def _mobile(text: str | None) -> str | None:
    return None if text is None else normalise_mobile(text)
