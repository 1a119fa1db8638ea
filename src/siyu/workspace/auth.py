"""Who is calling: an operator's console session (cookie + CSRF) or a workspace API token."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from typing import Annotated

from fastapi import Depends, Request
from fastapi.routing import APIRoute
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.db import read_first, write_beside
from siyu.kit.clock import as_utc, utcnow
from siyu.kit.errors import Forbidden
from siyu.kit.i18n import N_
from siyu.kit.web import DbSession, client_ip
from siyu.workspace import service
from siyu.workspace.audit import Actor
from siyu.workspace.models import ApiToken, ConsoleSession, Membership, Operator, Workspace
from siyu.workspace.roles import Role, Scope
from siyu.workspace.token_cache import bearer_secret, token_invalid

SESSION_COOKIE = "siyu_session"
LOGIN_CSRF_COOKIE = "siyu_login_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SESSION_TOUCH_INTERVAL = timedelta(minutes=5)
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SCOPE_KEY = "x-siyu-scope"  # an operation's required token scope, in the OpenAPI document


class LoginRequired(Exception):
    """Raised on console pages without a live session; answered with a redirect to /login."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


@dataclass
class ConsoleContext:
    operator: Operator
    membership: Membership
    workspace: Workspace
    console_session: ConsoleSession
    ip: str | None
    user_agent: str | None
    db: Session = field(repr=False)

    @cached_property
    def workspace_choices(self) -> list[tuple[int, str]]:
        """The layout's workspace switcher: read once, when a page shows it."""
        return service.workspace_choices(self.db, self.operator.id)

    @property
    def role(self) -> Role:
        return self.membership.role

    @property
    def csrf_token(self) -> str:
        return self.console_session.csrf_token

    def can(self, required: Role) -> bool:
        return service.role_allows(self.role, required)

    def actor(self) -> Actor:
        return Actor("operator", self.operator.id, self.operator.email, self.ip, self.user_agent)


def console_context(request: Request, db: DbSession) -> ConsoleContext:
    with read_first(db):
        context = _console_context(request, db)
    request.state.console = context
    return context


def _console_context(request: Request, db: Session) -> ConsoleContext:
    token = request.cookies.get(SESSION_COOKIE)
    console_session = service.resolve_session(db, token) if token else None
    if console_session is None:
        raise LoginRequired(request.url.path)
    operator = db.get_one(Operator, console_session.operator_id)
    membership = service.console_membership(db, operator.id, console_session.workspace_id)
    if not operator.is_active or membership is None:
        raise LoginRequired(request.url.path)
    if as_utc(console_session.last_seen_at) < utcnow() - SESSION_TOUCH_INTERVAL:
        session_id = console_session.id
        write_beside(db, lambda s: service.touch_session(s, session_id))
    return ConsoleContext(
        operator=operator,
        membership=membership,
        workspace=membership.workspace,
        console_session=console_session,
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent"),
        db=db,
    )


Console = Annotated[ConsoleContext, Depends(console_context)]


async def csrf_protect(request: Request, context: Console) -> None:
    """Unsafe console requests must echo the session's CSRF token (form field or header)."""
    if request.method not in UNSAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent, context.csrf_token):
        raise Forbidden(
            "csrf-failed", title=N_("The form has expired. Reload the page and try again.")
        )


def require_role(required: Role) -> Callable[[ConsoleContext], ConsoleContext]:
    def check(context: Console) -> ConsoleContext:
        if not context.can(required):
            raise Forbidden("role-required", title=N_("Your role does not allow this"))
        return context

    return check


AdminConsole = Annotated[ConsoleContext, Depends(require_role(Role.admin))]
OperatorConsole = Annotated[ConsoleContext, Depends(require_role(Role.operator))]


# --- API tokens -------------------------------------------------------------------------


def needs(scope: Scope) -> dict[str, str]:
    """A route's scope when its method's default (GET: read, others: write) is not the right
    one: ``@router.get(..., openapi_extra=needs(Scope.pii))``. Declared once, shown in the
    OpenAPI document, enforced for every /api/v1 call by ``api_context``."""
    return {SCOPE_KEY: scope.value}


def route_scope(route: APIRoute) -> Scope:
    declared = (route.openapi_extra or {}).get(SCOPE_KEY)
    if declared:
        return Scope(declared)
    return Scope.read if set(route.methods or ()) <= {"GET", "HEAD"} else Scope.write


def scope_missing(scope: Scope) -> Forbidden:
    return Forbidden(
        "token-scope-missing",
        title=N_("The API token lacks the scope this call needs"),
        detail=N_("Create a token with the missing scope for this call."),
        scope=scope.value,
    )


@dataclass
class ApiContext:
    workspace: Workspace
    token: ApiToken
    ip: str | None
    user_agent: str | None

    @property
    def workspace_id(self) -> int:
        return self.workspace.id

    def require(self, scope: Scope) -> None:
        """For a call that needs more than its route's scope (a read that reveals clear PII)."""
        if scope not in self.token.scope_list:
            raise scope_missing(scope)

    def actor(self) -> Actor:
        return Actor("token", self.token.id, self.token.name, self.ip, self.user_agent)


def api_context(request: Request, db: DbSession) -> ApiContext:
    secret = bearer_secret(request)
    with read_first(db):
        context = _api_context(request, db, secret)
    route = request.scope.get("route")
    if isinstance(route, APIRoute):
        context.require(route_scope(route))
    request.state.api = context
    return context


def _api_context(request: Request, db: Session, secret: str) -> ApiContext:
    token = service.resolve_token(db, secret)
    if token is None:
        raise token_invalid()
    if service.token_touch_due(token):
        token_id = token.id
        write_beside(db, lambda s: service.touch_token(s, token_id))
    workspace = db.scalar(select(Workspace).where(Workspace.id == token.workspace_id))
    assert workspace is not None
    return ApiContext(workspace, token, client_ip(request), request.headers.get("user-agent"))


Api = Annotated[ApiContext, Depends(api_context)]
