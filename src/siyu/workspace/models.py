"""Tables of the workspace domain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from siyu.db import Base, BigId, created_at_column, id_column
from siyu.workspace.roles import Role, Scope


class Workspace(Base):
    """A tenant: one streamer, brand or shop group."""

    __tablename__ = "workspaces"

    id: Mapped[int] = id_column()
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = created_at_column()


class Operator(Base):
    """A person who signs in to the console; may belong to several workspaces."""

    __tablename__ = "operators"

    id: Mapped[int] = id_column()
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = created_at_column()
    last_login_at: Mapped[datetime | None]

    memberships: Mapped[list[Membership]] = relationship(back_populates="operator", lazy="raise")


class Membership(Base):
    """An operator's role in one workspace."""

    __tablename__ = "workspace_members"
    __table_args__ = (UniqueConstraint("workspace_id", "operator_id"),)

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"), index=True)
    operator_id: Mapped[int] = mapped_column(BigId, ForeignKey("operators.id"), index=True)
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=16))
    created_at: Mapped[datetime] = created_at_column()

    operator: Mapped[Operator] = relationship(back_populates="memberships", lazy="raise")
    workspace: Mapped[Workspace] = relationship(lazy="raise")


class ConsoleSession(Base):
    """A signed-in browser. The cookie holds a random id; the store holds only its digest."""

    __tablename__ = "console_sessions"

    id: Mapped[int] = id_column()
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    operator_id: Mapped[int] = mapped_column(BigId, ForeignKey("operators.id"), index=True)
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = created_at_column()
    expires_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))


class ApiToken(Base):
    """A workspace API token: stored as a digest, shown once, revocable."""

    __tablename__ = "api_tokens"
    __table_args__ = (Index(None, "workspace_id", "revoked_at"),)

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))  # shown in lists to tell tokens apart
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[str] = mapped_column(String(64))  # space-separated ``Scope`` values
    created_by_operator_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("operators.id"))
    created_at: Mapped[datetime] = created_at_column()
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    @property
    def scope_list(self) -> list[Scope]:
        return [Scope(s) for s in self.scopes.split()]


class AuditEntry(Base):
    """Who did what, when and from where: every state change and every clear-text PII read."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index(None, "workspace_id", "id"),
        Index(None, "workspace_id", "action", "id"),
        CheckConstraint("actor_type IN ('operator','token','system','fan')", name="actor_type"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("workspaces.id"))
    actor_type: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(BigId)
    actor_label: Mapped[str | None] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str | None] = mapped_column(String(64))
    target_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()
