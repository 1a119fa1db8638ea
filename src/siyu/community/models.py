"""Tables of the fan-groups domain: groups and their families (live codes), memberships and the
invitation queue, chat messages, the keyword bot's rules, its shared matcher and cooldowns,
after-sales tickets, moderation flags, operator notifications and daily group health.

Invariants that matter under concurrency live in the schema: a group never holds more members
than its capacity (CHECK on the maintained ``member_count``), a message id is stored once per
workspace, a fan has one open membership per group and one place in a family's queue.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db import Base, BigId, created_at_column, id_column
from siyu.kit.i18n import N_

GROUP_TYPES = ("regional", "interest", "koc", "vip", "general")
GROUP_TYPE_LABELS = {
    "regional": N_("Regional group"),
    "interest": N_("Interest group"),
    "koc": N_("KOC group"),
    "vip": N_("VIP group"),
    "general": N_("General group"),
}
GROUP_STATUSES = ("activating", "active", "declining", "dormant", "dismissed")
GROUP_STATUS_LABELS = {
    "activating": N_("Activating"),
    "active": N_("Active"),
    "declining": N_("Declining"),
    "dormant": N_("Dormant"),
    "dismissed": N_("Dismissed"),
}
DEFAULT_CAPACITY = 200
MAX_CAPACITY = 500  # a WeCom external group holds at most 500
MEMBER_ROLES = ("member", "moderator")
JOIN_SCENES = ("live_code", "invitation", "manual", "import", "message")
INVITATION_STATUSES = ("queued", "waitlisted", "joined", "cancelled")
TICKET_STATUSES = ("open", "in_progress", "resolved")
TICKET_STATUS_LABELS = {
    "open": N_("Open"),
    "in_progress": N_("In progress"),
    "resolved": N_("Resolved"),
}
FLAG_STATUSES = ("open", "dismissed", "actioned")
DEFAULT_RETENTION_DAYS = 365
DEFAULT_GMV_WINDOW_DAYS = 3


class FanGroupFamily(Base):
    """Groups that share entry rules and one live code (活码): newcomers go to the first group
    with room, and the next group (``name_base`` + number) opens when all are full."""

    __tablename__ = "community_families"
    __table_args__ = (
        UniqueConstraint("workspace_id", "slug"),
        CheckConstraint(
            "group_capacity >= 1 AND group_capacity <= 500", name="group_capacity_range"
        ),
        CheckConstraint("max_groups IS NULL OR max_groups >= 1", name="max_groups_positive"),
        CheckConstraint("next_number >= 1", name="next_number_positive"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    name: Mapped[str] = mapped_column(String(100))
    group_type: Mapped[str] = mapped_column(String(16), default="general")
    slug: Mapped[str] = mapped_column(String(64))  # the live code's address
    name_base: Mapped[str] = mapped_column(String(80))
    next_number: Mapped[int] = mapped_column(default=1)
    group_capacity: Mapped[int] = mapped_column(default=DEFAULT_CAPACITY)
    max_groups: Mapped[int | None]  # the cap; newcomers wait when it is reached
    min_paid_orders: Mapped[int | None]
    min_intimacy_level: Mapped[int | None]
    segment_id: Mapped[int | None] = mapped_column(BigId)
    match_region: Mapped[bool] = mapped_column(default=False)
    regions: Mapped[list[str]] = mapped_column(JSON, default=list)  # regional families
    welcome_text: Mapped[str | None] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = created_at_column()


class FanGroup(Base):
    __tablename__ = "community_groups"
    __table_args__ = (
        UniqueConstraint("workspace_id", "external_ref"),
        UniqueConstraint("workspace_id", "family_id", "number"),
        CheckConstraint("capacity >= 1 AND capacity <= 500", name="capacity_range"),
        CheckConstraint(
            "member_count >= 0 AND member_count <= capacity", name="member_count_within_capacity"
        ),
        Index(None, "workspace_id", "status"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    name: Mapped[str] = mapped_column(String(100))
    group_type: Mapped[str] = mapped_column(String(16), default="general")
    external_ref: Mapped[str] = mapped_column(String(128))  # the WeCom chat id
    capacity: Mapped[int] = mapped_column(default=DEFAULT_CAPACITY)
    member_count: Mapped[int] = mapped_column(default=0)  # open memberships, kept by the service
    region: Mapped[str | None] = mapped_column(String(64))
    owner_operator_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("operators.id"))
    operator_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    rules_text: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="activating")
    status_changed_at: Mapped[datetime] = created_at_column()
    health_score: Mapped[int | None]
    family_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("community_families.id"))
    number: Mapped[int | None]
    # What the group's own join QR code holds (a WeCom or WeChat group invitation link); the
    # public live code shows it, drawn again, to anyone it routes here.
    join_url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = created_at_column()
    dismissed_at: Mapped[datetime | None]


class GroupMembership(Base):
    """One stay of a person in a group. ``customer_id`` is empty for senders not (yet) tied to a
    fan; ``member_ref`` is their external id in the chat platform."""

    __tablename__ = "community_memberships"
    __table_args__ = (
        Index(None, "workspace_id", "group_id", "left_at"),
        Index(None, "workspace_id", "customer_id"),
        Index(
            "uq_community_memberships_open_ref",
            "group_id",
            "member_ref",
            unique=True,
            sqlite_where=text("left_at IS NULL"),
            postgresql_where=text("left_at IS NULL"),
        ),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    group_id: Mapped[int] = mapped_column(BigId, ForeignKey("community_groups.id"))
    customer_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("customers.id"))
    member_ref: Mapped[str] = mapped_column(String(128))
    nickname: Mapped[str | None] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16), default="member")
    scene: Mapped[str] = mapped_column(String(16), default="manual")
    joined_at: Mapped[datetime] = created_at_column()
    left_at: Mapped[datetime | None]


class GroupInvitation(Base):
    """The queue of eligible fans not yet in a group of a family, and the family's waitlist."""

    __tablename__ = "community_invitations"
    __table_args__ = (
        UniqueConstraint("workspace_id", "family_id", "customer_id"),
        Index(None, "workspace_id", "family_id", "status", "id"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    family_id: Mapped[int] = mapped_column(BigId, ForeignKey("community_families.id"))
    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id"))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    group_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("community_groups.id"))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()


class CommunitySettings(Base):
    """Per-workspace settings of the domain: message retention, the workspace's own sensitive
    words, and the next live time the bot's ``{next_live_time}`` fills in."""

    __tablename__ = "community_settings"

    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"), primary_key=True)
    retention_days: Mapped[int] = mapped_column(default=DEFAULT_RETENTION_DAYS)
    sensitive_words: Mapped[list[str]] = mapped_column(JSON, default=list)
    next_live_time: Mapped[str | None] = mapped_column(String(64))
    gmv_window_days: Mapped[int] = mapped_column(default=DEFAULT_GMV_WINDOW_DAYS)


class GroupMessage(Base):
    __tablename__ = "community_messages"
    __table_args__ = (
        UniqueConstraint("workspace_id", "msg_id"),
        Index(None, "workspace_id", "group_id", "sent_at"),
        Index(None, "workspace_id", "sent_at"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    msg_id: Mapped[str] = mapped_column(String(128))
    chat: Mapped[str] = mapped_column(String(8))  # group | private
    group_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("community_groups.id"))
    sender_ref: Mapped[str] = mapped_column(String(128))
    sender_role: Mapped[str] = mapped_column(String(8))  # fan | staff
    customer_id: Mapped[int | None] = mapped_column(BigId)
    msg_type: Mapped[str] = mapped_column(String(8), default="text")  # text | image
    text: Mapped[str] = mapped_column(Text, default="")
    reply_to_ref: Mapped[str | None] = mapped_column(String(128))  # whose message it answers
    is_push: Mapped[bool] = mapped_column(default=False)  # a staff promotion push
    is_buyer_show: Mapped[bool] = mapped_column(default=False)
    is_after_sales: Mapped[bool] = mapped_column(default=False)
    sent_at: Mapped[datetime]
    received_at: Mapped[datetime] = created_at_column()


class AutoReplyRule(Base):
    __tablename__ = "community_autoreply_rules"
    __table_args__ = (
        Index(None, "workspace_id", "is_active"),
        CheckConstraint("cooldown_seconds >= 0", name="cooldown_non_negative"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    name: Mapped[str] = mapped_column(String(100))
    match: Mapped[str] = mapped_column(String(8))
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    exclude_keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    pattern: Mapped[str | None] = mapped_column(String(500))
    reply: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(8), default="reply")
    priority: Mapped[int] = mapped_column(default=0)
    scope: Mapped[dict[str, Any]] = mapped_column(default=dict)
    active_hours: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    cooldown_seconds: Mapped[int] = mapped_column(default=60)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()
    deleted_at: Mapped[datetime | None]  # kept for the replies that name it


class StoredMatcher(Base):
    """The workspace's compiled matcher (automaton + rules), versioned. Every process reads the
    version and reloads the blob when it changed, so none relies on another's memory."""

    __tablename__ = "community_matchers"

    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"), primary_key=True)
    version: Mapped[str] = mapped_column(String(64))
    blob: Mapped[bytes] = mapped_column(LargeBinary)
    rule_count: Mapped[int] = mapped_column(default=0)
    built_at: Mapped[datetime] = created_at_column()


class RuleCooldown(Base):
    """When a rule last answered in a conversation; claimed with a conditional UPDATE so two
    processes never both answer inside one cooldown."""

    __tablename__ = "community_cooldowns"

    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"), primary_key=True)
    rule_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation: Mapped[str] = mapped_column(String(160), primary_key=True)
    last_reply_at: Mapped[datetime]


class BotReply(Base):
    """A reply the bot decided (the connector sends it)."""

    __tablename__ = "community_bot_replies"
    __table_args__ = (Index(None, "workspace_id", "created_at"),)

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    message_id: Mapped[int] = mapped_column(BigId, ForeignKey("community_messages.id"))
    rule_id: Mapped[int] = mapped_column(BigId, ForeignKey("community_autoreply_rules.id"))
    group_id: Mapped[int | None] = mapped_column(BigId)
    kind: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)
    held: Mapped[bool] = mapped_column(default=False)  # moderation held it back
    created_at: Mapped[datetime] = created_at_column()


class AfterSalesTicket(Base):
    __tablename__ = "community_tickets"
    __table_args__ = (Index(None, "workspace_id", "status", "id"),)

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    group_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("community_groups.id"))
    message_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("community_messages.id"))
    rule_id: Mapped[int | None] = mapped_column(BigId)
    customer_id: Mapped[int | None] = mapped_column(BigId)
    sender_ref: Mapped[str] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="open")
    assignee_operator_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("operators.id"))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()
    resolved_at: Mapped[datetime | None]


class ModerationFlag(Base):
    __tablename__ = "community_flags"
    __table_args__ = (Index(None, "workspace_id", "status", "id"),)

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    direction: Mapped[str] = mapped_column(String(8))  # incoming (fan) | outgoing (reply)
    kind: Mapped[str] = mapped_column(String(24))
    term: Mapped[str] = mapped_column(String(200))
    detail: Mapped[str | None] = mapped_column(String(200))
    group_id: Mapped[int | None] = mapped_column(BigId)
    message_id: Mapped[int | None] = mapped_column(BigId)
    sender_ref: Mapped[str | None] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = created_at_column()


class OperatorNotification(Base):
    """Something a group's operators must see: a hand-off ticket, a health alert, spam."""

    __tablename__ = "community_notifications"
    __table_args__ = (Index(None, "workspace_id", "operator_id", "read_at"),)

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    operator_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("operators.id"))
    group_id: Mapped[int | None] = mapped_column(BigId)
    kind: Mapped[str] = mapped_column(String(16))  # ticket | health | flag
    message: Mapped[str] = mapped_column(Text)
    target_id: Mapped[int | None] = mapped_column(BigId)
    read_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at_column()


class GroupHealthDay(Base):
    __tablename__ = "community_group_health"
    __table_args__ = (UniqueConstraint("workspace_id", "group_id", "day"),)

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    group_id: Mapped[int] = mapped_column(BigId, ForeignKey("community_groups.id"))
    day: Mapped[date] = mapped_column(Date)
    messages: Mapped[int] = mapped_column(default=0)
    fan_messages: Mapped[int] = mapped_column(default=0)
    staff_messages: Mapped[int] = mapped_column(default=0)
    active_members_7d: Mapped[int] = mapped_column(default=0)
    members: Mapped[int] = mapped_column(default=0)
    joins: Mapped[int] = mapped_column(default=0)
    leaves: Mapped[int] = mapped_column(default=0)
    buyer_shows: Mapped[int] = mapped_column(default=0)
    after_sales: Mapped[int] = mapped_column(default=0)
    score: Mapped[int] = mapped_column(default=0)


class GroupKoc(Base):
    """A group's key fans over the last 30 days, recomputed nightly."""

    __tablename__ = "community_group_kocs"
    __table_args__ = (UniqueConstraint("workspace_id", "group_id", "sender_ref"),)

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    group_id: Mapped[int] = mapped_column(BigId, ForeignKey("community_groups.id"))
    sender_ref: Mapped[str] = mapped_column(String(128))
    customer_id: Mapped[int | None] = mapped_column(BigId)
    messages: Mapped[int] = mapped_column(default=0)
    replies_drawn: Mapped[int] = mapped_column(default=0)
    buyer_shows: Mapped[int] = mapped_column(default=0)
    score: Mapped[int] = mapped_column(default=0)
    computed_at: Mapped[datetime] = created_at_column()
