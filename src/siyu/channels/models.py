"""Tables of the public channels domain."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db import Base, BigId, JsonDoc, created_at_column, id_column

CONTENT_PLATFORMS = ("douyin", "kuaishou", "xiaohongshu", "bilibili", "weibo", "channels")
POST_KINDS = ("video", "note", "live_announcement", "group_entry")
_PLATFORM_CHECK = "platform IN ('douyin','kuaishou','xiaohongshu','bilibili','weibo','channels')"
_KIND_CHECK = "kind IN ('video','note','live_announcement','group_entry')"


class ContentAccount(Base):
    """A workspace's account on one public platform."""

    __tablename__ = "content_accounts"
    __table_args__ = (
        UniqueConstraint("workspace_id", "platform", "handle"),
        CheckConstraint(_PLATFORM_CHECK, name="platform_known"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    platform: Mapped[str] = mapped_column(String(16))
    handle: Mapped[str] = mapped_column(String(100))
    url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = created_at_column()


class FollowerCount(Base):
    """An account's follower count on one business day (the last figure of that day wins)."""

    __tablename__ = "content_follower_counts"
    __table_args__ = (
        UniqueConstraint("workspace_id", "account_id", "day"),
        CheckConstraint("followers >= 0", name="followers_non_negative"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    account_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("content_accounts.id", ondelete="CASCADE")
    )
    day: Mapped[date] = mapped_column(Date)
    followers: Mapped[int] = mapped_column(BigInteger)


class Material(Base):
    """One piece of content, published as posts on several platforms."""

    __tablename__ = "content_materials"
    __table_args__ = (
        Index(None, "workspace_id", "id"),
        CheckConstraint("spend_fen >= 0", name="spend_non_negative"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    title: Mapped[str] = mapped_column(String(200))
    copy_text: Mapped[str | None] = mapped_column(Text)
    media_ref: Mapped[str | None] = mapped_column(String(500))
    tags: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    owner_operator_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("operators.id"))
    spend_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # paid promotion (Dou+, 薯条…)
    created_at: Mapped[datetime] = created_at_column()


class Post(Base):
    """A material as published on one platform, with the latest figures its exports gave."""

    __tablename__ = "content_posts"
    __table_args__ = (
        UniqueConstraint("workspace_id", "platform", "platform_post_id"),
        Index(None, "workspace_id", "platform", "published_at"),
        Index(None, "workspace_id", "material_id"),
        Index(None, "workspace_id", "account_id"),
        CheckConstraint(_PLATFORM_CHECK, name="platform_known"),
        CheckConstraint(_KIND_CHECK, name="kind_known"),
        CheckConstraint(
            "plays >= 0 AND likes >= 0 AND comments >= 0 AND shares >= 0 AND favorites >= 0",
            name="figures_non_negative",
        ),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    material_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("content_materials.id", ondelete="SET NULL")
    )
    # The workspace's account on the platform the post went out from, when known.
    account_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("content_accounts.id", ondelete="SET NULL")
    )
    platform: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(24), default="video")
    platform_post_id: Mapped[str | None] = mapped_column(String(64))
    url: Mapped[str | None] = mapped_column(String(500))
    title: Mapped[str] = mapped_column(String(300))
    published_at: Mapped[datetime | None]
    plays: Mapped[int] = mapped_column(BigInteger, default=0)
    likes: Mapped[int] = mapped_column(BigInteger, default=0)
    comments: Mapped[int] = mapped_column(BigInteger, default=0)
    shares: Mapped[int] = mapped_column(BigInteger, default=0)
    favorites: Mapped[int] = mapped_column(BigInteger, default=0)
    follower_gain: Mapped[int] = mapped_column(BigInteger, default=0)
    completion_permille: Mapped[int | None]
    avg_watch_seconds: Mapped[int | None]
    figures_at: Mapped[datetime | None]  # when the last export with its figures was imported
    # The post's own short link (/p/{code}) and the WeCom contact way's state, when made.
    link_code: Mapped[str | None] = mapped_column(String(16), unique=True)
    wecom_state: Mapped[str | None] = mapped_column(String(64))
    wecom_qr_url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = created_at_column()


class PostDay(Base):
    """A post's figures as of one business day: re-importing a later export adds a day."""

    __tablename__ = "content_post_days"
    __table_args__ = (UniqueConstraint("workspace_id", "post_id", "day"),)

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    post_id: Mapped[int] = mapped_column(BigId, ForeignKey("content_posts.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    plays: Mapped[int] = mapped_column(BigInteger, default=0)
    likes: Mapped[int] = mapped_column(BigInteger, default=0)
    comments: Mapped[int] = mapped_column(BigInteger, default=0)
    shares: Mapped[int] = mapped_column(BigInteger, default=0)
    favorites: Mapped[int] = mapped_column(BigInteger, default=0)
    follower_gain: Mapped[int] = mapped_column(BigInteger, default=0)


class Cadence(Base):
    """How many works a week a platform should get, in tenths (45 = 4.5 a week)."""

    __tablename__ = "content_cadences"
    __table_args__ = (
        UniqueConstraint("workspace_id", "platform"),
        CheckConstraint("tenths_per_week >= 0 AND tenths_per_week <= 1000", name="tenths_range"),
        CheckConstraint(_PLATFORM_CHECK, name="platform_known"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    platform: Mapped[str] = mapped_column(String(16))
    tenths_per_week: Mapped[int]


class PlannedPost(Base):
    """A calendar entry: a work (or a Weibo announcement) planned for a platform on a day."""

    __tablename__ = "content_plans"
    __table_args__ = (
        Index(None, "workspace_id", "day"),
        CheckConstraint(_PLATFORM_CHECK, name="platform_known"),
        CheckConstraint(_KIND_CHECK, name="kind_known"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    platform: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(24), default="video")
    day: Mapped[date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(200))
    material_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("content_materials.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = created_at_column()


class ContentUpload(Base):
    """One creator-centre export imported: what it held and what it changed."""

    __tablename__ = "content_uploads"
    __table_args__ = (Index(None, "workspace_id", "id"),)

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    file_name: Mapped[str] = mapped_column(String(255))
    platform: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="completed")  # completed | failed
    rows_read: Mapped[int] = mapped_column(default=0)
    rows_rejected: Mapped[int] = mapped_column(default=0)
    posts_created: Mapped[int] = mapped_column(default=0)
    posts_updated: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    operator_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("operators.id"))
    started_at: Mapped[datetime] = created_at_column()


class ContentUploadReject(Base):
    """A row an import refused: row number, column, value and reason."""

    __tablename__ = "content_upload_rejects"
    __table_args__ = (Index(None, "workspace_id", "upload_id", "row_number"),)

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    upload_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("content_uploads.id", ondelete="CASCADE")
    )
    row_number: Mapped[int]
    column_name: Mapped[str | None] = mapped_column(String(100))
    value: Mapped[str | None] = mapped_column(String(500))
    reason: Mapped[str] = mapped_column(String(300))


class PostVisit(Base):
    """A visitor who opened a post's short link, counted once per visitor cookie."""

    __tablename__ = "content_post_visits"
    __table_args__ = (UniqueConstraint("workspace_id", "post_id", "visitor"),)

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    post_id: Mapped[int] = mapped_column(BigId, ForeignKey("content_posts.id", ondelete="CASCADE"))
    visitor: Mapped[str] = mapped_column(String(32))
    customer_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("customers.id"))
    created_at: Mapped[datetime] = created_at_column()


class PostFan(Base):
    """The post a fan came in through (first touch: one post per fan)."""

    __tablename__ = "content_post_fans"
    __table_args__ = (
        UniqueConstraint("workspace_id", "customer_id"),
        Index(None, "workspace_id", "post_id"),
        CheckConstraint("via IN ('link','wecom')", name="via_known"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    post_id: Mapped[int] = mapped_column(BigId, ForeignKey("content_posts.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id"))
    via: Mapped[str] = mapped_column(String(8))
    added_at: Mapped[datetime] = created_at_column()
