"""Ids in a body are checked in the caller's workspace: another workspace's operator or group
(or one that exists nowhere) is refused with a 422 naming the field, never stored, never a 500."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from siyu.community import service
from siyu.kit.errors import Problem
from siyu.kit.sql import check_in_workspace, ids_in_workspace
from siyu.workspace.audit import SYSTEM
from siyu.workspace.models import Membership, Workspace
from siyu.workspace.roles import Role
from tests import factories

NOWHERE = 987_654_321


@pytest.fixture
def other(session: Session) -> dict[str, int]:
    theirs = factories.make_workspace(session, name="别家")
    operator = factories.make_operator(session, theirs, Role.admin)
    group = service.create_group(session, theirs.id, SYSTEM, name="别家群", external_ref="t-1")
    session.commit()
    return {"operator": operator.id, "group": group.id}


def _refused(response: Any, field: str) -> None:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["type"] == "urn:siyu:problem:unknown-reference"
    assert body["errors"][0]["field"] == field


def test_a_group_names_only_this_workspaces_operators(
    api: TestClient, session: Session, workspace: Workspace, other: dict[str, int]
) -> None:
    mine = factories.make_operator(session, workspace).id
    session.commit()
    for owner in (other["operator"], NOWHERE):
        body = {"name": "群", "owner_operator_id": owner}
        _refused(api.post("/api/v1/groups", json=body), "owner_operator_id")
    body = {"name": "群", "owner_operator_id": mine, "operator_ids": [mine, other["operator"]]}
    _refused(api.post("/api/v1/groups", json=body), "operator_ids")
    group = api.post("/api/v1/groups", json={"name": "群", "owner_operator_id": mine}).json()
    patch = api.patch(f"/api/v1/groups/{group['id']}", json={"operator_ids": [NOWHERE]})
    _refused(patch, "operator_ids")
    assert api.get(f"/api/v1/groups/{group['id']}").json()["operator_ids"] == []


def test_a_ticket_is_assigned_only_to_this_workspaces_operators(
    api: TestClient, session: Session, workspace: Workspace, other: dict[str, int]
) -> None:
    service.create_group(session, workspace.id, SYSTEM, name="我的群", external_ref="g-1")
    session.commit()
    rule = {"name": "售后", "match": "any", "keywords": ["退款"], "reply": "好", "kind": "handoff"}
    assert api.post("/api/v1/autoreply/rules", json=rule).status_code == 201
    message = {
        "msg_id": "m-1",
        "chat": "group",
        "group_ref": "g-1",
        "sender_ref": "fan-1",
        "sender_role": "fan",
        "sent_at": datetime(2026, 11, 20, 12, tzinfo=UTC).isoformat(),
        "text": "我要退款",
    }
    ticket = api.post("/api/v1/messages:batch", json={"messages": [message]}).json()["tickets"][0]
    for assignee in (other["operator"], NOWHERE):
        patch = api.patch(
            f"/api/v1/tickets/{ticket['id']}", json={"assignee_operator_id": assignee}
        )
        _refused(patch, "assignee_operator_id")
    assert api.get(f"/api/v1/tickets/{ticket['id']}").json()["assignee_operator_id"] is None


def test_an_autoreply_scope_names_only_this_workspaces_groups(
    api: TestClient, other: dict[str, int]
) -> None:
    rule = {"name": "规格", "match": "any", "keywords": ["SKU"], "reply": "见置顶"}
    for group in (other["group"], NOWHERE):
        body = rule | {"scope": {"group_ids": [group]}}
        _refused(api.post("/api/v1/autoreply/rules", json=body), "scope.group_ids")
    created = api.post("/api/v1/autoreply/rules", json=rule).json()
    patch = {"scope": {"group_ids": [other["group"]]}}
    _refused(api.patch(f"/api/v1/autoreply/rules/{created['id']}", json=patch), "scope.group_ids")


def test_the_batch_helper(session: Session, workspace: Workspace, other: dict[str, int]) -> None:
    mine = factories.make_operator(session, workspace).id
    found = ids_in_workspace(
        session, Membership, workspace.id, [mine, other["operator"]], key="operator_id"
    )
    assert found == {mine}
    check_in_workspace(session, Membership, workspace.id, [mine, None], "x", key="operator_id")
    with pytest.raises(Problem) as refused:
        check_in_workspace(session, Membership, workspace.id, [NOWHERE], "who", key="operator_id")
    assert refused.value.errors == [{"field": "who", "message": "not found in this workspace"}]
