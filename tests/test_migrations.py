"""Migrations build exactly the schema the models describe, and walk down and up again."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, create_engine, inspect, text

from siyu.config import get_settings
from siyu.db import Base, make_engine
from siyu.migrations import downgrade, upgrade
from siyu.tables import load_models


@pytest.fixture
def scratch_engine(tmp_path: object) -> Iterator[Engine]:
    url = get_settings().database_url
    if url.startswith("postgresql"):
        admin = create_engine(url)
        with admin.begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS migration_check CASCADE"))
            connection.execute(text("CREATE SCHEMA migration_check"))
        engine = create_engine(url, connect_args={"options": "-csearch_path=migration_check"})
        yield engine
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text("DROP SCHEMA migration_check CASCADE"))
        admin.dispose()
    else:
        engine = make_engine(f"sqlite:///{tmp_path}/migrations.db")
        yield engine
        engine.dispose()


def test_upgrade_matches_models_and_round_trips(scratch_engine: Engine) -> None:
    load_models()
    with scratch_engine.connect() as connection:
        upgrade(connection=connection)
        connection.commit()
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"
        tables = set(inspect(connection).get_table_names())
        assert {"workspaces", "operators", "api_tokens", "audit_log", "job_runs"} <= tables
        downgrade("base", connection=connection)
        connection.commit()
        assert set(inspect(connection).get_table_names()) <= {"alembic_version"}
        upgrade(connection=connection)
        connection.commit()


def test_sqlite_connections_are_configured(tmp_path: object) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/pragmas.db")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        wait = get_settings().sqlite_lock_wait_ms
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == wait
    engine.dispose()
