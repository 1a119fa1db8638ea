"""REST endpoints of the workspace domain (all scoped to the token's workspace)."""

from __future__ import annotations

from fastapi import APIRouter, Query

from siyu.kit.bounds import Int64
from siyu.kit.pagination import Page
from siyu.kit.web import DbSession
from siyu.workspace import audit, service
from siyu.workspace.auth import Api, needs
from siyu.workspace.roles import Scope
from siyu.workspace.schemas import AuditEntryOut, TokenOut, WorkspaceOut

router = APIRouter(tags=["workspace"])


@router.get("/workspace", response_model=WorkspaceOut)
def current_workspace(api: Api) -> WorkspaceOut:
    """The workspace the calling token belongs to."""
    return WorkspaceOut.model_validate(api.workspace)


@router.get("/tokens", response_model=Page[TokenOut], openapi_extra=needs(Scope.admin))
def list_tokens(api: Api, db: DbSession) -> Page[TokenOut]:
    tokens = service.list_tokens(db, api.workspace_id)
    return Page(items=[TokenOut.model_validate(t) for t in tokens], next_cursor=None)


@router.delete("/tokens/{token_id}", response_model=TokenOut, openapi_extra=needs(Scope.admin))
def revoke_token(token_id: Int64, api: Api, db: DbSession) -> TokenOut:
    return TokenOut.model_validate(
        service.revoke_token(db, api.workspace_id, token_id, api.actor())
    )


@router.get("/audit-log", response_model=Page[AuditEntryOut], openapi_extra=needs(Scope.admin))
def list_audit_log(
    api: Api,
    db: DbSession,
    action: str | None = Query(default=None, description="Action prefix, e.g. `token.`"),
    cursor: str | None = None,
    limit: int = Query(default=50, ge=1, le=200),
) -> Page[AuditEntryOut]:
    entries, next_cursor = audit.list_entries(
        db, api.workspace_id, action=action, cursor=cursor, limit=limit
    )
    return Page(items=[AuditEntryOut.model_validate(e) for e in entries], next_cursor=next_cursor)
