"""Tables of the referral domain: the workspace's rules, the referral tree, invite codes and the
rewards paid for invitees' first orders.

The depth cap is the store's: every fan in the tree has one row carrying its depth, and a row
that names an inviter must also name the inviter's depth, which a composite foreign key checks
against the inviter's own row. Depth is ``inviter's depth + 1`` and at most 2 (CHECKs), so no
insert, however raced, can make a third level. A fan is in the tree once (unique per workspace),
and a reward is paid once per invitee and level (unique).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db import Base, BigId, created_at_column, id_column
from siyu.kit.i18n import N_

MAX_STORE_DEPTH = 2  # two levels at most; a third is pyramid selling
REWARD_KINDS = ("points", "coupon")
REWARD_KIND_LABELS = {"points": N_("Points"), "coupon": N_("Coupon")}
SOURCES = ("link", "api", "console", "demo")
SOURCE_LABELS = {
    "link": N_("Invite link"),
    "api": N_("API"),
    "console": N_("Console"),
    "demo": N_("Demo data"),
}
DEFAULT_WINDOW_DAYS = 7
MAX_WINDOW_DAYS = 90


class ReferralSettings(Base):
    """How deep referrals go in this workspace, how long a first touch counts, and the reward."""

    __tablename__ = "referral_settings"
    __table_args__ = (
        CheckConstraint("max_depth IN (1, 2)", name="max_depth_one_or_two"),
        CheckConstraint("window_days >= 1 AND window_days <= 90", name="window_days_range"),
        CheckConstraint("reward_kind IN ('points', 'coupon')", name="reward_kind_known"),
        CheckConstraint(
            "reward_points >= 0 AND reward_points_level2 >= 0", name="reward_points_non_negative"
        ),
    )

    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"), primary_key=True)
    max_depth: Mapped[int] = mapped_column(default=1)
    window_days: Mapped[int] = mapped_column(default=DEFAULT_WINDOW_DAYS)
    reward_kind: Mapped[str] = mapped_column(String(8), default="points")
    reward_points: Mapped[int] = mapped_column(default=100)
    reward_points_level2: Mapped[int] = mapped_column(default=0)
    coupon_campaign_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("coupon_campaigns.id"))
    updated_at: Mapped[datetime] = created_at_column()


class Referral(Base):
    """One fan's place in the tree: a root (a fan who invited, never invited; depth 0) or an
    invitee with the inviter whose link first brought them (depth 1 or 2)."""

    __tablename__ = "referrals"
    __table_args__ = (
        UniqueConstraint("workspace_id", "customer_id"),
        # the target of the inviter's-depth key below
        UniqueConstraint("workspace_id", "customer_id", "depth"),
        ForeignKeyConstraint(
            ["workspace_id", "inviter_id", "inviter_depth"],
            ["referrals.workspace_id", "referrals.customer_id", "referrals.depth"],
            name="fk_referrals_inviter_depth",
        ),
        CheckConstraint("depth >= 0 AND depth <= 2", name="depth_at_most_two"),
        CheckConstraint(
            "(inviter_id IS NULL AND inviter_depth IS NULL AND depth = 0)"
            " OR (inviter_id IS NOT NULL AND inviter_depth IS NOT NULL"
            " AND depth = inviter_depth + 1)",
            name="depth_follows_inviter",
        ),
        CheckConstraint("inviter_id IS NULL OR inviter_id <> customer_id", name="not_self"),
        CheckConstraint("source IN ('link', 'api', 'console', 'demo')", name="source_known"),
        Index(None, "workspace_id", "inviter_id"),
        Index(None, "workspace_id", "created_at"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id"))
    inviter_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("customers.id"))
    inviter_depth: Mapped[int | None]
    depth: Mapped[int]
    source: Mapped[str] = mapped_column(String(8), default="api")
    touched_at: Mapped[datetime | None]  # the first visit through the inviter's link
    created_at: Mapped[datetime] = created_at_column()


class ReferralCode(Base):
    """A fan's personal invite code (``/r/{code}``), global so the link needs no workspace."""

    __tablename__ = "referral_codes"
    __table_args__ = (UniqueConstraint("code"), UniqueConstraint("workspace_id", "customer_id"))

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id"))
    code: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = created_at_column()


class ReferralReward(Base):
    """A reward paid to an inviter (level 1) or the inviter's inviter (level 2) when the invitee's
    own first paid order arrived: once per invitee and level."""

    __tablename__ = "referral_rewards"
    __table_args__ = (
        UniqueConstraint("workspace_id", "invitee_id", "level"),
        CheckConstraint("level IN (1, 2)", name="level_one_or_two"),
        CheckConstraint("points >= 0", name="points_non_negative"),
        CheckConstraint("kind IN ('points', 'coupon')", name="kind_known"),
        Index(None, "workspace_id", "beneficiary_id"),
        Index(None, "workspace_id", "created_at"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    invitee_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id"))
    beneficiary_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id"))
    level: Mapped[int]
    order_id: Mapped[int] = mapped_column(BigId, ForeignKey("orders.id"))
    order_paid_fen: Mapped[int]
    kind: Mapped[str] = mapped_column(String(8))
    points: Mapped[int] = mapped_column(default=0)
    coupon_claim_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = created_at_column()
