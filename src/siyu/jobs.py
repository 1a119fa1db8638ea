"""Background jobs: one API, two runners.

* Embedded (no ``SIYU_BROKER_URL``): a thread pool in the serving process runs jobs, and
  APScheduler fires periodic ones.
* Server mode: Celery workers (``siyu worker``) run them and Celery beat (``siyu beat``) fires
  periodic ones, on Redis or RabbitMQ.

``enqueue`` writes a ``JobRun`` row in the caller's transaction; the job is handed to a runner
only after that transaction commits, so a job never runs against uncommitted (or rolled back)
state, and a crash between commit and hand-off loses nothing: the sweeper re-dispatches queued
rows. Failures retry with exponential back-off and stay visible in the console.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, delete, event, select, update
from sqlalchemy.orm import Session

from siyu.config import EMBEDDED_JOB_THREADS, get_settings
from siyu.db import database
from siyu.kit.clock import utcnow
from siyu.kit.errors import NotFound
from siyu.kit.i18n import N_
from siyu.kit.pagination import keyset_page
from siyu.system.models import JOB_STATUSES, JobRun

log = logging.getLogger("siyu.jobs")

JobFunction = Callable[..., Any]
BACKOFF_BASE_SECONDS = 10
BACKOFF_CAP_SECONDS = 3600
STALE_QUEUED_AFTER = timedelta(seconds=30)  # a queued row this old missed its hand-off
STALE_RUNNING_AFTER = timedelta(minutes=30)  # a running row this old lost its worker
# A pause longer than the longest sleep of SQLite's busy handler (100 ms), so every writer
# waiting for the lock wakes while it is free.
JOB_CHUNK_PAUSE_SECONDS = 0.11
JOB_CHUNK_ROWS = 5_000  # rows a background job writes per short transaction


@dataclass(frozen=True)
class JobSpec:
    name: str
    function: JobFunction
    max_attempts: int = 5
    every_seconds: int | None = None  # periodic jobs
    cron: dict[str, Any] | None = None


registry: dict[str, JobSpec] = {}


def job(
    name: str,
    *,
    max_attempts: int = 5,
    every_seconds: int | None = None,
    cron: dict[str, Any] | None = None,
) -> Callable[[JobFunction], JobFunction]:
    """Register ``function(session, **payload)`` as a job. Periodic when given a schedule."""

    def register(function: JobFunction) -> JobFunction:
        registry[name] = JobSpec(name, function, max_attempts, every_seconds, cron)
        return function

    return register


def enqueue(
    session: Session,
    name: str,
    payload: dict[str, Any] | None = None,
    *,
    workspace_id: int | None = None,
    delay: timedelta | None = None,
) -> JobRun:
    """Record a job in the caller's transaction; it is dispatched once that commits."""
    spec = registry.get(name)
    if spec is None:  # a process that never loaded the domains' jobs (a command, a test)
        load_job_modules()
        spec = registry.get(name)
    if spec is None:
        raise KeyError(f"unknown job {name!r}")
    run = JobRun(
        workspace_id=workspace_id,
        name=name,
        payload=payload or {},
        max_attempts=spec.max_attempts,
        run_after=utcnow() + (delay or timedelta()),
    )
    session.add(run)
    session.flush()
    if delay is None:
        _pending(session).append(run.id)
    return run


def _pending(session: Session) -> list[int]:
    pending: list[int] = session.info.setdefault("siyu_jobs_pending", [])
    return pending


# While set, committed jobs are collected here instead of handed to a runner (see ``held``).
_held: ContextVar[list[int] | None] = ContextVar("siyu_jobs_held", default=None)


@event.listens_for(Session, "after_commit")
def _dispatch_after_commit(session: Session) -> None:
    pending = session.info.pop("siyu_jobs_pending", None)
    held = _held.get()
    for job_id in pending or ():
        if held is not None:
            held.append(job_id)
        else:
            dispatch(job_id)


@contextmanager
def held() -> Iterator[None]:
    """Hand committed jobs to the runner only when the block ends. For bulk work in several
    long transactions (seeding the demo): on embedded SQLite a job running meanwhile would wait
    for the write lock and fail."""
    token = _held.set([])
    try:
        yield
    finally:
        job_ids = _held.get() or []
        _held.reset(token)
        for job_id in job_ids:
            dispatch(job_id)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop("siyu_jobs_pending", None)


# --- runners ----------------------------------------------------------------------------


@dataclass
class _Runners:
    pool: ThreadPoolExecutor | None = None
    inline_depth: int = 0
    ran: list[int] = field(default_factory=list)


_runners = _Runners()


def dispatch(job_id: int) -> None:
    settings = get_settings()
    if settings.jobs_inline:
        run_job(job_id)
    elif settings.broker_url:
        celery_app().send_task("siyu.run_job", args=[job_id])
    else:
        if _runners.pool is None:
            _runners.pool = ThreadPoolExecutor(
                max_workers=EMBEDDED_JOB_THREADS, thread_name_prefix="siyu-job"
            )
        _runners.pool.submit(_run_logged, job_id)


def _run_logged(job_id: int) -> None:
    try:
        run_job(job_id)
    except Exception:  # the row records the failure; the thread must survive
        log.exception("job %s crashed outside its transaction", job_id)


def run_job(job_id: int) -> str:
    """Claim a due job, run it in its own transaction, record the outcome. Returns its status."""
    with database.session() as session:
        now = utcnow()
        claimed = session.execute(  # an UPDATE: the result is a CursorResult with rowcount
            update(JobRun)
            .where(JobRun.id == job_id, JobRun.status.in_(("queued", "retrying")))
            .where(JobRun.run_after <= now)
            .values(status="running", started_at=now, attempts=JobRun.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        session.commit()
        if not cast("CursorResult[Any]", claimed).rowcount:
            return "skipped"  # another runner has it, or it's not due yet
        run = session.get_one(JobRun, job_id)
        spec = registry.get(run.name)
        # End the transaction that read the row: on SQLite it holds the write lock, and a job
        # that writes in short transactions (see ``chunk_committed``) must start without it.
        session.commit()
        try:
            if spec is None:
                raise LookupError(f"no job named {run.name!r} is registered in this process")
            spec.function(session, **run.payload)
            run.status, run.last_error = "succeeded", None
        except Exception as exc:
            session.rollback()
            run = session.get_one(JobRun, job_id)
            _record_failure(run, exc)
        run.finished_at = utcnow()
        session.commit()
        return run.status


def chunk_committed(session: Session) -> None:
    """A background job's chunk is done: commit it and, on SQLite, pause so that requests
    waiting for the write lock get it before the next chunk (SQLite's lock is not fair)."""
    session.commit()
    if session.get_bind().dialect.name == "sqlite":
        time.sleep(JOB_CHUNK_PAUSE_SECONDS)


def delete_in_chunks(session: Session, model: Any, condition: ColumnElement[bool]) -> None:
    """Delete a job's worth of rows a chunk per short transaction (``chunk_committed``)."""
    key = model.__mapper__.primary_key[0]
    while True:
        doomed = list(session.scalars(select(key).where(condition).limit(JOB_CHUNK_ROWS)))
        if doomed:
            session.execute(delete(model).where(key.in_(doomed)))
        chunk_committed(session)
        if len(doomed) < JOB_CHUNK_ROWS:
            return


def _record_failure(run: JobRun, exc: BaseException) -> None:
    run.last_error = "".join(traceback.format_exception(exc, limit=8))[-4000:]
    if run.attempts >= run.max_attempts:
        run.status = "failed"
        log.error("job %s (%s) failed for good: %s", run.id, run.name, exc)
        return
    delay = min(BACKOFF_BASE_SECONDS * 2 ** (run.attempts - 1), BACKOFF_CAP_SECONDS)
    run.status = "retrying"
    run.run_after = utcnow() + timedelta(seconds=delay)
    log.warning("job %s (%s) failed, retry in %ss: %s", run.id, run.name, delay, exc)


def sweep(session: Session) -> list[int]:
    """Due retries, delayed jobs, queued rows whose hand-off was lost, and rows whose worker
    died while running: hand them (back) to a runner."""
    now = utcnow()
    session.execute(
        update(JobRun)
        .where(JobRun.status == "running", JobRun.started_at < now - STALE_RUNNING_AFTER)
        .values(status="retrying")
        .execution_options(synchronize_session=False)
    )
    due = list(
        session.scalars(
            select(JobRun.id)
            .where(JobRun.status.in_(("queued", "retrying")), JobRun.run_after <= now)
            .where(
                (JobRun.status == "retrying")
                | (JobRun.created_at < now - STALE_QUEUED_AFTER)
                | (JobRun.run_after > JobRun.created_at)
            )
            .order_by(JobRun.id)
            .limit(500)
        )
    )
    session.commit()
    for job_id in due:
        dispatch(job_id)
    return due


def retry_now(session: Session, job_id: int, workspace_id: int | None) -> JobRun | None:
    """An operator's retry of a failed job from the console; another workspace's job is not
    found (404), a job of the workspace that has not failed is left alone (None)."""
    if workspace_id is not None:
        not_found = NotFound("job-not-found", title=N_("Job not found"))
        found = session.get(JobRun, job_id)
        if found is None or found.workspace_id != workspace_id:
            raise not_found
    statement = select(JobRun).where(JobRun.id == job_id, JobRun.status == "failed")
    if workspace_id is not None:
        statement = statement.where(JobRun.workspace_id == workspace_id)
    run = session.scalar(statement)
    if run is None:
        return None
    run.status, run.run_after, run.max_attempts = "retrying", utcnow(), run.attempts + 1
    _pending(session).append(run.id)
    return run


def list_runs(
    session: Session,
    workspace_id: int,
    *,
    status: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[JobRun], str | None]:
    """A workspace's job runs, newest first; an unknown status filters nothing."""
    statement = select(JobRun).where(JobRun.workspace_id == workspace_id)
    if status in JOB_STATUSES:
        statement = statement.where(JobRun.status == status)
    return keyset_page(session, statement, JobRun.id, cursor=cursor, limit=limit)


# --- Celery (server mode) ---------------------------------------------------------------


@lru_cache(maxsize=1)
def celery_app() -> Any:
    from celery import Celery

    load_job_modules()
    settings = get_settings()
    app = Celery("siyu", broker=settings.broker_url)
    app.conf.update(
        task_acks_late=True,  # a job whose worker dies is redelivered
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        timezone="UTC",
        beat_schedule=_beat_schedule(),
    )

    @app.task(name="siyu.run_job")
    def _celery_run_job(job_id: int) -> str:
        return run_job(job_id)

    @app.task(name="siyu.enqueue_periodic")
    def _celery_enqueue_periodic(name: str) -> None:
        enqueue_periodic(name)

    @app.task(name="siyu.sweep")
    def _celery_sweep() -> None:
        with database.session() as session:
            sweep(session)

    return app


def _beat_schedule() -> dict[str, Any]:
    from celery.schedules import crontab

    schedule: dict[str, Any] = {
        "siyu.sweep": {"task": "siyu.sweep", "schedule": 15.0},
    }
    for spec in registry.values():
        if spec.every_seconds is None and spec.cron is None:
            continue
        when = float(spec.every_seconds) if spec.every_seconds else crontab(**(spec.cron or {}))
        schedule[spec.name] = {
            "task": "siyu.enqueue_periodic",
            "schedule": when,
            "args": [spec.name],
        }
    return schedule


def enqueue_periodic(name: str) -> None:
    """A periodic tick: record the job and let the runner take it, as any other job."""
    with database.session() as session:
        enqueue(session, name)
        session.commit()


# --- embedded scheduler -----------------------------------------------------------------


def start_embedded_scheduler() -> Any:
    """APScheduler in the serving process: periodic jobs and the sweeper. With several serving
    processes on one store (``siyu serve --workers N``) only the first to take the scheduler's
    lock file runs it; the others return None."""
    from apscheduler.schedulers.background import BackgroundScheduler

    if not _take_scheduler_lock():
        return None
    load_job_modules()
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(_sweep_job, "interval", seconds=15, id="siyu.sweep", coalesce=True)
    for spec in registry.values():
        if spec.every_seconds:
            scheduler.add_job(
                enqueue_periodic,
                "interval",
                seconds=spec.every_seconds,
                args=[spec.name],
                id=spec.name,
                coalesce=True,
            )
        elif spec.cron:
            scheduler.add_job(
                enqueue_periodic, "cron", args=[spec.name], id=spec.name, coalesce=True, **spec.cron
            )
    scheduler.start()
    return scheduler


_scheduler_lock: list[Any] = []  # the open lock file, held for the life of the process


def _take_scheduler_lock() -> bool:
    import fcntl
    import hashlib
    import tempfile
    from pathlib import Path

    url = get_settings().database_url
    name = f"siyu-scheduler-{hashlib.sha256(url.encode()).hexdigest()[:16]}.lock"
    handle = (Path(tempfile.gettempdir()) / name).open("a")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return False
    _scheduler_lock.append(handle)
    return True


def release_scheduler_lock() -> None:
    while _scheduler_lock:
        _scheduler_lock.pop().close()


def _sweep_job() -> None:
    with database.session() as session:
        sweep(session)


def load_job_modules() -> None:
    """Import every domain's ``tasks`` module so its jobs are registered."""
    import importlib
    import pkgutil

    import siyu

    for module in pkgutil.iter_modules(siyu.__path__):
        if module.ispkg:
            try:
                importlib.import_module(f"siyu.{module.name}.tasks")
            except ModuleNotFoundError as exc:
                if exc.name != f"siyu.{module.name}.tasks":
                    raise
