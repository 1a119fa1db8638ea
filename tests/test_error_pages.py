"""Console error paths answer pages in the console's layout: 404 for unknown or malformed ids,
403 for a role's refusal, never a 500 (the page renders in a session of its own)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from siyu.workspace.models import Workspace
from siyu.workspace.roles import Role
from tests import factories

HTML = {"accept": "text/html"}


@pytest.mark.parametrize(
    "path",
    [
        "/customers/999999",
        "/customers/abc",
        "/coupons/campaigns/9999",
        "/loyalty/items/9999",
        "/analytics/segments/9999",
        "/community/groups/99999",
        "/orders/imports/9999",
        "/orders/imports/abc",
        "/no-such-page",
    ],
)
def test_unknown_and_malformed_ids_are_404_pages(
    client: TestClient, session: Session, workspace: Workspace, path: str
) -> None:
    factories.sign_in(client, session, workspace, Role.operator)
    page = client.get(path, headers=HTML)
    assert page.status_code == 404, page.text
    assert 'class="sidebar"' in page.text and 'class="card narrow error-card"' in page.text


@pytest.mark.parametrize(
    ("role", "path"),
    [
        (Role.analyst, "/settings/tokens"),
        (Role.analyst, "/coupons/campaigns/new"),
        (Role.operator, "/settings/audit"),
    ],
)
def test_role_refusals_are_403_pages(
    client: TestClient, session: Session, workspace: Workspace, role: Role, path: str
) -> None:
    factories.sign_in(client, session, workspace, role)
    page = client.get(path, headers=HTML)
    assert page.status_code == 403, page.text
    assert 'class="sidebar"' in page.text and "你的角色没有这项权限" in page.text
    assert 'name="csrf_token"' in page.text  # the layout read the session's CSRF token


def test_a_malformed_id_stays_a_field_error_on_the_api(api: TestClient) -> None:
    answer = api.get("/api/v1/customers/abc")
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")


def test_a_malformed_id_is_404_for_scripts_too(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    factories.sign_in(client, session, workspace, Role.operator)
    answer = client.get("/orders/imports/abc/rejects.csv")
    assert answer.status_code == 404


def test_favicon(client: TestClient) -> None:
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg")


def test_a_busy_store_is_a_503_page_to_retry(app: Any, client: TestClient) -> None:
    def locked() -> None:
        raise OperationalError("BEGIN IMMEDIATE", {}, Exception("database is locked"))

    app.add_api_route("/test-store-busy", locked)
    page = client.get("/test-store-busy", headers=HTML)
    assert page.status_code == 503 and int(page.headers["retry-after"]) > 0
    assert "正忙" in page.text
    answer = client.get("/test-store-busy")
    assert answer.json()["type"] == "urn:siyu:problem:store-busy"
