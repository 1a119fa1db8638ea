"""The store: engine, sessions and the declarative base.

One transaction per request, job or command: services flush, the boundary commits
(``transaction()`` here, or the request dependency in ``siyu.web``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Dialect,
    Engine,
    MetaData,
    TypeDecorator,
    create_engine,
    event,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import (
    DeclarativeBase,
    ORMExecuteState,
    Session,
    mapped_column,
    sessionmaker,
)
from sqlalchemy.pool import ConnectionPoolEntry

from siyu.config import get_settings
from siyu.kit.clock import as_utc, utcnow

log = logging.getLogger("siyu.db")

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# BIGINT ids on PostgreSQL; SQLite only auto-increments an INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(sqlite.INTEGER(), "sqlite")
JsonDoc = JSON().with_variant(postgresql.JSONB(), "postgresql")


class UtcDateTime(TypeDecorator[datetime]):
    """A moment, stored and read as aware UTC on every store.

    SQLite keeps no offset: its values came back naive while PostgreSQL's are aware, so the
    same answer differed by store. Values are written in UTC (SQLite would otherwise keep an
    aware value's wall time and drop its offset) and read back aware.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return as_utc(value) if isinstance(value, datetime) else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return as_utc(value) if isinstance(value, datetime) else value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime(),
        dict[str, Any]: JsonDoc,
    }


def id_column() -> Any:
    return mapped_column(BigId, primary_key=True, autoincrement=True)


def created_at_column() -> Any:
    return mapped_column(UtcDateTime(), default=utcnow, nullable=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={get_settings().sqlite_lock_wait_ms}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


# Execution options a session's engine carries (see ``Database``): a read-only unit of work
# begins deferred; a side write waits less for the lock than the default.
READ_ONLY = "siyu_read_only"
LOCK_WAIT_MS = "siyu_lock_wait_ms"
_CUSTOM_WAIT = "siyu_custom_lock_wait"


def _sqlite_begin(conn: Any) -> None:
    """Read-only units of work begin deferred: in WAL mode they read a snapshot beside the
    writer and never take the write lock. Every other unit of work takes the write lock at
    BEGIN, so read-then-write code is serialised instead of failing with "database is locked"
    when another connection wrote in between."""
    options = conn.get_execution_options()
    wait = options.get(LOCK_WAIT_MS)
    if wait is not None:
        conn.exec_driver_sql(f"PRAGMA busy_timeout={int(wait)}")
        conn.info[_CUSTOM_WAIT] = True
    elif conn.info.pop(_CUSTOM_WAIT, False):
        conn.exec_driver_sql(f"PRAGMA busy_timeout={get_settings().sqlite_lock_wait_ms}")
    conn.exec_driver_sql("BEGIN" if options.get(READ_ONLY) else "BEGIN IMMEDIATE")


def make_engine(url: str, **kwargs: Any) -> Engine:
    settings = get_settings()
    sizing: dict[str, Any] = {
        "pool_size": settings.pool_size,
        "max_overflow": 0,
        "pool_timeout": settings.db_pool_timeout,
    }
    if url.startswith("sqlite"):
        _ensure_sqlite_dir(url)
        memory = ":memory:" in url or "///" not in url
        engine = create_engine(
            url,
            connect_args={
                "check_same_thread": False,
                "timeout": settings.sqlite_lock_wait_ms / 1000,
            },
            **({} if memory else sizing),
            **kwargs,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        # Let SQLAlchemy own transaction begin so the BEGIN is ours (pysqlite quirk).
        event.listen(engine, "connect", _disable_pysqlite_autobegin)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, **(sizing | kwargs))


def _disable_pysqlite_autobegin(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    dbapi_connection.isolation_level = None


def _ensure_sqlite_dir(url: str) -> None:
    from pathlib import Path

    if ":memory:" in url or "///" not in url:
        return
    Path(url.split("///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)


class Database:
    """The process's engine and session factories; tests rebind them to one connection.

    ``session()`` is a unit of work that may write (on SQLite it takes the write lock at its
    first statement); ``session(read_only=True)`` only reads (on SQLite a deferred
    transaction that never waits for the write lock)."""

    def __init__(self) -> None:
        self._engine: Engine | None = None
        self.session_factory: sessionmaker[Session] = sessionmaker(expire_on_commit=False)
        self.read_factory: sessionmaker[Session] = sessionmaker(expire_on_commit=False)
        self.side_factory: sessionmaker[Session] = sessionmaker(expire_on_commit=False)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self.configure(make_engine(get_settings().database_url))
        assert self._engine is not None
        return self._engine

    def configure(self, engine: Engine, **session_kwargs: Any) -> None:
        self._engine = engine
        self.session_factory = sessionmaker(bind=engine, expire_on_commit=False, **session_kwargs)
        self.read_factory = sessionmaker(
            bind=engine.execution_options(**{READ_ONLY: True}),
            expire_on_commit=False,
            info={READ_ONLY: True},
            **session_kwargs,
        )
        self.side_factory = sessionmaker(
            bind=engine.execution_options(**{LOCK_WAIT_MS: SIDE_WRITE_LOCK_WAIT_MS}),
            expire_on_commit=False,
            **session_kwargs,
        )

    def bind_connection(self, engine: Engine, connection: Any) -> None:
        """Tests: every session joins one outer transaction (as savepoints) that is rolled back."""
        self._engine = engine
        self.session_factory = _joined(connection)
        self.read_factory = _joined(connection, info={READ_ONLY: True})
        self.side_factory = _joined(connection)

    def reset(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
        self._engine = None

    def session(self, *, read_only: bool = False) -> Session:
        self.engine  # noqa: B018 - binds the factories on first use
        return self.read_factory() if read_only else self.session_factory()


def _joined(connection: Any, **kwargs: Any) -> sessionmaker[Session]:
    return sessionmaker(
        bind=connection,
        expire_on_commit=False,
        join_transaction_mode="create_savepoint",
        **kwargs,
    )


database = Database()
SIDE_WRITE_LOCK_WAIT_MS = 250


@contextmanager
def transaction(*, read_only: bool = False) -> Iterator[Session]:
    """One unit of work for a command or a job: commit on success, roll back on error."""
    session = database.session(read_only=read_only)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def side_write(work: Callable[[Session], object], *, required: bool = False) -> bool:
    """A small write beside the caller's unit of work, in a short transaction of its own.

    A touch (of a token or a console session while serving a read) is skipped, not waited
    for, when the store is busy: returns whether it was written. A ``required`` write (the
    audit entry of a read of personal data) waits as any writer does and raises when busy, so
    the read it records fails with it."""
    database.engine  # noqa: B018 - binds the factories on first use
    session = database.session() if required else database.side_factory()
    try:
        work(session)
        session.commit()
        return True
    except (OperationalError, PoolTimeout) as exc:
        session.rollback()
        if required or not is_store_busy(exc):
            raise
        log.info("side write skipped, the store is busy: %s", exc)
        return False
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def write_beside(
    session: Session, work: Callable[[Session], object], *, required: bool = False
) -> None:
    """A small write that serves a request of either kind: it joins a unit of work that may
    write, and goes through ``side_write`` beside a read-only one."""
    if is_read_only(session):
        side_write(work, required=required)
    else:
        work(session)


def is_read_only(session: Session) -> bool:
    return bool(session.info.get(READ_ONLY))


@contextmanager
def read_first(session: Session) -> Iterator[None]:
    """The opening reads of a writing request (who is calling) as a read-only transaction of
    their own, committed when the block ends. On SQLite the write lock is then taken by the
    endpoint's own work, in its worker thread, and is never held across the wait for that
    thread. Writes in the block go beside it (``write_beside``)."""
    bind = session.get_bind()
    if is_read_only(session) or session.in_transaction() or bind.dialect.name != "sqlite":
        yield
        return
    session.info[READ_ONLY] = True
    try:
        if isinstance(bind, Engine):  # tests bind sessions to one connection
            session.connection(execution_options={READ_ONLY: True})
        yield
    finally:
        session.info.pop(READ_ONLY, None)
    session.commit()


_BUSY_MARKERS = (
    "database is locked",  # SQLite: the write lock was not free within the wait
    "database table is locked",
    "too many clients",  # PostgreSQL: max_connections reached
    "remaining connection slots are reserved",
)


def is_store_busy(exc: BaseException) -> bool:
    """The store could not serve now but will soon: a lock or connection wait ran out."""
    if isinstance(exc, PoolTimeout):
        return True
    if isinstance(exc, OperationalError):
        message = str(exc.orig if exc.orig is not None else exc).lower()
        return any(marker in message for marker in _BUSY_MARKERS)
    return False


# --- read-only units of work ------------------------------------------------------------------


class WriteInReadOnlySession(RuntimeError):
    """A read-only unit of work tried to write: it must use ``side_write`` or an unsafe method."""


def _refuse_writes(session: Session, message: str) -> None:
    if get_settings().env == "test":
        raise WriteInReadOnlySession(message)
    log.warning("%s (on SQLite it may fail when another writer committed meanwhile)", message)


@event.listens_for(Session, "before_flush")
def _check_read_only_flush(session: Session, _context: Any, _instances: Any) -> None:
    if not session.info.get(READ_ONLY):
        return
    dirty = [o for o in session.dirty if session.is_modified(o)]
    changed = sorted({type(o).__name__ for o in (*session.new, *dirty, *session.deleted)})
    if changed:
        _refuse_writes(session, f"a read-only unit of work changes {changed}")


@event.listens_for(Session, "do_orm_execute")
def _check_read_only_statement(state: ORMExecuteState) -> None:
    if state.session.info.get(READ_ONLY) and (
        state.is_insert or state.is_update or state.is_delete
    ):
        _refuse_writes(state.session, f"a read-only unit of work runs {state.statement}")
