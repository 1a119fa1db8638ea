"""The welcome goes out from the real runners too, right after the callback's commit: the
embedded thread pool (no Celery) and, in server mode, a Celery worker on Redis."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu import jobs
from siyu.config import get_settings
from siyu.connectors.wecom.models import WecomWelcome
from tests.connectors.wecom.conftest import Connected

WAIT_SECONDS = 60


def test_embedded_runner_sends_the_welcome_once(
    client: TestClient, session: Session, connected: Connected, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SIYU_JOBS_INLINE", "false")
    get_settings.cache_clear()
    # One runner thread: the jobs share this test's connection and must take turns.
    pool = ThreadPoolExecutor(max_workers=1)
    monkeypatch.setattr(jobs._runners, "pool", pool)
    fields = connected.fake.add_contact("lin", "wmRun", "跑步粉")
    url = f"/wecom/callback/{connected.workspace.slug}"
    try:
        for _ in range(2):  # WeCom's retry arrives after the first delivery's jobs ran
            assert connected.fake.push(client.post, url, fields)[0].status_code == 200
            pool.submit(lambda: None).result(timeout=WAIT_SECONDS)  # the jobs before it ran
    finally:
        pool.shutdown(wait=True)
        get_settings.cache_clear()
    assert [w["welcome_code"] for w in connected.fake.welcomes] == [fields["WelcomeCode"]]
    assert session.scalars(select(WecomWelcome.status)).all() == ["sent"]


@pytest.mark.skipif(not os.environ.get("SIYU_TEST_REDIS_URL"), reason="needs SIYU_TEST_REDIS_URL")
def test_celery_worker_sends_the_welcome_once(
    client: TestClient, session: Session, connected: Connected, monkeypatch: pytest.MonkeyPatch
) -> None:
    from celery.contrib.testing.worker import start_worker
    from celery.signals import task_postrun

    monkeypatch.setenv("SIYU_BROKER_URL", os.environ["SIYU_TEST_REDIS_URL"])
    monkeypatch.setenv("SIYU_JOBS_INLINE", "false")
    get_settings.cache_clear()
    jobs.celery_app.cache_clear()
    done = threading.Semaphore(0)

    def _on_postrun(**_: object) -> None:
        done.release()

    task_postrun.connect(_on_postrun, weak=False)
    try:
        with start_worker(
            jobs.celery_app(), perform_ping_check=False, pool="solo", shutdown_timeout=10
        ):
            fields = connected.fake.add_contact("lin", "wmRun", "跑步粉")
            url = f"/wecom/callback/{connected.workspace.slug}"
            assert connected.fake.push(client.post, url, fields)[0].status_code == 200
            for _ in range(2):  # the welcome and the event's handling
                assert done.acquire(timeout=WAIT_SECONDS), "the worker did not run the jobs"
            # WeCom's retry: stored as a second delivery, no job enqueued.
            assert connected.fake.push(client.post, url, fields)[0].status_code == 200
    finally:
        task_postrun.disconnect(_on_postrun)
        get_settings.cache_clear()
        jobs.celery_app.cache_clear()
    assert [w["welcome_code"] for w in connected.fake.welcomes] == [fields["WelcomeCode"]]
    assert session.scalars(select(WecomWelcome.status)).all() == ["sent"]
