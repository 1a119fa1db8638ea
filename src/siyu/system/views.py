"""Console page for background jobs: what ran, what failed and why, and a retry button."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from siyu import jobs
from siyu.kit.bounds import Int64
from siyu.kit.templating import render
from siyu.kit.web import DbSession
from siyu.system import service
from siyu.system.models import JOB_STATUS_LABELS, JOB_STATUSES
from siyu.workspace.auth import AdminConsole, csrf_protect

router = APIRouter(include_in_schema=False)


@router.get("/settings/jobs", response_class=HTMLResponse)
def jobs_page(
    request: Request,
    context: AdminConsole,
    db: DbSession,
    status: str | None = None,
    cursor: str | None = None,
) -> Response:
    runs, next_cursor = jobs.list_runs(db, context.workspace.id, status=status, cursor=cursor)
    return render(
        request,
        "system/jobs.html",
        {
            "runs": runs,
            "next_cursor": next_cursor,
            "status": status or "",
            "statuses": JOB_STATUSES,
            "status_labels": JOB_STATUS_LABELS,
        },
    )


@router.post("/settings/jobs/{job_id}/retry", dependencies=[Depends(csrf_protect)])
def retry_job(job_id: Int64, context: AdminConsole, db: DbSession) -> Response:
    service.retry_job(db, job_id, context.workspace.id, context.actor())
    return RedirectResponse("/settings/jobs", status_code=303)
