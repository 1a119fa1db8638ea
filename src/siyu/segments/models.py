"""Saved segments: a name and a filter written in the segment language (docs/analytics.md)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db import Base, BigId, created_at_column, id_column


class Segment(Base):
    __tablename__ = "segments"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int] = mapped_column(BigId, ForeignKey("workspaces.id"))
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    filter_text: Mapped[str] = mapped_column(Text)
    # An auto tag: the refresh keeps exactly this segment's members tagged with it.
    tag_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("tags.id", ondelete="SET NULL"))
    member_count: Mapped[int | None]
    counted_at: Mapped[datetime | None]
    created_by: Mapped[int | None] = mapped_column(BigId, ForeignKey("operators.id"))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()
