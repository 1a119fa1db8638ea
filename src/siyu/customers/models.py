"""Tables of the customers domain.

A customer is one person. Platform identities (``platform``, ``external_id``) and a valid mainland
mobile number (stored encrypted, looked up by keyed hash) tie a person's orders together across
platforms. Merging moves identities and orders onto one customer and leaves the other as a
tombstone (``merged_into_id``) so the merge can be undone.
"""

from __future__ import annotations

import enum
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
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db import Base, BigId, created_at_column, id_column


class IdentitySource(enum.StrEnum):
    imported = "import"
    manual = "manual"
    api = "api"
    fan = "fan"


class Customer(Base):
    __tablename__ = "customers"
    __table_args__ = (
        Index(None, "workspace_id", "id"),
        Index(None, "workspace_id", "display_name"),
        # One live customer per phone in a workspace: the backstop for parallel imports.
        Index(
            "uq_customers_workspace_phone",
            "workspace_id",
            "phone_hash",
            unique=True,
            sqlite_where=text("merged_into_id IS NULL AND phone_hash IS NOT NULL"),
            postgresql_where=text("merged_into_id IS NULL AND phone_hash IS NOT NULL"),
        ),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    display_name: Mapped[str | None] = mapped_column(String(100))
    region: Mapped[str | None] = mapped_column(String(64))
    source_channel: Mapped[str | None] = mapped_column(String(32))
    first_seen_at: Mapped[datetime]
    phone_hash: Mapped[str | None] = mapped_column(String(64))
    phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_masked: Mapped[str | None] = mapped_column(String(16))
    real_name_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    address_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    consent_marketing: Mapped[bool] = mapped_column(default=False)
    consent_updated_at: Mapped[datetime | None]
    merged_into_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("customers.id"))
    erased_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()


class CustomerIdentity(Base):
    __tablename__ = "customer_identities"
    __table_args__ = (
        UniqueConstraint("workspace_id", "platform", "external_id"),
        Index(None, "workspace_id", "customer_id"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id"))
    platform: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(128))
    nickname: Mapped[str | None] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(16), default=IdentitySource.imported.value)
    created_at: Mapped[datetime] = created_at_column()


class CustomerIntimacy(Base):
    """Fan-club intimacy level (粉丝亲密度) per platform."""

    __tablename__ = "customer_intimacy"
    __table_args__ = (
        UniqueConstraint("workspace_id", "customer_id", "platform"),
        CheckConstraint("level >= 0", name="level_non_negative"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id"))
    platform: Mapped[str] = mapped_column(String(16))
    level: Mapped[int]
    updated_at: Mapped[datetime] = created_at_column()


class TagGroup(Base):
    __tablename__ = "tag_groups"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    name: Mapped[str] = mapped_column(String(50))
    kind: Mapped[str] = mapped_column(String(16), default="business")  # identity | business
    created_at: Mapped[datetime] = created_at_column()


class Tag(Base):
    __tablename__ = "tags"
    __table_args__ = (UniqueConstraint("workspace_id", "group_id", "name"),)

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    group_id: Mapped[int] = mapped_column(BigId, ForeignKey("tag_groups.id"))
    name: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[datetime] = created_at_column()


class CustomerTag(Base):
    __tablename__ = "customer_tags"
    __table_args__ = (
        UniqueConstraint("workspace_id", "customer_id", "tag_id"),
        Index(None, "workspace_id", "tag_id"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id"))
    tag_id: Mapped[int] = mapped_column(BigId, ForeignKey("tags.id"))
    created_at: Mapped[datetime] = created_at_column()


class CustomerNote(Base):
    __tablename__ = "customer_notes"
    __table_args__ = (Index(None, "workspace_id", "customer_id", "id"),)

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id"))
    operator_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("operators.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()


class CustomerMerge(Base):
    """A merge of ``source`` into ``target``: what moved, so it can be undone."""

    __tablename__ = "customer_merges"
    __table_args__ = (Index(None, "workspace_id", "target_id"),)

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    target_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id"))
    source_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id"))
    moved: Mapped[dict[str, Any]] = mapped_column(default=dict)
    operator_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("operators.id"))
    created_at: Mapped[datetime] = created_at_column()
    undone_at: Mapped[datetime | None]


class CustomerEvent(Base):
    """Behaviour pushed by other systems: live views, H5 visits, shares, messages."""

    __tablename__ = "customer_events"
    __table_args__ = (
        UniqueConstraint("workspace_id", "idempotency_key"),
        Index(None, "workspace_id", "customer_id", "occurred_at"),
        Index(None, "workspace_id", "kind", "occurred_at"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id"))
    kind: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime]
    idempotency_key: Mapped[str] = mapped_column(String(128))
    properties: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = created_at_column()
