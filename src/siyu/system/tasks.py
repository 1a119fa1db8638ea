"""Housekeeping jobs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.orm import Session

from siyu.jobs import JOB_CHUNK_ROWS, chunk_committed, job
from siyu.kit.clock import utcnow
from siyu.kit.counters import RateCounter
from siyu.system.models import JobRun
from siyu.workspace.models import ConsoleSession

FINISHED_JOB_RETENTION = timedelta(days=30)


@job("system.housekeeping", cron={"hour": 19, "minute": 30})  # 03:30 in Asia/Shanghai
def housekeeping(session: Session) -> None:
    """Drop expired console sessions, stale rate counters and old succeeded job rows, a chunk
    per short transaction."""
    now = utcnow()
    _delete_in_chunks(session, ConsoleSession, ConsoleSession.expires_at < now)
    _delete_in_chunks(session, RateCounter, RateCounter.expires_at < now)
    _delete_in_chunks(
        session,
        JobRun,
        (JobRun.status == "succeeded") & (JobRun.finished_at < now - FINISHED_JOB_RETENTION),
    )


def _delete_in_chunks(session: Session, model: Any, condition: ColumnElement[bool]) -> None:
    key = model.__mapper__.primary_key[0]
    while True:
        doomed = list(session.scalars(select(key).where(condition).limit(JOB_CHUNK_ROWS)))
        if doomed:
            session.execute(delete(model).where(key.in_(doomed)))
        chunk_committed(session)
        if len(doomed) < JOB_CHUNK_ROWS:
            return
