"""API token scopes: every operation needs the scope the OpenAPI document declares for it
(GET read, other methods write, unless the route names pii or admin), and a token without it
gets 403 problem+json naming the missing scope."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from siyu.kit.errors import Problem
from siyu.workspace import service
from siyu.workspace.auth import SCOPE_KEY
from siyu.workspace.models import Workspace
from siyu.workspace.roles import Scope
from tests import factories
from tests.coupons import make_fans

# The operations that need more than their method's scope. A new route that handles personal
# data or administration must be added here and declare it (``openapi_extra=needs(...)``).
PII = {
    ("GET", "/api/v1/customers/{customer_id}/export"),
    ("GET", "/api/v1/segments/{segment_id}/export"),
}
ADMIN = {
    ("GET", "/api/v1/tokens"),
    ("DELETE", "/api/v1/tokens/{token_id}"),
    ("GET", "/api/v1/audit-log"),
    ("PUT", "/api/v1/analytics/settings"),
    ("PUT", "/api/v1/points/settings"),
    ("PUT", "/api/v1/outreach/settings"),
}


def _operations(app: Any) -> list[tuple[str, str, Scope]]:
    operations = []
    for path, methods in app.openapi()["paths"].items():
        if not path.startswith("/api/v1"):
            continue
        for method, operation in methods.items():
            declared = operation.get(SCOPE_KEY)
            by_method = Scope.read if method == "get" else Scope.write
            operations.append((method.upper(), path, Scope(declared) if declared else by_method))
    assert operations
    return operations


def test_the_document_declares_the_pii_and_admin_operations(app: Any) -> None:
    declared = {(m, p): s for m, p, s in _operations(app)}
    assert {op for op, s in declared.items() if s is Scope.pii} == PII
    assert {op for op, s in declared.items() if s is Scope.admin} == ADMIN


def _headers(session: Session, workspace: Workspace, scopes: tuple[Scope, ...]) -> dict[str, str]:
    _token, secret = factories.make_token(session, workspace, name="-".join(scopes), scopes=scopes)
    return {"Authorization": f"Bearer {secret}"}


def test_every_operation_needs_its_scope(
    app: Any, client: TestClient, session: Session, workspace: Workspace
) -> None:
    without = {s: _headers(session, workspace, tuple(x for x in Scope if x != s)) for s in Scope}
    only = {s: _headers(session, workspace, (s,)) for s in Scope}
    session.commit()
    for method, path, scope in _operations(app):
        concrete = re.sub(r"\{[^}]+\}", "987654321", path)  # no row: nothing changes
        refused = client.request(method, concrete, headers=without[scope], json={})
        assert refused.status_code == 403, (method, path, scope, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")
        body = refused.json()
        assert body["type"] == "urn:siyu:problem:token-scope-missing"
        assert body["scope"] == scope.value, (method, path)
        allowed = client.request(method, concrete, headers=only[scope], json={})
        assert allowed.status_code != 403 or "token-scope-missing" not in allowed.text, (
            method,
            path,
        )


def test_a_read_only_token_reads_but_cannot_write_or_reveal(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    fan = make_fans(session, workspace.id, 1)[0]
    headers = _headers(session, workspace, (Scope.read,))
    session.commit()
    assert client.get("/api/v1/customers", headers=headers).status_code == 200
    write = client.post("/api/v1/segments", headers=headers, json={"name": "x", "filter": ""})
    assert (write.status_code, write.json()["scope"]) == (403, "write")
    assert client.get("/api/v1/tokens", headers=headers).json()["scope"] == "admin"
    reveal = client.get(f"/api/v1/customers/{fan}?reveal=phone", headers=headers)
    assert (reveal.status_code, reveal.json()["scope"]) == (403, "pii")
    assert client.get(f"/api/v1/customers/{fan}", headers=headers).status_code == 200


def test_scopes_are_chosen_at_creation(session: Session, workspace: Workspace) -> None:
    token, _ = service.create_token(session, workspace.id, "default", factories.ACTOR)
    assert token.scope_list == [Scope.read, Scope.write]
    assert service.parse_scopes("admin, read") == (Scope.read, Scope.admin)
    for bad in ("", "read,root", " , "):
        with pytest.raises(Problem) as refused:
            service.parse_scopes(bad)
        assert refused.value.slug == "invalid-scopes"


def test_the_token_list_shows_scopes(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    headers = _headers(session, workspace, (Scope.read, Scope.admin))
    session.commit()
    tokens = client.get("/api/v1/tokens", headers=headers).json()["items"]
    assert tokens[0]["scopes"] == ["read", "admin"]
