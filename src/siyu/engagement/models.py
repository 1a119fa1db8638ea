"""Tables of the engagement domain: check-in camps (打卡) on a fan group, the task of each day,
fans' check-ins and completions.

One check-in per fan per camp day and one completion (with its reward) per fan per camp are
unique keys: a double tap or a rerun of the completion job changes nothing.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db import Base, BigId, created_at_column, id_column
from siyu.kit.i18n import N_

RULES = ("consecutive", "cumulative")
RULE_LABELS = {
    "consecutive": N_("Consecutive days"),
    "cumulative": N_("Days in total"),
}
REWARD_KINDS = ("points", "coupon")
MAX_CAMP_DAYS = 60
MAX_PHOTO_BYTES = 2 * 1024 * 1024
PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp")


class Camp(Base):
    """An N-day camp run on one fan group, from ``starts_on`` (a business day of the workspace)."""

    __tablename__ = "engagement_camps"
    __table_args__ = (
        CheckConstraint("days >= 1 AND days <= 60", name="days_range"),
        CheckConstraint("required_days >= 1 AND required_days <= days", name="required_days_range"),
        CheckConstraint("rule IN ('consecutive', 'cumulative')", name="rule_known"),
        CheckConstraint("reward_kind IN ('points', 'coupon')", name="reward_kind_known"),
        CheckConstraint("reward_points >= 0", name="reward_points_non_negative"),
        Index(None, "workspace_id", "starts_on"),
        Index(None, "workspace_id", "group_id"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    group_id: Mapped[int] = mapped_column(BigId, ForeignKey("community_groups.id"))
    title: Mapped[str] = mapped_column(String(100))
    days: Mapped[int]
    starts_on: Mapped[date] = mapped_column(Date)
    rule: Mapped[str] = mapped_column(String(16), default="consecutive")
    required_days: Mapped[int]
    reward_kind: Mapped[str] = mapped_column(String(8), default="points")
    reward_points: Mapped[int] = mapped_column(default=0)
    coupon_campaign_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("coupon_campaigns.id"))
    created_at: Mapped[datetime] = created_at_column()


class CampTask(Base):
    """The task of one camp day: the camp's playbook, authored day by day."""

    __tablename__ = "engagement_camp_tasks"
    __table_args__ = (
        UniqueConstraint("camp_id", "day"),
        CheckConstraint("day >= 1", name="day_positive"),
        Index(None, "workspace_id", "camp_id"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    camp_id: Mapped[int] = mapped_column(BigId, ForeignKey("engagement_camps.id"))
    day: Mapped[int]
    text: Mapped[str] = mapped_column(Text)


class CheckIn(Base):
    """A fan did the day's task: a few words, a photo, or both."""

    __tablename__ = "engagement_checkins"
    __table_args__ = (
        UniqueConstraint("camp_id", "customer_id", "day"),
        CheckConstraint("day >= 1", name="day_positive"),
        CheckConstraint("note IS NOT NULL OR photo IS NOT NULL", name="note_or_photo"),
        Index(None, "workspace_id", "camp_id", "customer_id"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    camp_id: Mapped[int] = mapped_column(BigId, ForeignKey("engagement_camps.id"))
    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id"))
    day: Mapped[int]
    note: Mapped[str | None] = mapped_column(Text)
    photo: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    photo_type: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = created_at_column()


class CampCompletion(Base):
    """A fan met the camp's rule; the reward was given with it, once."""

    __tablename__ = "engagement_completions"
    __table_args__ = (
        UniqueConstraint("camp_id", "customer_id"),
        CheckConstraint("points >= 0", name="points_non_negative"),
        Index(None, "workspace_id", "camp_id"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    camp_id: Mapped[int] = mapped_column(BigId, ForeignKey("engagement_camps.id"))
    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id"))
    points: Mapped[int] = mapped_column(default=0)
    coupon_claim_id: Mapped[str | None] = mapped_column(String(32))
    completed_at: Mapped[datetime] = created_at_column()
