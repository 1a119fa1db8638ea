"""API bodies of outreach (the contract in docs/outreach.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field

from siyu.kit.bounds import Int64


class CheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=4000, examples=["今晚八点直播，新款连衣裙上架"])


class FindingOut(BaseModel):
    term: str
    category: Literal["ad_law", "address", "induced_sharing", "repeat"]
    severity: Literal["block", "warn"]
    start: int
    end: int
    suggestion: str | None = None


class CheckOut(BaseModel):
    ok: bool
    findings: list[FindingOut]


class SettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    wecom_quota: Literal["daily", "weekly7", "monthly_days"]
    max_per_fan_per_week: int | None = Field(default=None, ge=0, le=1000)


class SettingsOut(BaseModel):
    wecom_quota: Literal["daily", "weekly7", "monthly_days"]
    max_per_fan_per_week: int | None


# An image travels base64-encoded inside the JSON body: at most 2 MiB once decoded.
ImageBase64 = Annotated[str, Field(min_length=8, max_length=2_800_000)]
HttpUrl = Annotated[AnyHttpUrl, Field(max_length=500)]


class _Attachment(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ImageAttachment(_Attachment):
    type: Literal["image"]
    image_base64: ImageBase64 = Field(description="a PNG or JPEG, base64, at most 2 MiB")


class LinkAttachment(_Attachment):
    type: Literal["link"]
    title: str = Field(min_length=1, max_length=128)
    url: HttpUrl
    description: str | None = Field(default=None, max_length=512)
    cover_url: HttpUrl | None = None


class MiniprogramAttachment(_Attachment):
    type: Literal["miniprogram"]
    title: str = Field(min_length=1, max_length=64)
    appid: str = Field(pattern=r"^wx[0-9a-f]{16}$", examples=["wx8bd80126147dfa3c"])
    page: str = Field(min_length=1, max_length=256, pattern=r"^[A-Za-z0-9_./?=&%-]+$")
    cover_base64: ImageBase64 = Field(description="the card's cover, PNG or JPEG, base64")


class CouponAttachment(_Attachment):
    type: Literal["coupon"]
    campaign_id: Int64
    title: str | None = Field(default=None, max_length=128)
    description: str | None = Field(default=None, max_length=512)
    cover_url: HttpUrl | None = None


class MallItemAttachment(_Attachment):
    type: Literal["mall_item"]
    item_id: Int64
    title: str | None = Field(default=None, max_length=128)
    description: str | None = Field(default=None, max_length=512)
    cover_url: HttpUrl | None = None


AttachmentIn = Annotated[
    ImageAttachment
    | LinkAttachment
    | MiniprogramAttachment
    | CouponAttachment
    | MallItemAttachment,
    Field(discriminator="type"),
]


class BroadcastIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    segment_id: Int64
    channel: Literal["wecom_single", "wecom_group", "moments", "operator_task"]
    text: str = Field(min_length=1, max_length=2000)
    holdout_percent: int = Field(default=0, ge=0, le=50)
    send_at: datetime | None = None
    attachment: AttachmentIn | None = None


class Excluded(BaseModel):
    no_consent: int = 0
    unsubscribed: int = 0
    lost: int = 0


class BroadcastCreatedOut(BaseModel):
    id: int
    state: str
    audience_size: int
    holdout_size: int
    excluded: Excluded
    findings: list[FindingOut] = Field(
        default_factory=list, description="warn findings to show the operator"
    )


class OperatorStatusOut(BaseModel):
    operator_id: int | None
    fans: int
    sent: int
    confirmed: bool
    reminders_today: int


class BroadcastOut(BaseModel):
    id: int
    name: str
    channel: str
    state: str
    audience_size: int
    holdout_size: int
    excluded: Excluded
    planned: int
    quota_blocked: int
    sent: int
    failed: int
    sent_at: datetime | None
    operators: list[OperatorStatusOut]
    attachment: dict[str, object] | None = Field(
        default=None, description="what goes with the text (images by their media id)"
    )
    clicks: int = Field(default=0, description="opens of the broadcast's link, all told")
    clicked_fans: int = Field(default=0, description="fans who opened their link, once each")


class ArmOut(BaseModel):
    fans: int
    buyers: int
    gmv_fen: int


class LiftOut(BaseModel):
    days: int
    treated: ArmOut
    control: ArmOut
    conversion_difference: float
    incremental_gmv_fen: int
    ci95_fen: tuple[int | None, int | None]
    delivery_rate: float


class UnsubscribeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: Int64
