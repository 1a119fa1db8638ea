"""Test set-up: SQLite by default, PostgreSQL and Redis when SIYU_TEST_DATABASE_URL and
SIYU_TEST_REDIS_URL are set. Each test runs inside one transaction that is rolled back."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

TEST_DATABASE_URL = os.environ.get("SIYU_TEST_DATABASE_URL")
TEST_REDIS_URL = os.environ.get("SIYU_TEST_REDIS_URL")
_TMP = Path(tempfile.mkdtemp(prefix="siyu-tests-"))

# Settings are read from the environment: pin them before any siyu module caches them.
os.environ.update(
    SIYU_ENV="test",
    SIYU_DATABASE_URL=TEST_DATABASE_URL or f"sqlite:///{_TMP / 'siyu.db'}",
    SIYU_JOBS_INLINE="true",
    SIYU_SCHEDULER_ENABLED="false",
    SIYU_PII_KEY="test-pii-key-not-secret",
    SIYU_SECRET_KEY="test-secret-key-not-secret",
)
os.environ.pop("SIYU_BROKER_URL", None)
if TEST_REDIS_URL:
    os.environ["SIYU_REDIS_URL"] = TEST_REDIS_URL
else:
    os.environ.pop("SIYU_REDIS_URL", None)

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from siyu.config import get_settings, reset_settings_cache  # noqa: E402
from siyu.db import database, make_engine  # noqa: E402
from siyu.kit.redis import get_redis, reset_redis  # noqa: E402
from tests import factories  # noqa: E402

reset_settings_cache()
reset_redis()


def pytest_report_header() -> list[str]:
    return [
        f"siyu store: {get_settings().database_url.split('@')[-1]}",
        f"siyu redis: {TEST_REDIS_URL or 'none (SQL counters)'}",
    ]


@pytest.fixture(scope="session")
def engine() -> Iterator[Engine]:
    """A fresh schema built by the real migrations. On PostgreSQL each test session gets a
    schema of its own, so parallel runs against one test database never collide."""
    url = get_settings().database_url
    if not url.startswith("postgresql"):
        engine = make_engine(url)
        _migrate(engine)
        yield engine
        engine.dispose()
        return
    schema = f"siyu_test_{os.getpid()}"
    admin = make_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    _migrate(engine)
    yield engine
    engine.dispose()
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    admin.dispose()


def _migrate(engine: Engine) -> None:
    from siyu.migrations import upgrade

    with engine.connect() as connection:
        upgrade(connection=connection)
        connection.commit()


@pytest.fixture
def connection(engine: Engine) -> Iterator[object]:
    connection = engine.connect()
    outer = connection.begin()
    database.bind_connection(engine, connection)
    try:
        yield connection
    finally:
        outer.rollback()
        connection.close()
        database.reset()


@pytest.fixture(autouse=True)
def _clean_redis() -> Iterator[None]:
    client = get_redis()
    if client is not None:
        client.flushdb()
    yield


@pytest.fixture
def session(connection: object) -> Iterator[Session]:
    session = database.session()
    yield session
    session.close()


@pytest.fixture
def app(connection: object) -> object:
    from siyu.app import create_app

    return create_app()


@pytest.fixture
def client(app: object) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as test_client:  # type: ignore[arg-type]
        yield test_client


@pytest.fixture
def workspace(session: Session) -> object:
    ws = factories.make_workspace(session)
    session.commit()
    return ws


@pytest.fixture
def api(client: TestClient, session: Session, workspace: object) -> TestClient:
    """The test client, authenticated with a token of ``workspace``."""
    _token, secret = factories.make_token(session, workspace)
    session.commit()
    client.headers["Authorization"] = f"Bearer {secret}"
    return client
