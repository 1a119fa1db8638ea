"""Analytics jobs: the nightly refresh of every workspace, and refreshes asked for on demand."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from siyu.analytics.refresh import refresh_in_short_transactions
from siyu.jobs import enqueue, job
from siyu.workspace import service as workspace_service

REFRESH_JOB = "analytics.refresh"


@job(REFRESH_JOB, max_attempts=3)
def refresh(session: Session, workspace_id: int, as_of: str | None = None) -> None:
    """Beside live traffic: reads without the write lock, writes in short transactions."""
    refresh_in_short_transactions(workspace_id, date.fromisoformat(as_of) if as_of else None)


@job("analytics.nightly", cron={"hour": 18, "minute": 0})  # 02:00 in Asia/Shanghai
def nightly(session: Session) -> None:
    """One refresh job per workspace, so a failure in one retries alone."""
    for workspace_id in workspace_service.workspace_ids(session):
        enqueue(session, REFRESH_JOB, {"workspace_id": workspace_id}, workspace_id=workspace_id)
