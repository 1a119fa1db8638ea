"""Health, readiness, and the job listing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel, ConfigDict

from siyu.db import database
from siyu.jobs import list_runs
from siyu.kit.pagination import Page
from siyu.kit.redis import get_redis
from siyu.kit.web import DbSession
from siyu.workspace.auth import Api

health_router = APIRouter(tags=["health"])
router = APIRouter(tags=["jobs"])


@health_router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@health_router.get("/readyz")
def readyz() -> JSONResponse:
    """The store (and Redis, when configured) answer."""
    checks: dict[str, str] = {}
    try:
        _ping_store()
        checks["database"] = "ok"
    except Exception as exc:  # any driver error means not ready
        checks["database"] = f"error: {type(exc).__name__}"
    client = get_redis()
    if client is not None:
        try:
            client.ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {type(exc).__name__}"
    ready = all(value == "ok" for value in checks.values())
    return JSONResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks},
        status_code=200 if ready else 503,
    )


def _ping_store() -> None:
    """SELECT 1 on a raw driver connection: no transaction, so no SQLite write lock taken."""
    connection = database.engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute("SELECT 1")
        cursor.fetchall()
        cursor.close()
    finally:
        connection.close()


class JobOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    status: str
    attempts: int
    max_attempts: int
    payload: dict[str, Any]
    last_error: str | None
    run_after: datetime
    created_at: datetime
    finished_at: datetime | None


@router.get("/jobs", response_model=Page[JobOut])
def list_jobs(
    api: Api,
    db: DbSession,
    status: str | None = None,
    cursor: str | None = None,
    limit: int = Query(default=50, ge=1, le=200),
) -> Page[JobOut]:
    jobs, next_cursor = list_runs(db, api.workspace_id, status=status, cursor=cursor, limit=limit)
    return Page(items=[JobOut.model_validate(j) for j in jobs], next_cursor=next_cursor)


@health_router.get("/favicon.ico", include_in_schema=False)
def favicon() -> RedirectResponse:
    """Browsers ask for /favicon.ico whatever the page's icon link says."""
    return RedirectResponse("/static/img/logo.svg", status_code=301)
