"""Request and response bodies of the live API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from siyu.kit.bounds import Int64
from siyu.kit.patches import PatchBody

Platform = Literal["taobao", "douyin", "kuaishou", "xiaohongshu", "channels"]
Pool = Literal["reservers", "sharers", "buyers", "segment"]


class LiveIn(BaseModel):
    title: str = Field(min_length=1, max_length=100)
    platform: Platform
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    streamer_id: str | None = Field(default=None, max_length=64)
    room_url: str | None = Field(default=None, max_length=500)
    products: list[str] = Field(default_factory=list, max_length=50)
    coupon_campaign_ids: list[Int64] = Field(default_factory=list, max_length=20)


class LivePatch(PatchBody):
    clearable = frozenset({"streamer_id", "room_url"})

    title: str | None = Field(default=None, min_length=1, max_length=100)
    platform: Platform | None = None
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    streamer_id: str | None = Field(default=None, max_length=64)
    room_url: str | None = Field(default=None, max_length=500)
    products: list[str] | None = Field(default=None, max_length=50)
    coupon_campaign_ids: list[Int64] | None = Field(default=None, max_length=20)


class LiveOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    platform: str
    room_url: str | None
    streamer_id: str | None
    starts_at: datetime
    ends_at: datetime
    products: list[str]
    coupon_campaign_ids: list[int]
    phase: str = ""
    fan_page_url: str = ""


class ReservationIn(BaseModel):
    customer_id: Int64
    via: str | None = Field(default=None, min_length=1, max_length=16, description="Share code")


class ReservationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    live_id: int
    customer_id: int
    wishlist: list[str]
    created_at: datetime


class ShareLinkIn(BaseModel):
    customer_id: Int64


class ShareLinkOut(BaseModel):
    code: str
    url: str


class StandingOut(BaseModel):
    customer_id: int
    invites: int
    rank: int


class LeaderboardOut(BaseModel):
    items: list[StandingOut]


class DrawIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    pool: Pool
    winners: int = Field(ge=1, le=1000)
    segment_id: Int64 | None = None
    prize: str | None = Field(default=None, max_length=100)


class DrawCreatedOut(BaseModel):
    id: int
    commitment: str


class DrawResultOut(BaseModel):
    winners: list[int]
    seed: str
    commitment: str
    pool_size: int


class ReportOut(BaseModel):
    reservations: int
    share_visits: int
    effective_invites: int
    orders: int
    gmv_fen: int
    share_attributed_orders: int
    share_attributed_gmv_fen: int
