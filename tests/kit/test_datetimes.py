"""Moments read back aware UTC on both stores, so API answers are the same whatever the store:
what a GET answers is exactly what the POST that wrote it answered, with its ``Z``."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.customers import service
from siyu.customers.identities import FanKey
from siyu.customers.models import Customer
from siyu.workspace.models import Workspace

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _fan(session: Session, workspace: Workspace, seen_at: datetime) -> int:
    (fan_id,) = service.resolve_customers(
        session, workspace.id, [FanKey("douyin", "dy_1", None, seen_at=seen_at)]
    ).customer_ids
    session.commit()
    assert fan_id is not None
    return int(fan_id)


def test_a_moment_reads_back_aware_utc(session: Session, workspace: Workspace) -> None:
    fan_id = _fan(session, workspace, datetime(2024, 6, 18, 20, 0, tzinfo=SHANGHAI))
    session.expire_all()

    seen = session.scalar(select(Customer.first_seen_at).where(Customer.id == fan_id))

    assert seen == datetime(2024, 6, 18, 12, 0, tzinfo=UTC)
    assert seen is not None and seen.utcoffset() is not None and seen.tzinfo == UTC


def test_get_answers_the_moments_the_post_answered(
    api: TestClient, session: Session, workspace: Workspace
) -> None:
    fan_id = _fan(session, workspace, datetime(2024, 6, 18, 20, 0, tzinfo=SHANGHAI))

    fan = api.get(f"/api/v1/customers/{fan_id}").json()
    listed = api.get("/api/v1/customers").json()["items"][0]
    posted = api.post("/api/v1/segments", json={"name": "全部", "filter": ""}).json()
    got = api.get(f"/api/v1/segments/{posted['id']}").json()

    assert fan["first_seen_at"] == "2024-06-18T12:00:00Z"
    assert listed["first_seen_at"] == fan["first_seen_at"]
    assert posted["created_at"].endswith("Z")
    assert (got["created_at"], got["updated_at"]) == (posted["created_at"], posted["updated_at"])
