"""API shapes of the customers domain. Personal data is masked unless asked for (audited)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from siyu.customers.platforms import IDENTITY_PLATFORMS
from siyu.kit.bounds import Int64


class IdentityOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    platform: str
    external_id: str
    nickname: str | None
    source: str


class CustomerOut(BaseModel):
    id: int
    display_name: str | None
    region: str | None
    source_channel: str | None
    first_seen_at: datetime
    phone_masked: str | None
    merged_into_id: int | None
    erased: bool
    identities: list[IdentityOut]


class OrderStatsOut(BaseModel):
    paid_orders: int
    net_paid_fen: int
    spend_1y_fen: int
    first_paid_at: datetime | None
    last_paid_at: datetime | None
    platforms: list[str]


class TagOut(BaseModel):
    id: int
    group: str
    name: str


class CustomerDetail(CustomerOut):
    real_name_masked: str | None
    has_address: bool
    consent_marketing: bool
    intimacy: dict[str, int]
    tags: list[TagOut]
    orders: OrderStatsOut
    pii: dict[str, str | None] | None = Field(
        default=None, description="Clear personal data, only when asked for with `reveal`."
    )


class IdentityIn(BaseModel):
    platform: str = Field(json_schema_extra={"enum": list(IDENTITY_PLATFORMS)})
    external_id: str = Field(min_length=1, max_length=128)
    nickname: str | None = Field(default=None, max_length=100)


class NoteIn(BaseModel):
    body: str = Field(min_length=1, max_length=2000)


class NoteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    body: str
    created_at: datetime


class TagIn(BaseModel):
    group: str = Field(min_length=1, max_length=50)
    name: str = Field(min_length=1, max_length=50)


class MergeIn(BaseModel):
    source_id: Int64


class MergeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    target_id: int
    source_id: int
    moved: dict[str, Any]
    created_at: datetime
    undone_at: datetime | None


class EventItem(BaseModel):
    idempotency_key: str = Field(min_length=1, max_length=128)
    kind: str = Field(min_length=1, max_length=32, examples=["live_view", "h5_visit", "share"])
    occurred_at: datetime
    customer_id: Int64 | None = None
    identity: str | None = Field(default=None, examples=["douyin:dy_8823"])
    properties: dict[str, Any] = Field(default_factory=dict)


class EventBatchIn(BaseModel):
    events: list[EventItem] = Field(min_length=1, max_length=1000)


class BatchResult(BaseModel):
    accepted: Int64
    duplicates: Int64


class IntimacyItem(BaseModel):
    platform: str
    external_id: str = Field(min_length=1, max_length=128)
    level: int = Field(ge=0, le=1000)


class IntimacyBatchIn(BaseModel):
    levels: list[IntimacyItem] = Field(min_length=1, max_length=5000)


class IntimacyResult(BaseModel):
    updated: Int64
    unknown_identities: Int64


class ConsentIn(BaseModel):
    marketing: bool


class ConsentOut(BaseModel):
    marketing: bool
    updated_at: datetime | None


class FanLinkIn(BaseModel):
    ttl_days: int = Field(default=7, ge=1, le=90, description="Days the link stays valid")


class FanLinkOut(BaseModel):
    customer_id: int
    url: str
    expires_at: datetime


class FanLinksIn(BaseModel):
    """Either ``customer_ids`` or a ``segment_id`` (paged with ``cursor`` and ``limit``)."""

    customer_ids: list[int] | None = Field(default=None, min_length=1, max_length=1000)
    segment_id: int | None = None
    cursor: str | None = None
    limit: int = Field(default=500, ge=1, le=1000)
    ttl_days: int = Field(default=7, ge=1, le=90)


class FanLinkRefused(BaseModel):
    customer_id: int
    reason: str  # customer-not-found | customer-merged | customer-erased


class FanLinksOut(BaseModel):
    items: list[FanLinkOut]
    refused: list[FanLinkRefused]
    next_cursor: str | None = None
