"""Holding a surge: under parallel readers and writers on real, separate connections, a request
gets its answer or 503 with Retry-After and problem+json, never a 500. Readers on SQLite never
wait for the write lock. The limits are shrunk so every wait ends quickly; nothing is timed."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from siyu import jobs
from siyu.config import get_settings, reset_settings_cache
from siyu.db import WriteInReadOnlySession, database, is_store_busy
from siyu.kit.web import PROBLEM_JSON
from siyu.workspace.models import Workspace
from tests import factories
from tests.concurrency import run_loop, scratch_store
from tests.coupons import make_fans

pytestmark = pytest.mark.concurrency

sqlite_only = pytest.mark.skipif(
    not get_settings().is_sqlite, reason="the write lock is SQLite's own"
)


@pytest.fixture
def limits(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Short waits, so a request that cannot be served is answered 503 at once."""
    monkeypatch.setenv("SIYU_SQLITE_LOCK_WAIT_MS", "100")
    monkeypatch.setenv("SIYU_REQUEST_QUEUE_SECONDS", "0.5")
    monkeypatch.setenv("SIYU_DB_POOL_TIMEOUT", "0.3")
    monkeypatch.setattr(jobs, "dispatch", lambda job_id: None)
    reset_settings_cache()
    yield monkeypatch
    monkeypatch.undo()
    reset_settings_cache()
    database.reset()


def _engine_of(factory: sessionmaker[Session]) -> Engine:
    engine = factory.kw["bind"]
    assert isinstance(engine, Engine)
    return engine


def _seed(factory: sessionmaker[Session]) -> tuple[str, list[int]]:
    with factory() as session:
        workspace = factories.make_workspace(session)
        fans = make_fans(session, workspace.id, 5)
        _token, secret = factories.make_token(session, workspace)
        session.commit()
        return secret, fans


async def _surge(secret: str, fans: list[int], readers: int, writers: int) -> list[httpx.Response]:
    from siyu.app import create_app

    transport = httpx.ASGITransport(app=create_app())
    headers = {"Authorization": f"Bearer {secret}"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", headers=headers, timeout=30
    ) as client:
        reads = [
            client.get(f"/api/v1/customers/{fans[i % len(fans)]}")
            if i % 2
            else client.get("/api/v1/customers")
            for i in range(readers)
        ]
        writes = [
            client.post(f"/api/v1/customers/{fans[i % len(fans)]}/notes", json={"body": f"n{i}"})
            for i in range(writers)
        ]
        return list(await asyncio.gather(*reads, *writes))


def _assert_no_5xx_but_503(responses: list[httpx.Response]) -> None:
    for response in responses:
        assert response.status_code < 500 or response.status_code == 503, response.text
        if response.status_code == 503:
            assert response.headers["content-type"].startswith(PROBLEM_JSON)
            assert response.json()["type"] == "urn:siyu:problem:store-busy"
            assert int(response.headers["retry-after"]) >= 1


@sqlite_only
def test_readers_pass_a_job_holding_the_write_lock_and_writers_get_503(
    limits: pytest.MonkeyPatch,
) -> None:
    with scratch_store() as factory:
        secret, fans = _seed(factory)
        database.configure(_engine_of(factory))
        job = _engine_of(factory).connect()
        job.begin()  # BEGIN IMMEDIATE: a job's long write transaction
        job.execute(text("UPDATE workspaces SET name = name"))
        try:
            held = run_loop(_surge(secret, fans, readers=12, writers=6))
        finally:
            job.rollback()
            job.close()
        after = run_loop(_surge(secret, fans, readers=6, writers=6))

    _assert_no_5xx_but_503(held)
    outcomes = Counter(r.status_code for r in held)
    assert outcomes == {200: 12, 503: 6}, outcomes  # reads never wait for the write lock
    assert Counter(r.status_code for r in after) == {200: 6, 201: 6}


@sqlite_only
def test_parallel_writers_and_readers_beside_a_job_writing_in_short_transactions(
    limits: pytest.MonkeyPatch,
) -> None:
    limits.setenv("SIYU_SQLITE_LOCK_WAIT_MS", "2000")
    limits.setenv("SIYU_REQUEST_QUEUE_SECONDS", "5")
    reset_settings_cache()
    with scratch_store() as factory:
        secret, fans = _seed(factory)
        database.configure(_engine_of(factory))
        stop = threading.Event()
        chunks = threading.Thread(target=_job_in_chunks, args=(factory, stop))
        chunks.start()
        try:
            responses = run_loop(_surge(secret, fans, readers=20, writers=20))
        finally:
            stop.set()
            chunks.join()
    _assert_no_5xx_but_503(responses)
    assert all(r.status_code == 200 for r in responses[:20])


def _job_in_chunks(factory: sessionmaker[Session], stop: threading.Event) -> None:
    """A background job as jobs must be written: many short write transactions."""
    while not stop.is_set():
        with factory() as session:
            session.execute(text("UPDATE workspaces SET name = name"))
            session.commit()


def test_an_exhausted_pool_answers_503_not_500(limits: pytest.MonkeyPatch) -> None:
    limits.setenv("SIYU_DB_POOL_SIZE", "1")
    reset_settings_cache()
    with scratch_store() as factory:
        secret, fans = _seed(factory)
        engine = _engine_of(factory)
        database.configure(engine)
        taken = engine.connect()  # the pool's only connection, busy elsewhere
        taken.execute(text("SELECT 1"))
        try:
            responses = run_loop(_surge(secret, fans, readers=3, writers=2))
        finally:
            taken.close()
    _assert_no_5xx_but_503(responses)
    assert {r.status_code for r in responses} == {503}


def test_read_only_units_of_work_refuse_writes_in_tests(connection: Any) -> None:
    with database.session(read_only=True) as session:
        session.add(Workspace(slug="read-only", name="只读"))
        with pytest.raises(WriteInReadOnlySession):
            session.flush()
        session.rollback()
        with pytest.raises(WriteInReadOnlySession):
            session.execute(update(Workspace).values(name="x"))


def test_busy_store_errors_are_recognised() -> None:
    def operational(message: str) -> OperationalError:
        return OperationalError("statement", {}, Exception(message))

    assert is_store_busy(operational("database is locked"))
    assert is_store_busy(operational("FATAL:  sorry, too many clients already"))
    assert not is_store_busy(operational("no such table: customers"))


@sqlite_only
def test_the_live_monitor_reads_beside_a_writer_holding_the_lock(
    limits: pytest.MonkeyPatch,
) -> None:
    from siyu.coupons.views import _snapshot
    from siyu.kit.clock import utcnow
    from tests.coupons import make_campaign

    with scratch_store() as factory:
        with factory() as session:
            workspace = factories.make_workspace(session)
            campaign = make_campaign(session, workspace.id, 10)
            session.commit()
            workspace_id, campaign_id = workspace.id, campaign.id
        database.configure(_engine_of(factory))
        writer = _engine_of(factory).connect()
        writer.begin()
        writer.execute(text("UPDATE workspaces SET name = name"))
        try:
            snapshot = _snapshot(workspace_id, campaign_id, utcnow())
        finally:
            writer.rollback()
            writer.close()
    assert snapshot["remaining"] == 10 and snapshot["claimed"] == 0
