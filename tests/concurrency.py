"""Real parallel transactions: a scratch store with its own schema (PostgreSQL) or file (SQLite),
migrated, committed to for real, and dropped afterwards. For tests that prove invariants hold
under concurrency, which the rolled-back per-test transaction cannot show."""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from siyu.config import get_settings
from siyu.db import make_engine
from siyu.migrations import upgrade

T = TypeVar("T")


@contextmanager
def scratch_store() -> Iterator[sessionmaker[Session]]:
    """A migrated, empty store that real, separate connections commit to."""
    url = get_settings().database_url
    if url.startswith("postgresql"):
        schema = f"siyu_conc_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        admin = make_engine(url)
        with admin.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
        try:
            yield _migrated(engine)
        finally:
            engine.dispose()
            with admin.begin() as connection:
                connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            admin.dispose()
    else:
        with sqlite_store(Path(tempfile.mkdtemp(prefix="siyu-conc-"))) as store:
            yield store


@contextmanager
def sqlite_store(folder: Path) -> Iterator[sessionmaker[Session]]:
    """A migrated, empty SQLite file store in the folder (other processes may open it too)."""
    engine = make_engine(f"sqlite:///{folder / 'store.db'}")
    try:
        yield _migrated(engine)
    finally:
        engine.dispose()


def _migrated(engine: Engine) -> sessionmaker[Session]:
    with engine.connect() as connection:
        upgrade(connection=connection)
        connection.commit()
    return sessionmaker(bind=engine, expire_on_commit=False)


def in_parallel(workers: int, calls: int, action: Callable[[int], T]) -> list[T | BaseException]:
    """Run ``action(i)`` for i in range(calls) on ``workers`` threads; exceptions are returned."""

    def guarded(i: int) -> T | BaseException:
        try:
            return action(i)
        except BaseException as exc:  # the test inspects failures instead of losing them
            return exc

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(guarded, range(calls)))


def run_loop(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` in a thread of its own: the browser tests' driver keeps an event loop
    running in the main thread for the whole session."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, main).result()
