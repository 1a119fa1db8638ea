"""Request and response bodies of the coupons API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AliasGenerator, BaseModel, ConfigDict, Field

from siyu.kit.bounds import INT32_MAX, Int64

Kind = Literal["threshold", "fixed", "percent", "no_threshold"]
Channel = Literal["grab", "share", "post_live", "manual", "points"]

# The API publishes the money fields under the names it was documented with; inside they say fen.
PUBLIC_NAMES = {
    "threshold_fen": "threshold_cents",
    "discount_fen": "discount_cents",
    "cap_fen": "cap_cents",
    "face_value_fen": "face_value_cents",
    "cost_fen": "cost_cents",
}


def public_name(field_name: str) -> str:
    return PUBLIC_NAMES.get(field_name, field_name)


class TemplateIn(BaseModel):
    model_config = ConfigDict(alias_generator=public_name)

    name: str = Field(min_length=1, max_length=100)
    kind: Kind
    threshold_fen: int = Field(default=0, ge=0, le=INT32_MAX)
    discount_fen: int = Field(default=0, ge=0, le=INT32_MAX)
    percent: int | None = Field(default=None, ge=1, le=99, description="Percent off")
    cap_fen: int | None = Field(default=None, ge=1, le=INT32_MAX)
    valid_days: int | None = Field(default=None, ge=1, le=3650)
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    platforms: list[str] = Field(default_factory=list, max_length=20)
    shops: list[str] = Field(default_factory=list, max_length=200)
    products: list[str] = Field(default_factory=list, max_length=1000)
    face_value_fen: int | None = Field(default=None, ge=0, le=INT32_MAX)
    cost_fen: int = Field(default=0, ge=0, le=INT32_MAX)
    how_to_use: str | None = Field(default=None, max_length=500)


class TemplateOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True, alias_generator=AliasGenerator(serialization_alias=public_name)
    )

    id: int
    name: str
    kind: str
    threshold_fen: int
    discount_fen: int
    percent: int | None
    cap_fen: int | None
    valid_days: int | None
    valid_from: datetime | None
    valid_to: datetime | None
    platforms: list[str]
    shops: list[str]
    products: list[str]
    face_value_fen: int
    cost_fen: int
    how_to_use: str | None
    label: str = ""


class CampaignIn(BaseModel):
    template_id: Int64
    channel: Channel
    quantity: int = Field(
        default=0,
        ge=0,
        description="Ignored for a code pool: its codes are the stock",
        le=INT32_MAX,
    )
    per_customer_limit: int = Field(default=1, ge=1, le=100)
    name: str | None = Field(default=None, max_length=100)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    segment_id: Int64 | None = None
    code_source: Literal["generated", "pool"] = "generated"


class CampaignOut(BaseModel):
    id: int
    template_id: int
    name: str
    channel: str
    quantity: int
    claimed: int
    remaining: int
    per_customer_limit: int
    segment_id: int | None
    code_source: str
    starts_at: datetime
    ends_at: datetime | None
    status: str


class ClaimIn(BaseModel):
    customer_id: Int64


class ClaimOut(BaseModel):
    claim_id: str
    code: str
    link: str | None
    campaign_id: int
    customer_id: int
    sequence: int = Field(description="This customer's n-th coupon from the campaign")
    claimed_at: datetime
    persisted: bool = Field(description="False in server mode until the stream is persisted")


class StoredClaimOut(BaseModel):
    claim_id: str
    code: str
    link: str | None
    campaign_id: int
    customer_id: int
    sequence: int
    source: str
    claimed_at: datetime
    valid_from: datetime
    valid_until: datetime | None


class IssueIn(BaseModel):
    customer_ids: list[Int64] = Field(default_factory=list, max_length=10_000)
    segment_id: Int64 | None = None


class IssueOut(BaseModel):
    issued: list[ClaimOut]
    refused: dict[str, int]


class CodesIn(BaseModel):
    codes: list[str] = Field(
        min_length=1, max_length=200_000, description="One code per item; `code,link` or a link"
    )


class RejectedCode(BaseModel):
    line: Int64
    value: str
    reason: str


class CodesOut(BaseModel):
    added: int
    duplicates: int
    rejected: list[RejectedCode]
    quantity: int


class RedemptionIn(BaseModel):
    order_id: Int64 | None = None


class RedemptionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    campaign_id: int
    order_id: int | None
    method: str
    order_amount_fen: int
    redeemed_at: datetime


class MatchIn(BaseModel):
    campaign_id: Int64 | None = None


class MatchOut(BaseModel):
    code: int
    rule: int


class ReportOut(BaseModel):
    claimed: int
    customers: int
    used: int
    gmv_fen: int
    cost_fen: int
    conversion: float
