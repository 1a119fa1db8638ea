"""The store: engine, sessions and the declarative base.

One transaction per request, job or command: services flush, the boundary commits
(``transaction()`` here, or the request dependency in ``siyu.web``).
"""

from __future__ import annotations

from collections.abc import Iterator
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
from sqlalchemy.orm import DeclarativeBase, Session, mapped_column, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from siyu.config import get_settings
from siyu.kit.clock import as_utc, utcnow

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
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin_immediate(conn: Any) -> None:
    # Take the write lock at BEGIN so concurrent writers queue on busy_timeout instead of
    # failing with "database is locked" when a read transaction later tries to write.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        _ensure_sqlite_dir(url)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 15}, **kwargs
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        # Let SQLAlchemy own transaction begin so BEGIN IMMEDIATE is used (pysqlite quirk).
        event.listen(engine, "connect", _disable_pysqlite_autobegin)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, **kwargs)


def _disable_pysqlite_autobegin(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    dbapi_connection.isolation_level = None


def _ensure_sqlite_dir(url: str) -> None:
    from pathlib import Path

    if ":memory:" in url or "///" not in url:
        return
    Path(url.split("///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)


class Database:
    """The process's engine and session factory; tests rebind it to one connection."""

    def __init__(self) -> None:
        self._engine: Engine | None = None
        self.session_factory: sessionmaker[Session] = sessionmaker(expire_on_commit=False)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self.configure(make_engine(get_settings().database_url))
        assert self._engine is not None
        return self._engine

    def configure(self, engine: Engine, **session_kwargs: Any) -> None:
        self._engine = engine
        self.session_factory = sessionmaker(bind=engine, expire_on_commit=False, **session_kwargs)

    def bind_connection(self, engine: Engine, connection: Any) -> None:
        """Tests: every session joins one outer transaction (as savepoints) that is rolled back."""
        self._engine = engine
        self.session_factory = sessionmaker(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )

    def reset(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
        self._engine = None

    def session(self) -> Session:
        self.engine  # noqa: B018 - binds the factory on first use
        return self.session_factory()


database = Database()


@contextmanager
def transaction() -> Iterator[Session]:
    """One unit of work for a command or a job: commit on success, roll back on error."""
    session = database.session()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def load_models() -> None:
    """Import every domain's ``models`` module so ``Base.metadata`` knows every table."""
    import importlib
    import pkgutil

    import siyu

    importlib.import_module("siyu.kit.counters")
    for module in pkgutil.iter_modules(siyu.__path__):
        if module.ispkg:
            try:
                importlib.import_module(f"siyu.{module.name}.models")
            except ModuleNotFoundError as exc:
                if exc.name != f"siyu.{module.name}.models":
                    raise
