"""Points settings and auto-conversion can be set: API (admin scope), console, and their effect."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.loyalty import conversions, service
from siyu.workspace.models import AuditEntry, Workspace
from siyu.workspace.roles import Role, Scope
from tests import factories

from . import helpers as h

DEFAULTS = {
    "points_per_yuan": 1,
    "expiry_months": 12,
    "vesting_days": 15,
    "expiring_soon_days": 30,
    "gift_approval_threshold_fen": 5000,
    "default_gift_budget_fen": 50000,
}


def test_settings_api_reads_replaces_and_is_audited(
    api: TestClient, session: Session, workspace: Workspace
) -> None:
    assert api.get("/api/v1/points/settings").json() == DEFAULTS
    put = api.put("/api/v1/points/settings", json={"points_per_yuan": 3, "expiry_months": 6})
    assert put.status_code == 200, put.text
    assert put.json() == {**DEFAULTS, "points_per_yuan": 3, "expiry_months": 6}
    session.expire_all()
    assert service.settings_of(session, workspace.id).points_per_yuan == 3
    assert api.get("/api/v1/points/settings").json()["expiry_months"] == 6
    again = api.put("/api/v1/points/settings", json={"vesting_days": 0})
    assert again.json() == {**DEFAULTS, "vesting_days": 0}  # a replacement, not a patch
    actions = session.scalars(
        select(AuditEntry.action).where(AuditEntry.workspace_id == workspace.id)
    ).all()
    assert actions.count("points.settings") == 2


def test_settings_api_refuses_bad_values_and_needs_admin(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    _token, admin = factories.make_token(session, workspace, "admin")
    _token, writer = factories.make_token(session, workspace, "w", (Scope.read, Scope.write))
    session.commit()
    as_admin = {"Authorization": f"Bearer {admin}"}
    for body in ({"expiry_months": 0}, {"points_per_yuan": -1}, {"unknown": 1}):
        refused = client.put("/api/v1/points/settings", json=body, headers=as_admin)
        assert refused.status_code == 422, body
    as_writer = {"Authorization": f"Bearer {writer}"}
    assert client.get("/api/v1/points/settings", headers=as_writer).status_code == 200
    forbidden = client.put("/api/v1/points/settings", json={}, headers=as_writer)
    assert forbidden.status_code == 403


def test_auto_convert_is_set_per_fan_and_converts(
    api: TestClient, session: Session, workspace: Workspace
) -> None:
    order = h.order(session, workspace.id, "lulu", paid_fen=10_000)
    session.commit()
    fan = order.customer_id
    url = f"/api/v1/customers/{fan}/points/auto-convert"
    on = api.put(url, json={"enabled": True})
    assert on.status_code == 200, on.text
    assert on.json()["auto_convert"] is True
    assert conversions.auto_convert(session, workspace.id) == 1
    assert api.put(url, json={"enabled": False}).json()["auto_convert"] is False
    unknown = api.put("/api/v1/customers/999999/points/auto-convert", json={"enabled": True})
    assert unknown.status_code == 404


def test_console_saves_settings_and_shows_a_refusal(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    operator = factories.make_operator(session, workspace, Role.admin)
    session.commit()
    assert factories.login(client, operator.email).status_code == 303
    csrf = factories.csrf_of(client, "/loyalty/rules")
    form = {"csrf_token": csrf, "points_per_yuan": "2", "gift_approval_threshold": "80"}
    saved = client.post("/loyalty/settings", data=form, follow_redirects=False)
    assert saved.status_code == 303
    session.expire_all()
    settings = service.settings_of(session, workspace.id)
    assert (settings.points_per_yuan, settings.gift_approval_threshold_fen) == (2, 8000)
    refused = client.post("/loyalty/settings", data={**form, "expiry_months": "0"})
    assert refused.status_code == 422
    assert 'value="0"' in refused.text
