"""Jobs run only after their transaction commits, retry with back-off, and stay visible."""

from __future__ import annotations

import os
import threading
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from siyu import jobs
from siyu.config import get_settings
from siyu.kit.clock import as_utc, utcnow
from siyu.workspace.models import Workspace
from siyu.workspace.roles import Role
from tests import factories

calls: list[dict[str, Any]] = []


@jobs.job("tests.record", max_attempts=3)
def _record(session: Session, **payload: Any) -> None:
    calls.append(payload)


@jobs.job("tests.flaky", max_attempts=2)
def _flaky(session: Session, **payload: Any) -> None:
    raise RuntimeError("the seller API timed out")


@pytest.fixture(autouse=True)
def _reset_calls() -> None:
    calls.clear()


def test_job_runs_after_commit_not_before(session: Session, workspace: Workspace) -> None:
    run = jobs.enqueue(session, "tests.record", {"n": 1}, workspace_id=workspace.id)
    assert calls == []  # flushed, not committed
    session.commit()
    assert calls == [{"n": 1}]
    session.refresh(run)
    assert (run.status, run.attempts) == ("succeeded", 1)


def test_rolled_back_job_never_runs(session: Session, workspace: Workspace) -> None:
    with session.begin_nested():
        jobs.enqueue(session, "tests.record", {"n": 2}, workspace_id=workspace.id)
        session.rollback()
    session.commit()
    assert calls == []


def test_failure_retries_with_backoff_then_fails(session: Session, workspace: Workspace) -> None:
    run = jobs.enqueue(session, "tests.flaky", workspace_id=workspace.id)
    session.commit()
    session.refresh(run)
    assert run.status == "retrying" and run.attempts == 1
    assert "the seller API timed out" in (run.last_error or "")
    assert as_utc(run.run_after) > utcnow() + timedelta(seconds=5)
    # Not due yet: the sweeper leaves it alone.
    assert run.id not in jobs.sweep(session)
    run.run_after = utcnow() - timedelta(seconds=1)
    session.commit()
    assert run.id in jobs.sweep(session)
    session.refresh(run)
    assert (run.status, run.attempts) == ("failed", 2)


def test_running_twice_is_harmless(session: Session, workspace: Workspace) -> None:
    run = jobs.enqueue(session, "tests.record", {"n": 3}, workspace_id=workspace.id)
    session.commit()
    assert jobs.run_job(run.id) == "skipped"
    assert calls == [{"n": 3}]


def test_unknown_job_name_is_refused(session: Session) -> None:
    with pytest.raises(KeyError):
        jobs.enqueue(session, "tests.nope")


def test_failed_jobs_are_visible_and_retryable_in_the_console(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    run = jobs.enqueue(session, "tests.flaky", workspace_id=workspace.id)
    session.commit()
    run.status, run.attempts = "failed", 2
    session.commit()
    admin = factories.make_operator(session, workspace, Role.admin)
    session.commit()
    factories.login(client, admin.email)
    page = client.get("/settings/jobs", params={"status": "failed"})
    assert "tests.flaky" in page.text and "the seller API timed out" in page.text
    csrf = factories.csrf_of(client)
    client.post(f"/settings/jobs/{run.id}/retry", data={"csrf_token": csrf})
    session.refresh(run)
    assert run.attempts == 3 and run.status == "failed"  # ran once more, failed again


def test_jobs_api_lists_this_workspace_only(
    api: TestClient, session: Session, workspace: Workspace
) -> None:
    jobs.enqueue(session, "tests.record", {"mine": True}, workspace_id=workspace.id)
    other = factories.make_workspace(session)
    jobs.enqueue(session, "tests.record", {"theirs": True}, workspace_id=other.id)
    session.commit()
    items = api.get("/api/v1/jobs").json()["items"]
    assert [item["payload"] for item in items] == [{"mine": True}]


def test_periodic_jobs_are_scheduled() -> None:
    jobs.load_job_modules()
    assert jobs.registry["system.housekeeping"].cron is not None
    schedule = jobs._beat_schedule()
    assert {"siyu.sweep", "system.housekeeping"} <= set(schedule)


@pytest.mark.skipif(not os.environ.get("SIYU_TEST_REDIS_URL"), reason="needs SIYU_TEST_REDIS_URL")
def test_celery_worker_runs_jobs(
    session: Session, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Server mode: the job is handed to a real Celery worker over Redis after the commit."""
    from celery.contrib.testing.worker import start_worker
    from celery.signals import task_postrun

    monkeypatch.setenv("SIYU_BROKER_URL", os.environ["SIYU_TEST_REDIS_URL"])
    monkeypatch.setenv("SIYU_JOBS_INLINE", "false")
    get_settings.cache_clear()
    jobs.celery_app.cache_clear()
    # The worker thread shares this test's connection (one outer transaction), so the test
    # must not touch it while the task runs: wait for the task to finish, then look.
    finished = threading.Event()

    def _on_postrun(**_: object) -> None:
        finished.set()

    task_postrun.connect(_on_postrun, weak=False)
    try:
        app = jobs.celery_app()
        with start_worker(app, perform_ping_check=False, pool="solo", shutdown_timeout=10):
            run = jobs.enqueue(
                session, "tests.record", {"via": "celery"}, workspace_id=workspace.id
            )
            session.commit()
            assert finished.wait(timeout=30), "the worker did not run the job"
        session.refresh(run)
        assert run.status == "succeeded"
        assert calls == [{"via": "celery"}]
    finally:
        task_postrun.disconnect(_on_postrun)
        get_settings.cache_clear()
        jobs.celery_app.cache_clear()


def test_only_one_serving_process_runs_the_embedded_scheduler() -> None:
    assert jobs._take_scheduler_lock()
    try:
        assert not jobs._take_scheduler_lock()  # a second `--workers` process on this store
    finally:
        jobs.release_scheduler_lock()
    assert jobs._take_scheduler_lock()
    jobs.release_scheduler_lock()
