"""Business actions of the system domain: what an operator does to background jobs."""

from __future__ import annotations

from sqlalchemy.orm import Session

from siyu import jobs
from siyu.system.models import JobRun
from siyu.workspace import audit
from siyu.workspace.audit import Actor


def retry_job(session: Session, job_id: int, workspace_id: int, actor: Actor) -> JobRun | None:
    """Retry the workspace's failed job now (404 for another workspace's); audited when a retry
    was made, None when the job had not failed."""
    run = jobs.retry_now(session, job_id, workspace_id)
    if run is not None:
        audit.record(
            session,
            actor,
            "job.retry",
            workspace_id=workspace_id,
            target_type="job",
            target_id=job_id,
        )
    return run
