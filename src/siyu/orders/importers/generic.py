"""Siyu's own import format (docs/import-format.md), for shops on platforms Siyu can't read yet.

CSV or JSONL with order_no, buyer_id, paid_at and paid_amount (yuan, a decimal string) required.
One row per order: amounts are order level, and a repeated adjacent order_no is not summed.
Without a status column the status follows payment (paid when paid_at is set, else created).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .records import PLATFORMS, ParsedItem
from .spec import BadRowError, PlatformSpec, RowView
from .values import parse_fen, parse_quantity

STATUSES = ("created", "paid", "shipped", "completed", "closed")

# Every column of the format, so JSONL lines may omit optional keys.
COLUMN_NAMES = (
    "order_no",
    "buyer_id",
    "paid_at",
    "paid_amount",
    "status",
    "refund_amount",
    "buyer_nick",
    "phone",
    "platform",
    "shop",
    "items",
    "created_at",
    "completed_at",
    "receiver_name",
    "address",
    "province",
    "streamer_id",
    "streamer_name",
    "traffic_source",
)


@dataclass(frozen=True)
class GenericSpec(PlatformSpec):
    def platform_of(self, view: RowView) -> str:
        platform = view.text("platform")
        if platform is None:
            return "generic"
        if platform.lower() not in PLATFORMS:
            raise BadRowError(view.header("platform"), platform, "Unknown platform.")
        return platform.lower()

    def items_of(self, view: RowView) -> list[ParsedItem]:
        text = view.text("items")
        if text is None:
            return []
        column = view.header("items")
        try:
            entries = json.loads(text, parse_float=Decimal)
        except json.JSONDecodeError:
            raise BadRowError(column, text, "Items are not valid JSON.") from None
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise BadRowError(column, text, "Items must be a JSON array of objects.")
        try:
            return [_item_from_json(entry) for entry in entries]
        except ValueError as exc:
            raise BadRowError(column, text, str(exc)) from None


def _item_from_json(entry: dict[str, Any]) -> ParsedItem:
    title = entry.get("title")
    if not isinstance(title, str) or not title.strip():
        raise ValueError("Every item needs a title.")
    quantity = _json_text(entry.get("quantity"))
    price = _json_text(entry.get("unit_price"))
    return ParsedItem(
        title=title.strip(),
        sku=_json_text(entry.get("sku")) or None,
        quantity=1 if quantity == "" else _whole(quantity),
        unit_price_fen=None if price == "" else parse_fen(price),
        product_id=_json_text(entry.get("product_id")) or None,
    )


def _whole(text: str) -> int:
    quantity = parse_quantity(text)
    return 1 if quantity is None else quantity


def _json_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool | dict | list):
        raise ValueError("Item values must be text or numbers.")
    return str(value).strip()


SPEC = GenericSpec(
    platform="generic",
    columns={name: (name,) for name in COLUMN_NAMES},
    required=("order_no", "buyer_id", "paid_at", "paid_amount"),
    signatures=(("order_no", "buyer_id", "paid_at", "paid_amount"),),
    statuses={status: status for status in STATUSES},
    amount_scope="order",
)
