"""What the importers hand back: normalised orders, item rows, row errors and fatal errors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from siyu.kit.jsontext import EncodedJSON

PLATFORMS = ("taobao", "douyin", "kuaishou", "youzan", "xiaohongshu", "generic")
ORDER_STATUSES = ("created", "paid", "shipped", "completed", "closed")
REFUND_STATES = ("none", "requested", "partial", "full")


class _PickledByFields:
    """Pickled as the class and its field values, so unpickling is one ``__init__`` call:
    dataclasses' generic ``__setstate__`` for slotted classes costs several times more, and
    a large import sends millions of records from its parser process (``prefetch``)."""

    __slots__ = ()

    def __reduce__(self) -> tuple[Any, ...]:
        fields: tuple[str, ...] = self.__slots__  # the dataclass's fields, in order
        return type(self), tuple(getattr(self, name) for name in fields)


@dataclass(frozen=True, slots=True)
class ParsedItem(_PickledByFields):
    title: str
    sku: str | None
    quantity: int
    unit_price_fen: int | None
    product_id: str | None


@dataclass(slots=True)
class ParsedOrder(_PickledByFields):
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
    # The row as read; a child parser sends it already scrubbed and encoded (``prefetch``).
    raw: dict[str, str] | EncodedJSON


@dataclass(frozen=True, slots=True)
class ParsedItemRow(_PickledByFields):
    """One line of the Taobao companion item file; it attaches to an order by number."""

    order_no: str
    item: ParsedItem
    row: int


@dataclass(frozen=True, slots=True)
class RowError(_PickledByFields):
    row: int
    column: str | None
    value: str | None
    reason: str


class FatalImportError(Exception):
    """The whole file is rejected; nothing from it may be written. ``message_id`` is an English
    message id (``N_``) and ``values`` fill it; ``message`` is the English text."""

    def __init__(
        self,
        message_id: str,
        *,
        values: dict[str, str | int] | None = None,
        platform_guess: str | None = None,
        missing_columns: list[str] | None = None,
    ) -> None:
        self.message_id = message_id
        self.values = dict(values or {})
        self.message = message_id % self.values if self.values else message_id
        super().__init__(self.message)
        self.platform_guess = platform_guess
        self.missing_columns = list(missing_columns or [])
