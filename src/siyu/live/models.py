"""Tables of the live domain.

A live is a campaign around one broadcast: fans reserve it, share it through a personal link,
and the visitors those links bring become *effective invites* when they reserve, turn into fans
or order in the live's window. One invitee credits one sharer only (the first link they came
by), which the unique (live, invitee) constraint keeps under any concurrency; the leaderboard is
the count of a sharer's invites, ties broken by the invite that reached the count first.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db import Base, BigId, JsonDoc, created_at_column, id_column
from siyu.kit.i18n import N_

PLATFORMS = ("taobao", "douyin", "kuaishou", "xiaohongshu", "channels")
PLATFORM_LABELS = {
    "taobao": N_("Taobao"),
    "douyin": N_("Douyin"),
    "kuaishou": N_("Kuaishou"),
    "xiaohongshu": N_("Xiaohongshu"),
    "channels": N_("WeChat Channels"),
}
PHASE_LABELS = {"upcoming": N_("Upcoming"), "on_air": N_("On air"), "ended": N_("Ended")}
INVITE_KINDS = ("reserved", "new_fan", "ordered")
INVITE_LABELS = {
    "reserved": N_("Reserved"),
    "new_fan": N_("Became a fan"),
    "ordered": N_("Ordered in the live"),
}
POOLS = ("reservers", "sharers", "buyers", "segment")
POOL_LABELS = {
    "reservers": N_("Fans who reserved"),
    "sharers": N_("Sharers with an effective invite"),
    "buyers": N_("Buyers in the live"),
    "segment": N_("A segment"),
}
PRIZE_BASES = ("rank", "draw", "shares")
PRIZE_LABELS = {
    "rank": N_("Top of the leaderboard (effective invites)"),
    "draw": N_("A draw"),
    "shares": N_("Every fan who shares"),
}


class Live(Base):
    __tablename__ = "lives"
    __table_args__ = (
        Index(None, "workspace_id", "starts_at"),
        CheckConstraint("ends_at > starts_at", name="window_ordered"),
        CheckConstraint(
            "platform IN ('taobao','douyin','kuaishou','xiaohongshu','channels')",
            name="platform_known",
        ),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    title: Mapped[str] = mapped_column(String(100))
    platform: Mapped[str] = mapped_column(String(16))
    room_url: Mapped[str | None] = mapped_column(String(500))
    streamer_id: Mapped[str | None] = mapped_column(String(64))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    products: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    coupon_campaign_ids: Mapped[list[int]] = mapped_column(JsonDoc, default=list)
    created_at: Mapped[datetime] = created_at_column()


class LiveSettings(Base):
    """A workspace's rules for its lives: how long after the end an order still counts."""

    __tablename__ = "live_settings"
    __table_args__ = (
        CheckConstraint("grace_minutes >= 0 AND grace_minutes <= 4320", name="grace_range"),
    )

    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"), primary_key=True)
    grace_minutes: Mapped[int] = mapped_column(default=30)


class LiveReservation(Base):
    __tablename__ = "live_reservations"
    __table_args__ = (
        UniqueConstraint("live_id", "customer_id"),
        Index(None, "workspace_id", "live_id", "id"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    live_id: Mapped[int] = mapped_column(BigId, ForeignKey("lives.id"))
    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id"))
    share_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("live_shares.id"))
    wishlist: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    created_at: Mapped[datetime] = created_at_column()


class LiveShare(Base):
    """A fan's personal link for a live: one per fan and live."""

    __tablename__ = "live_shares"
    __table_args__ = (
        UniqueConstraint("live_id", "customer_id"),
        UniqueConstraint("code"),
        Index(None, "workspace_id", "live_id"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    live_id: Mapped[int] = mapped_column(BigId, ForeignKey("lives.id"))
    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id"))
    code: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = created_at_column()


class LiveVisit(Base):
    """One visitor (a browser's cookie) who opened one share link, recorded once."""

    __tablename__ = "live_visits"
    __table_args__ = (
        UniqueConstraint("share_id", "visitor"),
        Index(None, "workspace_id", "live_id", "visitor"),
        Index(None, "workspace_id", "live_id", "customer_id"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    live_id: Mapped[int] = mapped_column(BigId, ForeignKey("lives.id"))
    share_id: Mapped[int] = mapped_column(BigId, ForeignKey("live_shares.id"))
    visitor: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("customers.id"))
    visited_at: Mapped[datetime] = created_at_column()


class LiveInvite(Base):
    """An effective invite: the invitee reserved, became a fan or ordered after coming by the
    sharer's link. Once per invitee and live."""

    __tablename__ = "live_invites"
    __table_args__ = (
        UniqueConstraint("live_id", "invitee_id"),
        Index(None, "workspace_id", "live_id", "sharer_id", "id"),
        CheckConstraint("invitee_id <> sharer_id", name="not_self"),
        CheckConstraint("kind IN ('reserved','new_fan','ordered')", name="kind_known"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    live_id: Mapped[int] = mapped_column(BigId, ForeignKey("lives.id"))
    share_id: Mapped[int] = mapped_column(BigId, ForeignKey("live_shares.id"))
    sharer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id"))
    invitee_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id"))
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = created_at_column()


class LivePrize(Base):
    """What a live gives away and on what basis; ``shares`` is kept only to be warned about."""

    __tablename__ = "live_prizes"
    __table_args__ = (
        Index(None, "workspace_id", "live_id"),
        CheckConstraint("basis IN ('rank','draw','shares')", name="basis_known"),
        CheckConstraint("top_n IS NULL OR top_n >= 1", name="top_positive"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    live_id: Mapped[int] = mapped_column(BigId, ForeignKey("lives.id"))
    name: Mapped[str] = mapped_column(String(100))
    basis: Mapped[str] = mapped_column(String(16))
    top_n: Mapped[int | None]
    created_at: Mapped[datetime] = created_at_column()


class LiveDraw(Base):
    """A fair draw: the commitment is published at creation, the seed when it is run."""

    __tablename__ = "live_draws"
    __table_args__ = (
        Index(None, "workspace_id", "live_id"),
        CheckConstraint("winners_wanted >= 1 AND winners_wanted <= 1000", name="winners_range"),
        CheckConstraint("pool IN ('reservers','sharers','buyers','segment')", name="pool_known"),
        CheckConstraint("pool <> 'segment' OR segment_id IS NOT NULL", name="segment_named"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    live_id: Mapped[int] = mapped_column(BigId, ForeignKey("lives.id"))
    name: Mapped[str] = mapped_column(String(100))
    pool: Mapped[str] = mapped_column(String(16))
    segment_id: Mapped[int | None] = mapped_column(BigId)
    prize: Mapped[str | None] = mapped_column(String(100))
    winners_wanted: Mapped[int]
    seed_hex: Mapped[str] = mapped_column(String(64))  # secret until the draw runs
    commitment: Mapped[str] = mapped_column(String(64))
    pool_ids: Mapped[list[int] | None] = mapped_column(JsonDoc)  # frozen when run
    winner_ids: Mapped[list[int] | None] = mapped_column(JsonDoc)
    ran_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at_column()
