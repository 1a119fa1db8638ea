"""Tables of the loyalty domain.

The ledger (``points_entries``) is append-only and is the truth; ``points_accounts`` caches each
fan's spendable balance, pending points and debt, and ``points_lots`` splits the balance into
parcels with an expiry so the soonest-expiring points are spent first. Three invariants tie them
together (checked by ``service.check_invariants``): balance = Σ entries.points = Σ lots.remaining
and debt = Σ entries.debt_delta.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db import Base, BigId, created_at_column, id_column

ENTRY_KINDS = ("earn", "redeem", "expire", "adjust", "clawback", "redemption_refund")
ACTOR_KINDS = ("fan", "operator", "token", "system")
SHELVES = ("aspirational", "essentials", "seasonal")
REDEMPTION_STATES = ("pending", "shipped", "delivered", "cancelled")
CONVERSION_STATES = ("pending", "vested", "cancelled")
GIFT_STATES = ("pending_approval", "approved", "rejected")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({','.join(repr(v) for v in values)})"


class PointsAccount(Base):
    """One fan's cached position; every change goes through a conditional UPDATE of this row."""

    __tablename__ = "points_accounts"
    __table_args__ = (
        UniqueConstraint("workspace_id", "customer_id"),
        CheckConstraint("balance >= 0", name="balance_non_negative"),
        CheckConstraint("pending >= 0", name="pending_non_negative"),
        CheckConstraint("debt >= 0", name="debt_non_negative"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id"))
    balance: Mapped[int] = mapped_column(default=0)
    pending: Mapped[int] = mapped_column(default=0)
    debt: Mapped[int] = mapped_column(default=0)
    tier_code: Mapped[str | None] = mapped_column(String(32))
    auto_convert: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()


class PointsEntry(Base):
    """One ledger line. ``points`` moves the spendable balance, ``debt_delta`` the debt."""

    __tablename__ = "points_entries"
    __table_args__ = (
        UniqueConstraint("workspace_id", "idempotency_key"),
        Index(None, "workspace_id", "customer_id", "id"),
        Index(None, "workspace_id", "kind", "created_at"),
        CheckConstraint(_in("kind", ENTRY_KINDS), name="kind_known"),
        CheckConstraint(_in("actor_kind", ACTOR_KINDS), name="actor_known"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id"))
    kind: Mapped[str] = mapped_column(String(24))
    points: Mapped[int]
    debt_delta: Mapped[int] = mapped_column(default=0)
    reason: Mapped[str] = mapped_column(String(200))
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(BigId)
    idempotency_key: Mapped[str | None] = mapped_column(String(128))
    payload_hash: Mapped[str | None] = mapped_column(String(64))
    conversion_id: Mapped[int | None] = mapped_column(BigId)
    redemption_id: Mapped[int | None] = mapped_column(BigId)
    created_at: Mapped[datetime] = created_at_column()


class PointsLot(Base):
    """A parcel of earned points with its expiry; spending takes from the soonest first."""

    __tablename__ = "points_lots"
    __table_args__ = (
        Index(None, "workspace_id", "customer_id", "expires_at"),
        Index(None, "workspace_id", "expires_at"),
        CheckConstraint("remaining >= 0", name="remaining_non_negative"),
        CheckConstraint("remaining <= points", name="remaining_within_points"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id"))
    entry_id: Mapped[int] = mapped_column(BigId, ForeignKey("points_entries.id"))
    points: Mapped[int]
    remaining: Mapped[int]
    earned_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class PointsConversion(Base):
    """One order turned into points: the unique key makes each order convert once."""

    __tablename__ = "points_conversions"
    __table_args__ = (
        UniqueConstraint("workspace_id", "platform", "order_no"),
        Index(None, "workspace_id", "customer_id", "id"),
        Index(None, "workspace_id", "state", "vests_at"),
        CheckConstraint(_in("state", CONVERSION_STATES), name="state_known"),
        CheckConstraint("points >= 0", name="points_non_negative"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id"))
    order_id: Mapped[int] = mapped_column(BigId, ForeignKey("orders.id"))
    platform: Mapped[str] = mapped_column(String(16))
    order_no: Mapped[str] = mapped_column(String(64))
    net_paid_fen: Mapped[int]
    multiplier_permille: Mapped[int] = mapped_column(default=1000)
    points: Mapped[int]  # what the order is worth now (reduced by refunds)
    clawed_back: Mapped[int] = mapped_column(default=0)
    state: Mapped[str] = mapped_column(String(16))
    vests_at: Mapped[datetime | None]
    vested_at: Mapped[datetime | None]
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(BigId)
    created_at: Mapped[datetime] = created_at_column()


class PointsTier(Base):
    __tablename__ = "points_tiers"
    __table_args__ = (
        UniqueConstraint("workspace_id", "code"),
        CheckConstraint("multiplier_permille > 0", name="multiplier_positive"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(50))
    rank: Mapped[int]
    min_points_12m: Mapped[int] = mapped_column(default=0)
    min_spend_fen_12m: Mapped[int | None]
    multiplier_permille: Mapped[int] = mapped_column(default=1000)
    benefits: Mapped[str | None] = mapped_column(Text)


class TierChange(Base):
    __tablename__ = "points_tier_changes"
    __table_args__ = (Index(None, "workspace_id", "customer_id", "id"),)

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id"))
    from_tier: Mapped[str | None] = mapped_column(String(32))
    to_tier: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = created_at_column()


class EarnRule(Base):
    """A multiplier on earning: by platform, during a campaign window, or for a segment."""

    __tablename__ = "points_earn_rules"
    __table_args__ = (
        Index(None, "workspace_id", "active"),
        CheckConstraint("multiplier_permille > 0", name="multiplier_positive"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    name: Mapped[str] = mapped_column(String(100))
    multiplier_permille: Mapped[int]
    platform: Mapped[str | None] = mapped_column(String(16))
    segment_id: Mapped[int | None] = mapped_column(BigId)
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = created_at_column()


class MallItem(Base):
    __tablename__ = "mall_items"
    __table_args__ = (
        Index(None, "workspace_id", "shelf", "active"),
        CheckConstraint(_in("shelf", SHELVES), name="shelf_known"),
        CheckConstraint("stock >= 0", name="stock_non_negative"),
        CheckConstraint("points_price > 0", name="points_price_positive"),
        CheckConstraint("cash_price_fen IS NULL OR cash_price_fen >= 0", name="cash_non_negative"),
        CheckConstraint("cost_fen >= 0", name="cost_non_negative"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    name: Mapped[str] = mapped_column(String(100))
    shelf: Mapped[str] = mapped_column(String(16))
    points_price: Mapped[int]
    cash_price_fen: Mapped[int | None]
    cost_fen: Mapped[int] = mapped_column(default=0)  # what one unit costs the team
    stock: Mapped[int]
    per_customer_limit: Mapped[int | None]
    min_tier_code: Mapped[str | None] = mapped_column(String(32))
    segment_id: Mapped[int | None] = mapped_column(BigId)
    available_from: Mapped[datetime | None]
    available_until: Mapped[datetime | None]
    image_url: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    virtual: Mapped[bool] = mapped_column(default=False)
    # Redeeming issues this coupon to the fan (a claimed coupon, nothing to ship).
    coupon_template_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("coupon_templates.id"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()


class Redemption(Base):
    __tablename__ = "mall_redemptions"
    __table_args__ = (
        UniqueConstraint("workspace_id", "idempotency_key"),
        Index(None, "workspace_id", "state", "id"),
        Index(None, "workspace_id", "customer_id", "item_id"),
        CheckConstraint(_in("state", REDEMPTION_STATES), name="state_known"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("points >= 0", name="points_non_negative"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id"))
    item_id: Mapped[int] = mapped_column(BigId, ForeignKey("mall_items.id"))
    quantity: Mapped[int]
    points: Mapped[int]
    state: Mapped[str] = mapped_column(String(16), default="pending")
    idempotency_key: Mapped[str] = mapped_column(String(128))
    payload_hash: Mapped[str] = mapped_column(String(64))
    address_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    address_masked: Mapped[str | None] = mapped_column(String(200))
    lots_used: Mapped[dict[str, Any]] = mapped_column(default=dict)  # lot id → points taken
    gift_id: Mapped[int | None] = mapped_column(BigId)
    carrier: Mapped[str | None] = mapped_column(String(50))
    tracking_no: Mapped[str | None] = mapped_column(String(64))
    cancel_reason: Mapped[str | None] = mapped_column(String(200))
    shipped_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()


class GiftBudget(Base):
    """An operator's monthly gift budget (fen); operators without a row use the default."""

    __tablename__ = "gift_budgets"
    __table_args__ = (
        UniqueConstraint("workspace_id", "operator_id"),
        CheckConstraint("monthly_budget_fen >= 0", name="budget_non_negative"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    operator_id: Mapped[int] = mapped_column(BigId, ForeignKey("operators.id"))
    monthly_budget_fen: Mapped[int]


class OperatorGift(Base):
    """A gift an operator sends a fan: a mall item or something ad hoc (a milk tea)."""

    __tablename__ = "operator_gifts"
    __table_args__ = (
        Index(None, "workspace_id", "operator_id", "month"),
        Index(None, "workspace_id", "state", "id"),
        CheckConstraint(_in("state", GIFT_STATES), name="state_known"),
        CheckConstraint("cost_fen >= 0", name="cost_non_negative"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    operator_id: Mapped[int] = mapped_column(BigId, ForeignKey("operators.id"))
    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id"))
    item_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("mall_items.id"))
    description: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(200))
    cost_fen: Mapped[int]
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM in the workspace's time zone
    state: Mapped[str] = mapped_column(String(20))
    decided_by: Mapped[int | None] = mapped_column(BigId, ForeignKey("operators.id"))
    decided_at: Mapped[datetime | None]
    redemption_id: Mapped[int | None] = mapped_column(BigId)
    address_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = created_at_column()
