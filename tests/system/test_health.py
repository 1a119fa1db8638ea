from __future__ import annotations

from fastapi.testclient import TestClient

from siyu.kit.redis import get_redis


def test_healthz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_checks_the_store_and_redis(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    checks = response.json()["checks"]
    assert checks["database"] == "ok"
    assert ("redis" in checks) == (get_redis() is not None)


def test_readyz_reports_an_unreachable_store(client: TestClient, monkeypatch: object) -> None:
    from sqlalchemy import create_engine

    from siyu.db import database

    broken = create_engine(
        "postgresql+psycopg://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 1}
    )
    monkeypatch.setattr(database, "_engine", broken)  # type: ignore[attr-defined]
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"].startswith("error")
