"""What a platform module declares, and the row view its hooks read cells through.

A platform is data: column aliases per field (most specific first), required fields, the
column sets that identify it, its status vocabulary and whether its amounts are per row or
per order. Hooks cover the few places where a platform reads a row differently (items as
JSON in the generic format, Taobao's close reason).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from .headers import ColumnMap
from .records import ParsedItem
from .values import ABSENT, ABSENT_LONGEST, Cell, clean_cells, parse_fen, parse_quantity

AmountScope = Literal["row", "order"]
RefundClass = Literal["none", "requested", "refunded"]


class BadRowError(ValueError):
    """One cell makes its row unusable; becomes a RowError."""

    def __init__(self, column: str | None, value: str | None, reason: str) -> None:
        super().__init__(reason)
        self.column = column
        self.value = value
        self.reason = reason


class RowView:
    """One data row seen through a column map: first present cell per field, cleaned.

    ``cleaned`` holds the row's cells already cleaned (``clean_cells``), one per cell.
    """

    __slots__ = ("cells", "cleaned", "columns", "row")

    def __init__(
        self, columns: ColumnMap, cells: list[Cell], row: int, cleaned: list[str] | None = None
    ) -> None:
        self.columns = columns
        self.cells = cells
        self.row = row
        self.cleaned = clean_cells(cells) if cleaned is None else cleaned

    def cell(self, name: str) -> tuple[str, Cell] | None:
        """(header, cell) of the first non-empty column holding ``name``."""
        index = self.present(name)
        return None if index is None else (self.columns.headers[index], self.cells[index])

    def found(self, name: str) -> tuple[str, str] | None:
        """(header, cleaned text) of the first non-empty column holding ``name``."""
        index = self.present(name)
        return None if index is None else (self.columns.headers[index], self.cleaned[index])

    def text(self, name: str) -> str | None:
        index = self.present(name)
        return None if index is None else self.cleaned[index]

    def present(self, name: str) -> int | None:
        """Index of the first cell holding ``name`` that is not empty."""
        cleaned = self.cleaned
        for index in self.columns.positions.get(name, ()):
            if index < len(cleaned):
                text = cleaned[index]  # is_absent, inlined: this runs for every field read
                if text and (len(text) > ABSENT_LONGEST or text.casefold() not in ABSENT):
                    return index
        return None

    def header(self, name: str) -> str | None:
        positions = self.columns.positions.get(name)
        return self.columns.headers[positions[0]] if positions else None

    def fen(self, name: str) -> int | None:
        found = self.found(name)
        if found is None:
            return None
        header, text = found
        try:
            return parse_fen(text)
        except ValueError as exc:
            raise BadRowError(header, text, str(exc)) from None

    def quantity(self, name: str) -> int | None:
        found = self.found(name)
        if found is None:
            return None
        header, text = found
        try:
            return parse_quantity(text)
        except ValueError as exc:
            raise BadRowError(header, text, str(exc)) from None


def status_key(text: str) -> str:
    """Status texts compared without spaces and with one kind of comma."""
    return re.sub(r"\s+", "", text).replace("，", ",")


# Refund and after-sales (售后) texts vary per platform but share their words. Checked in this
# order: explicit "nothing", closed or refused requests, money returned, then anything pending.
_NO_REFUND_EXACT = frozenset({"无", "正常", "无售后", "未申请", "没有申请退款", "售后关闭"})
_NO_REFUND_WORDS = ("关闭", "拒绝", "取消", "撤销", "失败", "没有申请")
_REFUNDED_WORDS = ("退款成功", "退款完成", "已退款", "售后完成", "售后成功", "全额退款", "部分退款")
_REQUESTED_WORDS = ("申请", "等待", "待", "中", "处理")


def classify_refund_text(text: str | None) -> RefundClass:
    if text is None:
        return "none"
    key = status_key(text)
    if key in _NO_REFUND_EXACT or any(word in key for word in _NO_REFUND_WORDS):
        return "none"
    if any(word in key for word in _REFUNDED_WORDS):
        return "refunded"
    if any(word in key for word in _REQUESTED_WORDS):
        return "requested"
    return "none"


@dataclass(frozen=True)
class PlatformSpec:
    platform: str
    columns: Mapping[str, tuple[str, ...]]
    required: tuple[str, ...]
    signatures: tuple[tuple[str, ...], ...]
    statuses: Mapping[str, str] = field(default_factory=dict)
    amount_scope: AmountScope = "order"
    file_kind: str = "orders"
    known_columns: tuple[str, ...] = ()
    # Fields joined (in order) into the address when the file splits it over columns.
    address_parts: tuple[str, ...] = ()

    @cached_property
    def _status_lookup(self) -> dict[str, str]:
        return {status_key(text): status for text, status in self.statuses.items()}

    def column_name(self, name: str) -> str:
        """The display name of a field: its first alias, as the platform's own files spell it."""
        return self.columns[name][0]

    def status_of(self, view: RowView) -> str | None:
        """The normalised status, None when the file has no status for this row."""
        found = view.found("status")
        if found is None:
            return None
        header, text = found
        status = self._status_lookup.get(status_key(text))
        if status is None:
            raise BadRowError(header, text, "Unknown order status.")
        return status

    def refund_class(self, view: RowView) -> RefundClass:
        return classify_refund_text(view.text("refund_status"))

    def platform_of(self, view: RowView) -> str:
        return self.platform

    def items_of(self, view: RowView) -> list[ParsedItem]:
        title = view.text("item_title")
        if title is None:
            return []
        return [
            ParsedItem(
                title=title,
                sku=view.text("item_sku"),
                quantity=view.quantity("item_quantity") or 1,
                unit_price_fen=view.fen("item_unit_price"),
                product_id=view.text("item_product_id"),
            )
        ]

    def address_of(self, view: RowView) -> str | None:
        address = view.text("address")
        if address is not None or not self.address_parts:
            return address
        parts = [view.text(part) for part in self.address_parts]
        joined = "".join(part for part in parts if part)
        return joined or None
