"""Background job runs: the durable record behind every enqueued job."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db import Base, BigId, created_at_column, id_column
from siyu.kit.i18n import N_

JOB_STATUSES = ("queued", "running", "retrying", "succeeded", "failed")
JOB_STATUS_LABELS = {
    "queued": N_("Queued"),
    "running": N_("Running"),
    "retrying": N_("Retrying"),
    "succeeded": N_("Succeeded"),
    "failed": N_("Failed"),
}


class JobRun(Base):
    """One job: written in the enqueuing transaction (an outbox), so a job exists exactly when
    the change that asked for it committed; dispatched to a runner after the commit."""

    __tablename__ = "job_runs"
    __table_args__ = (
        Index(None, "status", "run_after"),
        Index(None, "workspace_id", "id"),
    )

    id: Mapped[int] = id_column()
    workspace_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("workspaces.id"))
    name: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=5)
    run_after: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
