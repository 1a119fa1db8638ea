"""API shapes of the loyalty domain."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from siyu.kit.bounds import INT32_MAX, INT32_MIN, Int64
from siyu.kit.patches import PatchBody
from siyu.loyalty.shipping import PHONE, ShippingAddress, normalise_phone

Shelf = Literal["aspirational", "essentials", "seasonal"]
PlatformName = Literal["taobao", "douyin", "kuaishou", "youzan", "xiaohongshu", "generic"]


class ConversionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: Int64
    platform: PlatformName
    order_no: str = Field(min_length=1, max_length=64)


class ConversionOut(BaseModel):
    id: int
    points: int = Field(description="Points credited now (a completed order).")
    pending_points: int = Field(description="Points that vest when the order completes.")
    balance: int = Field(description="The fan's spendable balance after the conversion.")


class PointsOut(BaseModel):
    customer_id: int
    balance: int
    pending: int
    debt: int = Field(description="Points clawed back after being spent; settled from earnings.")
    expiring_soon: int
    expiring_soon_until: datetime
    next_expiry: datetime | None
    tier_code: str | None
    tier_name: str | None
    auto_convert: bool


class PointsSettingsBody(BaseModel):
    """The workspace's points settings; on PUT a field left out takes its default."""

    model_config = ConfigDict(extra="forbid")

    points_per_yuan: int = Field(default=1, ge=0, le=10_000)
    expiry_months: int = Field(default=12, ge=1, le=120)
    vesting_days: int = Field(default=15, ge=0, le=365)
    expiring_soon_days: int = Field(default=30, ge=1, le=365)
    gift_approval_threshold_fen: int = Field(default=5000, ge=0, le=10**12)
    default_gift_budget_fen: int = Field(default=50000, ge=0, le=10**12)


class AutoConvertIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool


class EntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    customer_id: int
    kind: str
    points: int
    debt_delta: int
    reason: str
    actor_kind: str
    actor_id: int | None
    conversion_id: int | None
    redemption_id: int | None
    created_at: datetime


class AdjustmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: Int64
    points: int = Field(
        description="Positive to give, negative to take; never zero.", le=INT32_MAX, ge=INT32_MIN
    )
    reason: str = Field(min_length=1, max_length=200)
    idempotency_key: str = Field(min_length=1, max_length=100)


class ItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    shelf: Shelf
    points_price: int = Field(gt=0, le=100_000_000)
    stock: int = Field(ge=0, le=10_000_000)
    cash_price_fen: int | None = Field(default=None, ge=0, le=INT32_MAX)
    cost_fen: int = Field(
        default=0, ge=0, description="What one unit costs the team (reports).", le=INT32_MAX
    )
    per_customer_limit: int | None = Field(default=None, gt=0, le=INT32_MAX)
    min_tier_code: str | None = Field(default=None, max_length=32)
    segment_id: Int64 | None = None
    available_from: AwareDatetime | None = None
    available_until: AwareDatetime | None = None
    image_url: str | None = Field(default=None, max_length=500)
    description: str | None = Field(default=None, max_length=5000)
    virtual: bool = Field(default=False, description="Delivered without a shipping address.")
    coupon_template_id: int | None = Field(
        default=None, description="Redeeming issues this coupon to the fan (virtual, not shipped)."
    )
    active: bool = True


class ItemPatch(PatchBody):
    clearable = frozenset(
        {
            "cash_price_fen",
            "per_customer_limit",
            "min_tier_code",
            "available_from",
            "available_until",
            "image_url",
            "description",
        }
    )
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=100)
    shelf: Shelf | None = None
    points_price: int | None = Field(default=None, gt=0, le=100_000_000)
    stock_delta: int | None = Field(
        default=None,
        description="Add (or, negative, remove) stock; never below zero.",
        le=INT32_MAX,
        ge=INT32_MIN,
    )
    cash_price_fen: int | None = Field(default=None, ge=0, le=INT32_MAX)
    cost_fen: int | None = Field(default=None, ge=0, le=INT32_MAX)
    per_customer_limit: int | None = Field(default=None, gt=0, le=INT32_MAX)
    min_tier_code: str | None = Field(default=None, max_length=32)
    available_from: AwareDatetime | None = None
    available_until: AwareDatetime | None = None
    image_url: str | None = Field(default=None, max_length=500)
    description: str | None = Field(default=None, max_length=5000)
    coupon_template_id: int | None = None
    active: bool | None = None


class ItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    shelf: str
    points_price: int
    cash_price_fen: int | None
    cost_fen: int
    stock: int
    per_customer_limit: int | None
    min_tier_code: str | None
    segment_id: int | None
    available_from: datetime | None
    available_until: datetime | None
    image_url: str | None
    description: str | None
    virtual: bool
    coupon_template_id: int | None
    active: bool


class ShippingAddressIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=50, description="The recipient.")
    phone: str = Field(min_length=7, max_length=20, description="The recipient's phone.")
    address: str = Field(min_length=1, max_length=200, description="Street and number.")
    province: str | None = Field(default=None, max_length=32)
    city: str | None = Field(default=None, max_length=32)
    district: str | None = Field(default=None, max_length=32)

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        phone = normalise_phone(value)
        if not PHONE.match(phone):
            raise ValueError("not a phone number")
        return phone

    @field_validator("name", "address", "province", "city", "district")
    @classmethod
    def _stripped(cls, value: str | None) -> str | None:
        return value.strip() if value is not None else None

    def as_address(self) -> ShippingAddress:
        return ShippingAddress(**self.model_dump())


class RedemptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: Int64
    item_id: Int64
    quantity: int = Field(default=1, ge=1, le=100)
    idempotency_key: str = Field(min_length=1, max_length=100)
    address: Annotated[str, StringConstraints(max_length=300)] | ShippingAddressIn | None = Field(
        default=None,
        description="Where the gift ships: a recipient (name, phone, address and optional"
        " province, city, district) or, as before, one text. Stored encrypted.",
    )


class RedemptionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    customer_id: int
    item_id: int
    quantity: int
    points: int
    state: str
    has_address: bool
    carrier: str | None
    tracking_no: str | None
    cancel_reason: str | None
    gift_id: int | None
    created_at: datetime
    shipped_at: datetime | None
    delivered_at: datetime | None
    cancelled_at: datetime | None


class ShipIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    carrier: str = Field(min_length=1, max_length=50)
    tracking_no: str = Field(min_length=1, max_length=64)


class CancelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(default="", max_length=200)


TierCode = Field(min_length=1, max_length=32, pattern=r"^[a-z0-9_-]+$")


class TierIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = TierCode
    name: str = Field(min_length=1, max_length=50)
    rank: int = Field(ge=0, le=1000, description="Higher rank, higher tier.")
    min_points_12m: int = Field(
        default=0, ge=0, description="Points earned in 12 months.", le=INT32_MAX
    )
    min_spend_fen_12m: int | None = Field(
        default=None,
        ge=0,
        description="Or: net paid fen in 12 months (either floor suffices).",
        le=INT32_MAX,
    )
    multiplier_permille: int = Field(default=1000, gt=0, le=100_000)
    benefits: str | None = Field(default=None, max_length=2000)


class TierPatch(PatchBody):
    clearable = frozenset({"min_spend_fen_12m", "benefits"})
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=50)
    rank: int | None = Field(default=None, ge=0, le=1000)
    min_points_12m: int | None = Field(default=None, ge=0, le=INT32_MAX)
    min_spend_fen_12m: int | None = Field(default=None, ge=0, le=INT32_MAX)
    multiplier_permille: int | None = Field(default=None, gt=0, le=100_000)
    benefits: str | None = Field(default=None, max_length=2000)


class TierOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    rank: int
    min_points_12m: int
    min_spend_fen_12m: int | None
    multiplier_permille: int
    benefits: str | None


class EarnRuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    multiplier_permille: int = Field(gt=0, le=100_000, description="2000 = double points.")
    platform: PlatformName | None = None
    segment_id: Int64 | None = None
    starts_at: AwareDatetime | None = Field(default=None, description="Payment time window.")
    ends_at: AwareDatetime | None = None


class EarnRulePatch(PatchBody):
    clearable = frozenset({"platform", "segment_id", "starts_at", "ends_at"})
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=100)
    multiplier_permille: int | None = Field(default=None, gt=0, le=100_000)
    platform: PlatformName | None = None
    segment_id: Int64 | None = None
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    active: bool | None = None


class EarnRuleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    multiplier_permille: int
    platform: str | None
    segment_id: int | None
    starts_at: datetime | None
    ends_at: datetime | None
    active: bool


class GiftIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    operator_id: int = Field(
        description="The operator sending it: their budget and approval.",
        le=INT32_MAX,
        ge=INT32_MIN,
    )
    customer_id: Int64
    item_id: int | None = Field(
        default=None,
        description="A mall item; omit for an ad-hoc gift.",
        le=INT32_MAX,
        ge=INT32_MIN,
    )
    description: str = Field(default="", max_length=200, description="What, for an ad-hoc gift.")
    cost_fen: int | None = Field(
        default=None, ge=0, description="Default: the item's unit cost.", le=INT32_MAX
    )
    reason: str = Field(min_length=1, max_length=200)
    address: str | None = Field(default=None, max_length=300)


class GiftDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    admin_id: int = Field(
        description="The admin deciding (an admin of the workspace).", le=INT32_MAX, ge=INT32_MIN
    )


class GiftOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    operator_id: int
    customer_id: int
    item_id: int | None
    description: str
    reason: str
    cost_fen: int
    month: str
    state: str
    decided_by: int | None
    decided_at: datetime | None
    redemption_id: int | None
    created_at: datetime


class GiftBudgetOut(BaseModel):
    operator_id: int
    month: str
    budget_fen: int
    spent_fen: int = Field(description="Gifts this month, approved or awaiting approval.")
    left_fen: int
    approval_threshold_fen: int = Field(description="Gifts above this wait for an admin.")
