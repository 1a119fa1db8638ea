"""Imports beside other work, on real separate connections: two imports of overlapping files at
once create every order and every fan once (imports of one workspace queue behind each other);
requests beside a large import are served while it commits batch by batch."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from siyu import jobs
from siyu.app import create_app
from siyu.config import reset_settings_cache
from siyu.customers.models import Customer, CustomerIdentity
from siyu.db import database
from siyu.orders.models import ImportRun, Order
from siyu.orders.service import ImportSummary, import_file
from siyu.workspace import service as workspaces
from tests import factories
from tests.concurrency import in_parallel, run_loop, scratch_store
from tests.coupons import make_fans
from tests.factories import ACTOR

from . import export_files as ef

pytestmark = pytest.mark.concurrency

ORDERS = 600


def generic_rows(first: int, last: int) -> list[list[ef.Cell]]:
    """Orders first..last; buyers repeat every 50 orders and share phones every 100."""
    rows: list[list[ef.Cell]] = [[*ef.GENERIC, "phone"]]
    for n in range(first, last):
        rows.append(
            [
                f"C-{n}",
                f"buyer-{n % 50}",
                "2024-06-18 20:00:00",
                "10.00",
                "paid",
                "",
                "",
                f"1380013{n % 100:04d}",
            ]
        )
    return rows


def test_parallel_imports_of_overlapping_files_create_nothing_twice(tmp_path: Path) -> None:
    first = ef.write_csv(tmp_path / "a.csv", generic_rows(0, ORDERS))
    second = ef.write_csv(tmp_path / "b.csv", generic_rows(ORDERS // 2, ORDERS + ORDERS // 2))
    with scratch_store() as sessions:
        with sessions() as session:
            workspace_id = workspaces.create_workspace(session, "conc", "并发", ACTOR).id
            session.commit()
        start = threading.Barrier(2, timeout=30)

        def run(index: int) -> ImportSummary:
            # Meet before opening a transaction: on SQLite the first one holds the write lock.
            start.wait()
            with sessions() as session:
                workspace = workspaces.get_workspace_by_slug(session, "conc")
                summary = import_file(session, workspace, (first, second)[index], actor=ACTOR)
                session.commit()
                return summary

        results = in_parallel(2, 2, run)

        errors = [r for r in results if isinstance(r, BaseException)]
        assert not errors, errors
        with sessions() as session:

            def total(model: type[Order] | type[Customer] | type[ImportRun]) -> int:
                statement = select(func.count()).select_from(model)
                return int(session.scalar(statement.where(model.workspace_id == workspace_id)) or 0)

            orders = total(Order)
            distinct = session.scalar(select(func.count(func.distinct(Order.order_no))))
            customers = total(Customer)
            identities = session.scalar(select(func.count()).select_from(CustomerIdentity))
            runs = total(ImportRun)
    assert orders == distinct == ORDERS + ORDERS // 2
    created = sum(r.orders_created for r in results if isinstance(r, ImportSummary))
    assert created == orders
    assert sum(r.orders_unchanged for r in results if isinstance(r, ImportSummary)) == ORDERS // 2
    # 50 buyer ids, each always with the same phones: at most one fan per buyer id.
    assert identities == 50
    assert customers <= 50
    assert runs == 2


LARGE_IMPORT_ORDERS = 20_000
# A writer's wait for SQLite's write lock: "about a second" of the issue, with room for a busy
# machine. The whole import holds the store far longer than this.
LOCK_WAIT_MS = 2000


@pytest.fixture
def app_store(monkeypatch: pytest.MonkeyPatch) -> Iterator[sessionmaker[Session]]:
    """A scratch store the app serves from (the import writes to it from its own thread)."""
    monkeypatch.setattr(jobs, "dispatch", lambda job_id: None)
    monkeypatch.setenv("SIYU_SQLITE_LOCK_WAIT_MS", str(LOCK_WAIT_MS))
    reset_settings_cache()
    with scratch_store() as factory:
        engine = factory.kw["bind"]
        assert isinstance(engine, Engine)
        database.configure(engine)
        try:
            yield factory
        finally:
            database.reset()
    monkeypatch.undo()
    reset_settings_cache()


def test_requests_beside_a_large_import_neither_fail_nor_wait_it_out(
    app_store: sessionmaker[Session], tmp_path: Path
) -> None:
    """Reads and writes (notes, points) while `siyu import orders` (a process of its own, as in
    production) imports a file batch by batch: every one is served (no 503 after the lock
    wait, no 500), and the import still lands whole."""
    path = ef.write_csv(tmp_path / "big.csv", generic_rows(0, LARGE_IMPORT_ORDERS))
    with app_store() as session:
        workspace = factories.make_workspace(session)
        fans = make_fans(session, workspace.id, 5)
        _token, secret = factories.make_token(session, workspace)
        session.commit()
        slug, workspace_id = workspace.slug, workspace.id
    app = create_app()
    run_loop(_requests(app, secret, fans[:1]))  # warm: the surge must not wait for imports
    engine = app_store.kw["bind"]
    command = [sys.executable, "-m", "siyu.cli", "import", "orders", str(path)]
    importer = subprocess.Popen(
        [*command, "--workspace", slug, "--json", "--report-dir", str(tmp_path)],
        env=os.environ | {"SIYU_DATABASE_URL": _url_of(engine)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for_first_batch(app_store, workspace_id, importer)
        responses = run_loop(_requests(app, secret, fans))
        out, err = importer.communicate(timeout=600)
    finally:
        importer.kill()

    failed = [(r.request.url.path, r.status_code, r.text) for r in responses if r.is_error]
    assert not failed, failed
    assert importer.returncode == 0, err
    assert json.loads(out)["orders_created"] == LARGE_IMPORT_ORDERS


def _url_of(engine: Engine) -> str:
    """The scratch store's URL for another process (on PostgreSQL, with its schema)."""
    url = engine.url
    if url.get_backend_name() == "postgresql":
        with engine.connect() as connection:
            schema = connection.execute(text("SELECT current_schema()")).scalar_one()
        url = url.update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def _wait_for_first_batch(
    factory: sessionmaker[Session], workspace_id: int, importer: subprocess.Popen[str]
) -> None:
    """Until the import has committed orders (it is then mid-file, between its batches)."""
    while importer.poll() is None:
        with factory() as session:
            where = Order.workspace_id == workspace_id
            if session.scalar(select(func.count()).select_from(Order).where(where)):
                return
        time.sleep(0.05)


async def _requests(app: FastAPI, secret: str, fans: list[int]) -> list[httpx.Response]:
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {secret}"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", headers=headers, timeout=120
    ) as client:
        reads = [client.get("/api/v1/customers") for _ in range(6)]
        reads += [client.get(f"/api/v1/customers/{fan}") for fan in fans]
        notes = [
            client.post(f"/api/v1/customers/{fan}/notes", json={"body": "直播间问过尺码"})
            for fan in fans
        ]
        points = [
            client.post(
                "/api/v1/points/adjustments",
                json={
                    "customer_id": fan,
                    "points": 10,
                    "reason": "直播抽奖",
                    "idempotency_key": f"k{fan}-{len(fans)}",
                },
            )
            for fan in fans
        ]
        return list(await asyncio.gather(*reads, *notes, *points))
