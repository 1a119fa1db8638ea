"""API shapes of the orders domain. Money is integer fen; times are ISO 8601 with an offset."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from siyu.kit.bounds import INT32_MAX
from siyu.orders.importers import PLATFORMS
from siyu.orders.models import ORDER_STATUSES, REFUND_STATES

Platform = Literal["taobao", "douyin", "kuaishou", "youzan", "xiaohongshu", "generic"]
Status = Literal["created", "paid", "shipped", "completed", "closed"]
RefundState = Literal["none", "requested", "partial", "full"]
assert set(Platform.__args__) == set(PLATFORMS)  # type: ignore[attr-defined]
assert set(Status.__args__) == set(ORDER_STATUSES)  # type: ignore[attr-defined]
assert set(RefundState.__args__) == set(REFUND_STATES)  # type: ignore[attr-defined]

MAX_BATCH = 1_000


class ItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=300)
    sku: str | None = Field(default=None, max_length=200)
    quantity: int = Field(default=1, ge=0, le=1_000_000)
    unit_price_fen: int | None = Field(default=None, ge=0, le=INT32_MAX)
    product_id: str | None = Field(default=None, max_length=64)


class OrderIn(BaseModel):
    """One order as the pushing system knows it now; re-sending it is harmless."""

    model_config = ConfigDict(extra="forbid")

    platform: Platform
    order_no: str = Field(min_length=1, max_length=64)
    buyer_id: str | None = Field(default=None, max_length=128)
    buyer_nick: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(
        default=None,
        max_length=32,
        description="Mainland mobile; masked or other numbers are ignored, as in files.",
    )
    status: Status
    paid_at: AwareDatetime | None = Field(
        default=None, description="Null means unpaid: the order then counts 0 paid."
    )
    paid_amount_fen: int = Field(ge=0, le=INT32_MAX)
    refund_amount_fen: int = Field(default=0, ge=0, le=INT32_MAX)
    refund_state: RefundState | None = Field(
        default=None, description="Default: from the amounts (none, partial or full)."
    )
    shop: str | None = Field(default=None, max_length=100)
    ordered_at: AwareDatetime | None = None
    completed_at: AwareDatetime | None = None
    items: list[ItemIn] | None = Field(
        default=None,
        max_length=500,
        description="Omitted or empty: the order keeps the items it has.",
    )


class OrderBatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    orders: list[OrderIn] = Field(min_length=1, max_length=MAX_BATCH)


class OrderBatchOut(BaseModel):
    created: int
    updated: int
    unchanged: int
    customers_created: int


class OrderItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    title: str
    sku: str | None
    quantity: int
    unit_price_fen: int | None
    product_id: str | None


class OrderOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    customer_id: int | None
    platform: str
    order_no: str
    shop: str | None
    status: str
    refund_state: str
    paid_amount_fen: int
    refund_amount_fen: int
    ordered_at: datetime | None
    paid_at: datetime | None
    completed_at: datetime | None
    buyer_nick: str | None
    streamer_id: str | None
    streamer_name: str | None
    traffic_source: str | None
    item_count: int
    import_run_id: int | None
    created_at: datetime
    updated_at: datetime


class OrderDetail(OrderOut):
    items: list[OrderItemOut]


class ImportRunOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    file_name: str
    platform: str | None
    file_kind: str | None
    status: str
    rows_read: int
    rows_rejected: int
    orders_created: int
    orders_updated: int
    orders_unchanged: int
    customers_created: int
    paid_amount_fen: int
    refund_amount_fen: int
    error: str | None
    started_at: datetime
    finished_at: datetime | None


class ImportRejectOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    row_number: int
    column_name: str | None
    value: str | None
    reason: str
