"""A lock a long job holds across its short transactions, released when its process dies.

A job that commits chunk by chunk cannot serialise itself with a transaction lock, and a row
saying "running" outlives a killed process. This lock lives outside any transaction and dies
with its holder, so "I could take it" also proves that an earlier holder is gone:

* PostgreSQL: a session-level advisory lock on a connection of its own;
* SQLite: an exclusive ``flock`` on a file beside the store (one open file per holder, so two
  threads of one process exclude each other too).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, func, select

_POLL_SECONDS = 0.2
_memory_locks: dict[str, threading.Lock] = {}
_memory_guard = threading.Lock()


@contextmanager
def job_lock(bind: Engine | Connection, name: str, *, wait: bool = True) -> Iterator[bool]:
    """Hold the lock ``name`` of this store for the block; yields whether it was taken (always
    true when ``wait``)."""
    engine = bind if isinstance(bind, Engine) else bind.engine
    if engine.dialect.name == "postgresql":
        with _advisory(bind, name, wait) as taken:
            yield taken
    elif engine.url.database and engine.url.database != ":memory:":
        with _file_lock(Path(engine.url.database), name, wait) as taken:
            yield taken
    else:
        with _thread_lock(f"{engine.url}:{name}", wait) as taken:
            yield taken


@contextmanager
def _advisory(bind: Engine | Connection, name: str, wait: bool) -> Iterator[bool]:
    key = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)
    # Tests bind every session to one connection: the lock goes on it (and is released below).
    own = isinstance(bind, Engine)
    connection = bind.connect() if isinstance(bind, Engine) else bind
    try:
        taken = True
        if wait:
            connection.execute(select(func.pg_advisory_lock(key)))
        else:
            taken = bool(connection.execute(select(func.pg_try_advisory_lock(key))).scalar())
        if own:
            connection.commit()  # the lock is the session's: no transaction stays open
        try:
            yield taken
        finally:
            if taken:
                connection.execute(select(func.pg_advisory_unlock(key)))
                if own:
                    connection.commit()
    finally:
        if own:
            connection.close()


@contextmanager
def _file_lock(store: Path, name: str, wait: bool) -> Iterator[bool]:
    path = store.with_name(f"{store.name}.{name}.lock")
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        taken = _flock(descriptor, wait)
        try:
            yield taken
        finally:
            if taken:
                fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)


def _flock(descriptor: int, wait: bool) -> bool:
    # Polled rather than blocking, so a waiting thread still answers to interrupts.
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if not wait:
                return False
            time.sleep(_POLL_SECONDS)


@contextmanager
def _thread_lock(key: str, wait: bool) -> Iterator[bool]:
    with _memory_guard:
        lock = _memory_locks.setdefault(key, threading.Lock())
    taken = lock.acquire(blocking=wait)
    try:
        yield taken
    finally:
        if taken:
            lock.release()
