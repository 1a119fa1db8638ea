"""Tables of outreach.

``outreach_receipts`` is the quota ledger: one row per fan per send (a broadcast or a playbook
step), unique per source so a retried send is never counted twice. ``broadcast_members`` records
every audience member's arm (treated or held out) and exclusion before anything is sent, which
is what makes the lift report an intention-to-treat comparison.
"""

from __future__ import annotations

from datetime import datetime

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

from siyu.db import Base, BigId, JsonDoc, created_at_column, id_column
from siyu.kit.i18n import N_

QUOTAS = ("daily", "weekly7", "monthly_days")
QUOTA_LABELS = {
    "daily": N_("One a day"),
    "weekly7": N_("Seven a week"),
    "monthly_days": N_("As many a month as the month has days"),
}
CHANNELS = ("wecom_single", "wecom_group", "moments", "operator_task")
CHANNEL_LABELS = {
    "wecom_single": N_("WeCom one-to-one mass message"),
    "wecom_group": N_("WeCom customer groups"),
    "moments": N_("Moments"),
    "operator_task": N_("Operators send by hand"),
}
BROADCAST_STATES = ("draft", "scheduled", "sending", "sent", "failed")
STATE_LABELS = {
    "draft": N_("Draft"),
    "scheduled": N_("Scheduled"),
    "sending": N_("Sending"),
    "sent": N_("Sent"),
    "failed": N_("Failed"),
}
ATTACHMENT_TYPES = ("image", "link", "miniprogram", "coupon", "mall_item")
ATTACHMENT_LABELS = {
    "image": N_("Image"),
    "link": N_("Web link"),
    "miniprogram": N_("Mini-program"),
    "coupon": N_("Coupon campaign (a link per fan)"),
    "mall_item": N_("Points-mall item (a link per fan)"),
}
# Attachments whose link differs per fan: each fan's opens are counted.
PERSONALISED_TYPES = ("coupon", "mall_item")
# A member's way through a broadcast. Excluded members are in neither arm.
MEMBER_STATUSES = (
    "held_out",
    "no_consent",
    "unsubscribed",
    "lost",
    "planned",
    "quota_blocked",
    "sent",
    "not_friend",
    "quota_refused",
    "failed",
)
EXCLUSIONS = ("no_consent", "unsubscribed", "lost")
EXCLUSION_LABELS = {
    "no_consent": N_("No marketing consent"),
    "unsubscribed": N_("Unsubscribed"),
    "lost": N_("Lost contact"),
}
ANCHORS = ("added_contact", "joined_group", "first_paid", "last_paid", "live_start", "segment")
ANCHOR_LABELS = {
    "added_contact": N_("Added as a contact"),
    "joined_group": N_("Joined a group"),
    "first_paid": N_("First paid order"),
    "last_paid": N_("Last paid order"),
    "live_start": N_("A live's start"),
    "segment": N_("Entered a segment"),
}
STEP_KINDS = ("message", "group_message", "task", "tag", "coupon")
STEP_LABELS = {
    "message": N_("Message to the fan"),
    "group_message": N_("Message to the group"),
    "task": N_("Task for the operator"),
    "tag": N_("Tag the fan"),
    "coupon": N_("Issue a coupon"),
}
STOP_CONDITIONS = ("ordered", "replied", "left")
STOP_LABELS = {
    "ordered": N_("The fan ordered"),
    "replied": N_("The fan replied"),
    "left": N_("The fan left"),
}
# pending: laid out, not due yet; ready: due and checked, waiting for the operator (or, with a
# ``send_id``, for the WeCom task it went out in).
TASK_STATES = ("pending", "ready", "done", "skipped", "blocked")
# What became of a playbook message sent through WeCom, per fan (``OutreachTask.delivery``).
DELIVERIES = (
    "no_consent",
    "unsubscribed",
    "lost",
    "quota_blocked",
    "content_blocked",
    "planned",
    "sent",
    "not_friend",
    "quota_refused",
    "failed",
)
DELIVERY_LABELS = {
    "no_consent": N_("No marketing consent"),
    "unsubscribed": N_("Unsubscribed"),
    "lost": N_("Lost contact"),
    "quota_blocked": N_("Quota blocked"),
    "content_blocked": N_("Blocked by the message rules"),
    "planned": N_("Waiting for the operator's confirmation"),
    "sent": N_("Sent"),
    "not_friend": N_("Not a friend any more"),
    "quota_refused": N_("Refused by the WeCom quota"),
    "failed": N_("Not delivered"),
    "stopped": N_("Stopped early"),
}


class OutreachSettings(Base):
    __tablename__ = "outreach_settings"
    __table_args__ = (
        CheckConstraint("wecom_quota IN ('daily', 'weekly7', 'monthly_days')", name="quota_kind"),
        CheckConstraint(
            "max_per_fan_per_week IS NULL OR max_per_fan_per_week >= 0", name="cap_not_negative"
        ),
    )

    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"), primary_key=True)
    wecom_quota: Mapped[str] = mapped_column(String(16), default="monthly_days")
    max_per_fan_per_week: Mapped[int | None]
    updated_at: Mapped[datetime] = created_at_column()


class ContentTerm(Base):
    """A workspace's own term (or exemption, category ``exemption``) beside the shipped lists."""

    __tablename__ = "content_terms"
    __table_args__ = (
        UniqueConstraint("workspace_id", "category", "term"),
        CheckConstraint("severity IN ('block', 'warn')", name="severity_kind"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    term: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(24))
    severity: Mapped[str] = mapped_column(String(8), default="block")
    suggestion: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = created_at_column()


class SentText(Base):
    """A text this workspace mass-sent, by its normalised digest (the repeat check)."""

    __tablename__ = "outreach_sent_texts"
    __table_args__ = (Index(None, "workspace_id", "digest", "sent_at"),)

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    digest: Mapped[str] = mapped_column(String(64))
    sent_at: Mapped[datetime]


class Unsubscribe(Base):
    __tablename__ = "outreach_unsubscribes"
    __table_args__ = (UniqueConstraint("workspace_id", "customer_id"),)

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id"))
    created_at: Mapped[datetime] = created_at_column()


class Receipt(Base):
    """One fan, one mass message: what the per-fan quota counts."""

    __tablename__ = "outreach_receipts"
    __table_args__ = (
        UniqueConstraint("workspace_id", "source", "source_id", "customer_id"),
        Index(None, "workspace_id", "received_at", "customer_id"),
        Index(None, "workspace_id", "customer_id", "received_at"),
        CheckConstraint("source IN ('broadcast', 'playbook')", name="source_kind"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id"))
    source: Mapped[str] = mapped_column(String(16))
    source_id: Mapped[int] = mapped_column(BigId)
    channel: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime]


class Broadcast(Base):
    __tablename__ = "broadcasts"
    __table_args__ = (
        Index(None, "workspace_id", "id"),
        CheckConstraint("holdout_percent BETWEEN 0 AND 50", name="holdout_range"),
        CheckConstraint(
            "state IN ('draft', 'scheduled', 'sending', 'sent', 'failed')", name="state_kind"
        ),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    name: Mapped[str] = mapped_column(String(100))
    segment_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("segments.id", ondelete="SET NULL")
    )
    channel: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    holdout_percent: Mapped[int] = mapped_column(default=0)
    send_at: Mapped[datetime | None]
    state: Mapped[str] = mapped_column(String(16), default="draft")
    audience_size: Mapped[int] = mapped_column(default=0)
    holdout_size: Mapped[int] = mapped_column(default=0)
    excluded: Mapped[dict[str, int]] = mapped_column(JsonDoc, default=dict)
    warnings: Mapped[list[dict[str, object]]] = mapped_column(JsonDoc, default=list)
    # What goes with the text: {"type", ...} as the API takes it, images by ``media_id``.
    attachment: Mapped[dict[str, object] | None] = mapped_column(JsonDoc)
    sent_at: Mapped[datetime | None]
    created_by: Mapped[int | None] = mapped_column(BigId, ForeignKey("operators.id"))
    created_at: Mapped[datetime] = created_at_column()


class BroadcastMember(Base):
    __tablename__ = "broadcast_members"
    __table_args__ = (
        UniqueConstraint("broadcast_id", "customer_id"),
        Index(None, "workspace_id", "broadcast_id", "status"),
        CheckConstraint("arm IS NULL OR arm IN ('treated', 'control')", name="arm_kind"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    broadcast_id: Mapped[int] = mapped_column(BigId, ForeignKey("broadcasts.id"))
    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id"))
    arm: Mapped[str | None] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))
    sender: Mapped[str | None] = mapped_column(String(64))  # operator id or WeCom userid
    operator_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("operators.id"))
    # The fan's own WeCom task when the content was personalised (one task per fan).
    message_id: Mapped[str | None] = mapped_column(String(128))


class OutreachMedia(Base):
    """An image a broadcast sends (uploaded to WeCom as temporary media at each send)."""

    __tablename__ = "outreach_media"
    __table_args__ = (Index(None, "workspace_id", "id"),)

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    content_type: Mapped[str] = mapped_column(String(32))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = created_at_column()


class LinkClick(Base):
    """Opens of a broadcast's link by one fan (``customer_id`` null: a link shared in a group
    or a moment, where the fan is unknown)."""

    __tablename__ = "outreach_link_clicks"
    __table_args__ = (
        UniqueConstraint("broadcast_id", "customer_id"),
        Index(None, "workspace_id", "broadcast_id"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    broadcast_id: Mapped[int] = mapped_column(BigId, ForeignKey("broadcasts.id"))
    customer_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("customers.id"))
    clicks: Mapped[int] = mapped_column(default=0)
    first_at: Mapped[datetime]
    last_at: Mapped[datetime]


class BroadcastTask(Base):
    """The send one operator confirms (a WeCom mass-message task, or a hand-send list)."""

    __tablename__ = "broadcast_tasks"
    __table_args__ = (
        UniqueConstraint("broadcast_id", "sender"),
        Index(None, "workspace_id", "broadcast_id"),
        CheckConstraint("reminders_today BETWEEN 0 AND 3", name="reminders_limit"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    broadcast_id: Mapped[int] = mapped_column(BigId, ForeignKey("broadcasts.id"))
    sender: Mapped[str] = mapped_column(String(64))
    operator_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("operators.id"))
    external_id: Mapped[str | None] = mapped_column(String(128))
    state: Mapped[str] = mapped_column(String(16), default="created")
    fans: Mapped[int] = mapped_column(default=0)
    reminders_today: Mapped[int] = mapped_column(default=0)
    reminded_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at_column()


class Playbook(Base):
    __tablename__ = "playbooks"
    __table_args__ = (
        UniqueConstraint("workspace_id", "name"),
        CheckConstraint("holdout_percent BETWEEN 0 AND 50", name="holdout_range"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    name: Mapped[str] = mapped_column(String(100))
    template: Mapped[str | None] = mapped_column(String(32))
    anchor: Mapped[str] = mapped_column(String(16))
    segment_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("segments.id", ondelete="SET NULL")
    )
    stop_on: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    holdout_percent: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = created_at_column()


class PlaybookStep(Base):
    __tablename__ = "playbook_steps"
    __table_args__ = (
        UniqueConstraint("playbook_id", "position"),
        # Either "day N at HH:MM" or "N hours after", never both or neither.
        CheckConstraint("(hours_after IS NULL) = (day_offset IS NOT NULL)", name="one_timing"),
        CheckConstraint("(day_offset IS NULL) = (at_minute IS NULL)", name="day_and_minute"),
        CheckConstraint("at_minute IS NULL OR at_minute BETWEEN 0 AND 1439", name="minute_range"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    playbook_id: Mapped[int] = mapped_column(BigId, ForeignKey("playbooks.id", ondelete="CASCADE"))
    position: Mapped[int]
    day_offset: Mapped[int | None]
    at_minute: Mapped[int | None]  # minutes after local midnight
    hours_after: Mapped[int | None]
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text, default="")
    tag_name: Mapped[str | None] = mapped_column(String(64))
    coupon_campaign_id: Mapped[int | None] = mapped_column(BigId)


class Enrolment(Base):
    __tablename__ = "playbook_enrolments"
    __table_args__ = (
        UniqueConstraint("playbook_id", "customer_id"),
        Index(None, "workspace_id", "state"),
        CheckConstraint("arm IN ('treated', 'control')", name="arm_kind"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    playbook_id: Mapped[int] = mapped_column(BigId, ForeignKey("playbooks.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id"))
    operator_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("operators.id"))
    anchor_at: Mapped[datetime]
    arm: Mapped[str] = mapped_column(String(8), default="treated")
    state: Mapped[str] = mapped_column(String(16), default="active")
    stop_reason: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = created_at_column()


class PlaybookSend(Base):
    """One WeCom task for one step's due fans of one sender in one run: the playbook's
    counterpart of :class:`BroadcastTask`, followed up the same way."""

    __tablename__ = "playbook_sends"
    __table_args__ = (
        Index(None, "workspace_id", "state"),
        Index(None, "workspace_id", "step_id"),
        CheckConstraint("reminders_today BETWEEN 0 AND 3", name="reminders_limit"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    playbook_id: Mapped[int] = mapped_column(BigId, ForeignKey("playbooks.id", ondelete="CASCADE"))
    step_id: Mapped[int] = mapped_column(BigId, ForeignKey("playbook_steps.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    sender: Mapped[str] = mapped_column(String(64))
    operator_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("operators.id"))
    external_id: Mapped[str | None] = mapped_column(String(128))
    state: Mapped[str] = mapped_column(String(16), default="created")
    fans: Mapped[int] = mapped_column(default=0)
    reminders_today: Mapped[int] = mapped_column(default=0)
    reminded_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at_column()


class OutreachTask(Base):
    """One playbook step due for one fan, or a fan an operator sends to by hand."""

    __tablename__ = "outreach_tasks"
    __table_args__ = (
        UniqueConstraint("enrolment_id", "step_id"),
        Index(None, "workspace_id", "operator_id", "due_at"),
        Index(None, "workspace_id", "state", "due_at"),
        CheckConstraint(
            "state IN ('pending', 'ready', 'done', 'skipped', 'blocked')", name="task_state_kind"
        ),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    enrolment_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("playbook_enrolments.id", ondelete="CASCADE")
    )
    step_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("playbook_steps.id", ondelete="CASCADE")
    )
    broadcast_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("broadcasts.id"))
    customer_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("customers.id"))
    operator_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("operators.id"))
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text, default="")
    due_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(16), default="pending")
    done_at: Mapped[datetime | None]
    # Set when the message went out through WeCom rather than by the operator's hand.
    send_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("playbook_sends.id", ondelete="SET NULL")
    )
    delivery: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = created_at_column()
