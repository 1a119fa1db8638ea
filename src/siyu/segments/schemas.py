"""API bodies of the segments domain."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from siyu.kit.patches import PatchBody


class FilterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filter: str = Field(
        max_length=2000,
        examples=['orders >= 2 and days_since_last_order <= 90 and platform = "douyin"'],
    )


class CountOut(BaseModel):
    count: int


class SegmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    filter: str = Field(max_length=2000)
    description: str = Field(default="", max_length=1000)
    auto_tag: bool = Field(
        default=False, description="Keep exactly this segment's fans tagged with its name."
    )


class SegmentPatch(PatchBody):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=100)
    filter: str | None = Field(default=None, max_length=2000)
    description: str | None = Field(default=None, max_length=1000)


class SegmentOut(BaseModel):
    id: int
    name: str
    description: str
    filter: str
    tag_id: int | None
    member_count: int | None
    counted_at: datetime | None
    created_at: datetime
    updated_at: datetime


class MemberOut(BaseModel):
    id: int
    display_name: str | None
    region: str | None
    phone_masked: str | None
    paid_orders: int
    net_paid_fen: int
    days_since_last_order: int | None
    rfm_segment: str | None
    cn8_segment: str | None
    lifecycle_stage: str | None
