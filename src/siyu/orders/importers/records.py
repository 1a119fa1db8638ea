"""What the importers hand back: normalised orders, item rows, row errors and fatal errors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

PLATFORMS = ("taobao", "douyin", "kuaishou", "youzan", "xiaohongshu", "generic")
ORDER_STATUSES = ("created", "paid", "shipped", "completed", "closed")
REFUND_STATES = ("none", "requested", "partial", "full")


@dataclass(frozen=True, slots=True)
class ParsedItem:
    title: str
    sku: str | None
    quantity: int
    unit_price_fen: int | None
    product_id: str | None


@dataclass(slots=True)
class ParsedOrder:
    platform: str
    order_no: str
    shop: str | None
    buyer_id: str | None
    buyer_nick: str | None
    phone: str | None
    receiver_name: str | None
    address: str | None
    province: str | None
    status: str
    refund_state: str
    paid_amount_fen: int
    refund_amount_fen: int
    created_at: datetime | None
    paid_at: datetime | None
    completed_at: datetime | None
    streamer_id: str | None
    streamer_name: str | None
    traffic_source: str | None
    items: list[ParsedItem]
    rows: list[int]
    raw: dict[str, str]


@dataclass(frozen=True, slots=True)
class ParsedItemRow:
    """One line of the Taobao companion item file; it attaches to an order by number."""

    order_no: str
    item: ParsedItem
    row: int


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    column: str | None
    value: str | None
    reason: str


class FatalImportError(Exception):
    """The whole file is rejected; nothing from it may be written."""

    def __init__(
        self,
        message: str,
        *,
        platform_guess: str | None = None,
        missing_columns: list[str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.platform_guess = platform_guess
        self.missing_columns = list(missing_columns or [])
