"""Camps over the API: create with a task per day, check in, the progress board."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from siyu.kit.clock import today
from siyu.workspace.models import Workspace
from tests import factories
from tests.engagement.helpers import TASKS, group_with_members


def test_camp_lifecycle(api: TestClient, session: Session, workspace: Workspace) -> None:
    group_id, (fan,) = group_with_members(session, workspace.id, 1)
    session.commit()
    body = {
        "group_id": group_id,
        "title": "七天早起打卡",
        "starts_on": today("Asia/Shanghai").isoformat(),
        "tasks": TASKS,
        "reward_points": 30,
    }
    created = api.post("/api/v1/camps", json=body)
    assert created.status_code == 201, created.text
    camp = created.json()
    assert (camp["days"], camp["state"], camp["today"]) == (7, "running", 1)
    assert camp["tasks"][0] == {"day": 1, "text": TASKS[0]}
    url = f"/api/v1/camps/{camp['id']}"
    done = api.post(f"{url}/check-ins", json={"customer_id": fan, "note": "喝了温水"})
    assert done.status_code == 201 and done.json()["day"] == 1
    again = api.post(f"{url}/check-ins", json={"customer_id": fan, "note": "again"})
    assert again.status_code == 409
    assert again.json()["type"] == "urn:siyu:problem:already-checked-in"
    board = api.get(f"{url}/progress").json()["items"]
    assert board == [
        {"customer_id": fan, "days": [1], "checked": 1, "streak": 1, "completed": False}
    ]
    assert [c["id"] for c in api.get("/api/v1/camps").json()["items"]] == [camp["id"]]


def test_bad_camps_and_foreign_ids(api: TestClient, session: Session, workspace: Workspace) -> None:
    other = factories.make_workspace(session)
    theirs, _ = group_with_members(session, other.id, 0)
    session.commit()
    body = {"group_id": theirs, "title": "打卡", "starts_on": "2026-12-01", "tasks": ["a"]}
    assert api.post("/api/v1/camps", json=body).status_code == 422
    assert api.post("/api/v1/camps", json={**body, "tasks": []}).status_code == 422
    assert api.get("/api/v1/camps/999999").status_code == 404
