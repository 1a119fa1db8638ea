"""Tables of the coupons domain.

A template says what a coupon is worth and where it applies; a campaign hands a quantity of them
out through one channel. Every claim takes a *slot* (1..quantity) — the stock position its
decrement returned — so (campaign, slot) is unique and a claim can be persisted twice (from a
Redis stream, after a crash) without being counted twice. (campaign, customer, sequence) is the
backstop for the per-customer limit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db import Base, BigId, JsonDoc, created_at_column, id_column
from siyu.kit.i18n import N_

TEMPLATE_KINDS = ("threshold", "fixed", "percent", "no_threshold")
KIND_LABELS = {
    "threshold": N_("Threshold discount"),
    "fixed": N_("Fixed amount"),
    "percent": N_("Percentage off"),
    "no_threshold": N_("No threshold"),
}
CHANNELS = ("grab", "share", "post_live", "manual", "points")
CHANNEL_LABELS = {
    "grab": N_("Everyone grabs"),
    "share": N_("Share to claim"),
    "post_live": N_("After the live"),
    "manual": N_("Issued by an operator"),
    "points": N_("Points mall"),
}
STATUS_LABELS = {
    "scheduled": N_("Scheduled"),
    "running": N_("Running"),
    "sold_out": N_("Sold out"),
    "ended": N_("Ended"),
}
CLAIM_SOURCES = ("fan", "api", "operator", "points")
REDEMPTION_METHODS = ("code", "rule", "operator")


class CouponTemplate(Base):
    __tablename__ = "coupon_templates"
    __table_args__ = (
        Index(None, "workspace_id", "id"),
        CheckConstraint(
            "kind IN ('threshold','fixed','percent','no_threshold')", name="kind_known"
        ),
        CheckConstraint("face_value_fen >= 0 AND cost_fen >= 0", name="money_non_negative"),
        CheckConstraint("percent IS NULL OR (percent > 0 AND percent < 100)", name="percent_range"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    threshold_fen: Mapped[int] = mapped_column(default=0)
    discount_fen: Mapped[int] = mapped_column(default=0)
    percent: Mapped[int | None]  # percent off, 1..99
    cap_fen: Mapped[int | None]  # the most a percentage coupon takes off
    valid_days: Mapped[int | None]  # valid N days from the claim ...
    valid_from: Mapped[datetime | None]  # ... or within a fixed range
    valid_to: Mapped[datetime | None]
    platforms: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    shops: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    products: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    face_value_fen: Mapped[int] = mapped_column(default=0)
    cost_fen: Mapped[int] = mapped_column(default=0)
    how_to_use: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = created_at_column()


class CouponCampaign(Base):
    __tablename__ = "coupon_campaigns"
    __table_args__ = (
        Index(None, "workspace_id", "id"),
        CheckConstraint("remaining >= 0 AND remaining <= quantity", name="remaining_in_stock"),
        CheckConstraint("per_customer_limit >= 1", name="limit_positive"),
        CheckConstraint(
            "channel IN ('grab','share','post_live','manual','points')", name="channel_known"
        ),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    template_id: Mapped[int] = mapped_column(BigId, ForeignKey("coupon_templates.id"))
    name: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[int]
    remaining: Mapped[int]
    per_customer_limit: Mapped[int] = mapped_column(default=1)
    segment_id: Mapped[int | None] = mapped_column(BigId)
    uses_pool: Mapped[bool] = mapped_column(default=False)  # codes come from the imported pool
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at_column()


class CouponCode(Base):
    """One code (or link) of an imported pool, reserved to a campaign slot: the pool is the
    stock, and a claim's slot says which code it gets without a second race."""

    __tablename__ = "coupon_codes"
    __table_args__ = (
        UniqueConstraint("workspace_id", "campaign_id", "code"),
        UniqueConstraint("campaign_id", "slot"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    campaign_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("coupon_campaigns.id", ondelete="CASCADE")
    )
    slot: Mapped[int]
    code: Mapped[str] = mapped_column(String(200))
    link: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = created_at_column()


class CouponClaim(Base):
    __tablename__ = "coupon_claims"
    __table_args__ = (
        UniqueConstraint("campaign_id", "slot"),
        UniqueConstraint("campaign_id", "customer_id", "sequence"),
        Index(None, "workspace_id", "customer_id", "claimed_at"),
        Index(None, "workspace_id", "campaign_id", "id"),
        CheckConstraint("slot >= 1 AND sequence >= 1", name="positions_positive"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    campaign_id: Mapped[int] = mapped_column(BigId, ForeignKey("coupon_campaigns.id"))
    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id"))
    slot: Mapped[int]
    sequence: Mapped[int]  # this customer's n-th claim in the campaign
    code: Mapped[str] = mapped_column(String(200))
    link: Mapped[str | None] = mapped_column(String(500))
    source: Mapped[str] = mapped_column(String(16), default="fan")
    claimed_at: Mapped[datetime]
    valid_from: Mapped[datetime]
    valid_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at_column()

    @property
    def public_id(self) -> str:
        return claim_public_id(self.campaign_id, self.slot)


def claim_public_id(campaign_id: int, slot: int) -> str:
    """The claim id callers see: known the moment stock is taken, in either engine."""
    return f"{campaign_id}-{slot}"


class CouponShare(Base):
    """A fan's tracked share link for a share-to-claim campaign."""

    __tablename__ = "coupon_shares"
    __table_args__ = (
        UniqueConstraint("campaign_id", "customer_id"),
        UniqueConstraint("token"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    campaign_id: Mapped[int] = mapped_column(BigId, ForeignKey("coupon_campaigns.id"))
    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id"))
    token: Mapped[str] = mapped_column(String(32))
    visits: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = created_at_column()


class CouponRedemption(Base):
    """A claimed coupon marked used: by its code on an imported order, by the template's rule,
    or confirmed by an operator."""

    __tablename__ = "coupon_redemptions"
    __table_args__ = (
        UniqueConstraint("claim_id"),
        Index(None, "workspace_id", "campaign_id"),
        CheckConstraint("method IN ('code','rule','operator')", name="method_known"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    campaign_id: Mapped[int] = mapped_column(BigId, ForeignKey("coupon_campaigns.id"))
    claim_id: Mapped[int] = mapped_column(BigId, ForeignKey("coupon_claims.id"))
    order_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("orders.id"))
    method: Mapped[str] = mapped_column(String(16))
    order_amount_fen: Mapped[int] = mapped_column(default=0)
    redeemed_at: Mapped[datetime]
    operator_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("operators.id"))
    created_at: Mapped[datetime] = created_at_column()
