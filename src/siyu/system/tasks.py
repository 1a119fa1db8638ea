"""Housekeeping jobs."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from siyu.jobs import delete_in_chunks, job
from siyu.kit.clock import utcnow
from siyu.kit.counters import RateCounter
from siyu.system.models import JobRun
from siyu.workspace import service as workspace_service

FINISHED_JOB_RETENTION = timedelta(days=30)


@job("system.housekeeping", cron={"hour": 19, "minute": 30})  # 03:30 in Asia/Shanghai
def housekeeping(session: Session) -> None:
    """Drop expired console sessions, stale rate counters and old succeeded job rows, a chunk
    per short transaction."""
    now = utcnow()
    workspace_service.delete_expired_sessions(session, now)
    delete_in_chunks(session, RateCounter, RateCounter.expires_at < now)
    delete_in_chunks(
        session,
        JobRun,
        (JobRun.status == "succeeded") & (JobRun.finished_at < now - FINISHED_JOB_RETENTION),
    )
