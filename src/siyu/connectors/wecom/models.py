"""Tables of the WeCom connector.

What WeCom knows is mirrored here keyed by WeCom's own ids (userid, external_userid, chat_id,
tag id, config_id); each mirror row points at the Siyu record it feeds (operator, fan, fan
group, tag) by id only. Callback events are kept raw with a unique identity, so a retried
delivery is stored once and handled once.
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

from siyu.db import Base, BigId, JsonDoc, created_at_column, id_column
from siyu.kit.i18n import N_

DEFAULT_API_BASE = "https://qyapi.weixin.qq.com"
CHANNEL_KINDS = ("parcel_card", "live_room", "content_post", "fission_task", "other")
CHANNEL_LABELS = {
    "parcel_card": N_("Parcel card"),
    "live_room": N_("Live room"),
    "content_post": N_("Content post"),
    "fission_task": N_("Fission task"),
    "other": N_("Other channel"),
}
FOLLOW_STATUSES = ("active", "lost", "deleted")
EVENT_STATUSES = ("received", "handled", "ignored", "failed")
WELCOME_STATUSES = ("sending", "sent", "failed")
_KINDS_SQL = ", ".join(f"'{kind}'" for kind in CHANNEL_KINDS)


class WecomConnection(Base):
    """One WeCom corp per workspace. Secrets are encrypted (``kit/crypto``) and never shown."""

    __tablename__ = "wecom_connections"
    __table_args__ = (UniqueConstraint("workspace_id"), Index(None, "corp_id"))

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    corp_id: Mapped[str] = mapped_column(String(64))
    agent_id: Mapped[int]
    secret_enc: Mapped[bytes] = mapped_column(LargeBinary)
    callback_token_enc: Mapped[bytes] = mapped_column(LargeBinary)
    encoding_aes_key_enc: Mapped[bytes] = mapped_column(LargeBinary)
    api_base: Mapped[str] = mapped_column(String(300), default=DEFAULT_API_BASE)
    default_welcome_text: Mapped[str] = mapped_column(Text)
    # The access token, shared by every process (embedded mode has no Redis).
    access_token_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    token_expires_at: Mapped[datetime | None]
    last_sync_at: Mapped[datetime | None]
    last_sync_summary: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    last_callback_at: Mapped[datetime | None]
    connected_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()


class WecomStaff(Base):
    """A follow user (staff member with the customer-contact permission)."""

    __tablename__ = "wecom_staff"
    __table_args__ = (UniqueConstraint("workspace_id", "userid"),)

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    userid: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(100))
    operator_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("operators.id"))
    active: Mapped[bool] = mapped_column(default=True)
    synced_at: Mapped[datetime] = created_at_column()


class WecomContact(Base):
    """An external contact, tied to one fan (identity ``wecom:<external_userid>``)."""

    __tablename__ = "wecom_contacts"
    __table_args__ = (
        UniqueConstraint("workspace_id", "external_userid"),
        Index(None, "workspace_id", "customer_id"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    external_userid: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("customers.id"))
    name: Mapped[str | None] = mapped_column(String(100))
    unionid: Mapped[str | None] = mapped_column(String(64))
    contact_type: Mapped[int] = mapped_column(default=1)  # 1 WeChat user, 2 WeCom user
    synced_at: Mapped[datetime] = created_at_column()


class WecomFollow(Base):
    """Who follows whom: one staff member's relation with one external contact. A lost
    relation keeps its row (``status`` lost, ``lost_at``): churn is history, not deletion."""

    __tablename__ = "wecom_follows"
    __table_args__ = (
        UniqueConstraint("workspace_id", "external_userid", "userid"),
        Index(None, "workspace_id", "channel_kind", "channel_ref"),
        Index(None, "workspace_id", "customer_id"),
        CheckConstraint(f"channel_kind IN ({_KINDS_SQL})", name="channel_kind_known"),
        CheckConstraint("status IN ('active', 'lost', 'deleted')", name="status_known"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    external_userid: Mapped[str] = mapped_column(String(64))
    userid: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("customers.id"))
    remark: Mapped[str | None] = mapped_column(String(100))
    add_way: Mapped[int | None]
    state: Mapped[str | None] = mapped_column(String(64))
    channel_kind: Mapped[str | None] = mapped_column(String(16))
    channel_ref: Mapped[str | None] = mapped_column(String(64))
    contact_way_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("wecom_contact_ways.id"))
    added_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="active")
    lost_at: Mapped[datetime | None]
    synced_at: Mapped[datetime] = created_at_column()


class WecomFollowTag(Base):
    """The corp tags WeCom last reported on a follow relation: the base of the two-way merge
    (a change is what differs from this, on either side), which keeps changes from echoing."""

    __tablename__ = "wecom_follow_tags"
    __table_args__ = (UniqueConstraint("workspace_id", "external_userid", "userid", "tag_id"),)

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    external_userid: Mapped[str] = mapped_column(String(64))
    userid: Mapped[str] = mapped_column(String(64))
    tag_id: Mapped[str] = mapped_column(String(64))


class WecomCorpTag(Base):
    """A corp tag, mirrored as the Siyu tag ``siyu_tag_id``."""

    __tablename__ = "wecom_corp_tags"
    __table_args__ = (
        UniqueConstraint("workspace_id", "tag_id"),
        Index(None, "workspace_id", "siyu_tag_id"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    tag_id: Mapped[str] = mapped_column(String(64))
    group_id: Mapped[str] = mapped_column(String(64))
    group_name: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(50))
    siyu_tag_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("tags.id"))
    deleted_at: Mapped[datetime | None]
    synced_at: Mapped[datetime] = created_at_column()


class WecomGroupChat(Base):
    """A customer group chat, mirrored as the fan group ``fan_group_id``."""

    __tablename__ = "wecom_group_chats"
    __table_args__ = (UniqueConstraint("workspace_id", "chat_id"),)

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    chat_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(100))
    owner_userid: Mapped[str | None] = mapped_column(String(64))
    fan_group_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("community_groups.id"))
    member_version: Mapped[str | None] = mapped_column(String(64))
    dismissed_at: Mapped[datetime | None]
    synced_at: Mapped[datetime] = created_at_column()


class WecomGroupMember(Base):
    """One person's stay in a group chat (join and quit kept)."""

    __tablename__ = "wecom_group_members"
    __table_args__ = (UniqueConstraint("workspace_id", "chat_id", "member_id"),)

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    chat_id: Mapped[str] = mapped_column(String(64))
    member_id: Mapped[str] = mapped_column(String(64))  # userid or external_userid
    member_type: Mapped[int] = mapped_column(default=2)  # 1 staff, 2 external contact
    join_scene: Mapped[int | None]
    joined_at: Mapped[datetime | None]
    quit_at: Mapped[datetime | None]
    quit_scene: Mapped[int | None]


class WecomContactWay(Base):
    """A 「联系我」 live code made from Siyu; ``state`` names the channel it was made for."""

    __tablename__ = "wecom_contact_ways"
    __table_args__ = (
        UniqueConstraint("workspace_id", "state"),
        Index(None, "workspace_id", "channel_kind", "channel_ref"),
        CheckConstraint(f"channel_kind IN ({_KINDS_SQL})", name="channel_kind_known"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    name: Mapped[str] = mapped_column(String(100))
    channel_kind: Mapped[str] = mapped_column(String(16))
    channel_ref: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(30))
    config_id: Mapped[str | None] = mapped_column(String(64))
    qr_code: Mapped[str | None] = mapped_column(String(500))
    userids: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    siyu_tag_ids: Mapped[list[int]] = mapped_column(JsonDoc, default=list)  # tagged on add
    welcome_text: Mapped[str | None] = mapped_column(Text)
    welcome_attachments: Mapped[list[dict[str, Any]]] = mapped_column(JsonDoc, default=list)
    created_at: Mapped[datetime] = created_at_column()


class WecomJoinWay(Base):
    """A group live code (``add_join_way``, scene 2) over up to 5 chats, auto-creating more."""

    __tablename__ = "wecom_join_ways"
    __table_args__ = (UniqueConstraint("workspace_id", "state"),)

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    name: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(30))
    config_id: Mapped[str | None] = mapped_column(String(64))
    qr_code: Mapped[str | None] = mapped_column(String(500))
    chat_ids: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    room_base_name: Mapped[str | None] = mapped_column(String(40))
    auto_create_room: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = created_at_column()


class WecomCallbackEvent(Base):
    """A callback as received (decrypted XML), stored before it is acknowledged."""

    __tablename__ = "wecom_callback_events"
    __table_args__ = (
        UniqueConstraint("workspace_id", "event_key"),
        Index(None, "workspace_id", "received_at"),
        CheckConstraint(
            "status IN ('received', 'handled', 'ignored', 'failed')", name="status_known"
        ),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    event_key: Mapped[str] = mapped_column(String(64))
    event: Mapped[str] = mapped_column(String(64))
    change_type: Mapped[str | None] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="received")
    deliveries: Mapped[int] = mapped_column(default=1)
    received_at: Mapped[datetime] = created_at_column()
    handled_at: Mapped[datetime | None]


class WecomWelcome(Base):
    """One welcome per WelcomeCode: the row is claimed before the send, so a second delivery
    of the add event (or a retried job) never sends twice."""

    __tablename__ = "wecom_welcomes"
    __table_args__ = (
        UniqueConstraint("workspace_id", "welcome_code"),
        CheckConstraint("status IN ('sending', 'sent', 'failed')", name="status_known"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    welcome_code: Mapped[str] = mapped_column(String(128))
    external_userid: Mapped[str] = mapped_column(String(64))
    userid: Mapped[str] = mapped_column(String(64))
    contact_way_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("wecom_contact_ways.id"))
    status: Mapped[str] = mapped_column(String(16), default="sending")
    errcode: Mapped[int | None]
    created_at: Mapped[datetime] = created_at_column()
    sent_at: Mapped[datetime | None]


class WecomApiError(Base):
    """WeCom errors counted per endpoint and errcode, for the connector health page."""

    __tablename__ = "wecom_api_errors"
    __table_args__ = (UniqueConstraint("workspace_id", "endpoint", "errcode"),)

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    endpoint: Mapped[str] = mapped_column(String(80))
    errcode: Mapped[int]
    count: Mapped[int] = mapped_column(default=0)
    last_message: Mapped[str | None] = mapped_column(String(300))
    last_at: Mapped[datetime] = created_at_column()
