"""Every /api/v1 route demands a token (isolation between workspaces: tests/test_isolation.py)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from siyu.workspace.models import Workspace


def _api_routes(app: object) -> list[tuple[str, str]]:
    """Every documented /api/v1 operation, path parameters filled with 1."""
    routes = []
    for path, operations in app.openapi()["paths"].items():  # type: ignore[attr-defined]
        if path.startswith("/api/v1"):
            concrete = re.sub(r"\{[^}]+\}", "1", path)
            routes += [(method.upper(), concrete) for method in operations]
    assert routes, "no API routes found"
    return routes


def test_every_route_rejects_a_missing_or_bad_token(app: object, client: TestClient) -> None:
    for method, path in _api_routes(app):
        for headers in ({}, {"Authorization": "Bearer siyu_forged"}, {"Authorization": "Basic x"}):
            response = client.request(method, path, headers=headers, json={})
            assert response.status_code == 401, (method, path, headers)
            assert response.headers["content-type"].startswith("application/problem+json")
            body = response.json()
            assert body["type"] in (
                "urn:siyu:problem:token-missing",
                "urn:siyu:problem:token-invalid",
            )
            assert response.headers["www-authenticate"].startswith("Bearer")


def test_workspace_and_tokens(api: TestClient, workspace: Workspace) -> None:
    me = api.get("/api/v1/workspace").json()
    assert (me["id"], me["slug"]) == (workspace.id, workspace.slug)
    tokens = api.get("/api/v1/tokens").json()
    assert tokens["next_cursor"] is None and len(tokens["items"]) == 1
    assert "token_digest" not in tokens["items"][0]
    assert tokens["items"][0]["last_used_at"] is not None


def test_revoked_token_stops_working_at_once(api: TestClient) -> None:
    token_id = api.get("/api/v1/tokens").json()["items"][0]["id"]
    assert api.delete(f"/api/v1/tokens/{token_id}").json()["revoked_at"]
    assert api.get("/api/v1/workspace").status_code == 401


def test_audit_log_pages(api: TestClient) -> None:
    page = api.get("/api/v1/audit-log", params={"limit": 1}).json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = api.get("/api/v1/audit-log", params={"cursor": page["next_cursor"]}).json()
    assert rest["items"][0]["id"] < page["items"][0]["id"]
    bad = api.get("/api/v1/audit-log", params={"cursor": "@@@"})
    assert bad.status_code == 400 and bad.json()["type"] == "urn:siyu:problem:invalid-cursor"


@pytest.mark.parametrize(("accept", "title"), [("en", "Not found"), ("zh-CN", "资源不存在")])
def test_problem_titles_follow_accept_language(api: TestClient, accept: str, title: str) -> None:
    response = api.get("/api/v1/nothing-here", headers={"Accept-Language": accept})
    assert response.status_code == 404
    assert response.json()["title"] == title


def test_invalid_query_is_a_problem_with_field_details(api: TestClient) -> None:
    response = api.get("/api/v1/audit-log", params={"limit": 0})
    assert response.status_code == 422
    body = response.json()
    assert body["type"] == "urn:siyu:problem:validation-error"
    assert body["errors"][0]["field"] == "query.limit"


def test_openapi_documents_bearer_auth(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/api/v1/workspace" in spec["paths"]
    assert spec["info"]["title"] == "Siyu API"
