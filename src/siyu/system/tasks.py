"""Housekeeping jobs."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from siyu.jobs import job
from siyu.kit.clock import utcnow
from siyu.kit.counters import SqlCounter
from siyu.system.models import JobRun
from siyu.workspace.models import ConsoleSession

FINISHED_JOB_RETENTION = timedelta(days=30)


@job("system.housekeeping", cron={"hour": 19, "minute": 30})  # 03:30 in Asia/Shanghai
def housekeeping(session: Session) -> None:
    """Drop expired console sessions, stale rate counters and old succeeded job rows."""
    now = utcnow()
    session.execute(delete(ConsoleSession).where(ConsoleSession.expires_at < now))
    SqlCounter(session).purge_expired()
    session.execute(
        delete(JobRun).where(
            JobRun.status == "succeeded", JobRun.finished_at < now - FINISHED_JOB_RETENTION
        )
    )
