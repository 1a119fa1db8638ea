"""Console pages: sign-in, workspace switching, language, the overview and workspace settings."""

from __future__ import annotations

import hmac
from typing import Annotated, Any
from urllib.parse import urlparse

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from siyu.analytics import overview
from siyu.config import get_settings
from siyu.kit.bounds import INT32_MAX, INT32_MIN, Int64
from siyu.kit.crypto import new_secret
from siyu.kit.errors import Problem
from siyu.kit.i18n import LOCALES, N_, gettext, normalise_locale
from siyu.kit.templating import render
from siyu.kit.web import LOCALE_COOKIE, DbSession, client_ip
from siyu.workspace import audit, service
from siyu.workspace.audit import Actor
from siyu.workspace.auth import (
    CSRF_FIELD,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    AdminConsole,
    Console,
    csrf_protect,
)
from siyu.workspace.figures import operator_names
from siyu.workspace.labels import ACTOR_TYPE_LABELS, AUDIT_TARGET_LABELS
from siyu.workspace.roles import DEFAULT_SCOPES, SCOPE_LABELS, Role

router = APIRouter(include_in_schema=False)
protected = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])


def _safe_next(target: str | None) -> str:
    """Only same-site paths, so a crafted link can't bounce a signed-in operator elsewhere."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    return urlparse(target).path or "/"


# --- sign-in ----------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> Response:
    return _login_form(request, _safe_next(next))


def _login_form(
    request: Request,
    next_url: str,
    *,
    error: str | None = None,
    email: str = "",
    status_code: int = 200,
) -> Response:
    csrf = new_secret(nbytes=24)
    response = render(
        request,
        "workspace/login.html",
        {"next": next_url, "error": error, "email": email, "csrf_token": csrf},
        status_code=status_code,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        csrf,
        httponly=True,
        samesite="strict",
        secure=get_settings().cookie_secure,
        path="/login",
    )
    return response


@router.post("/login")
def login(
    request: Request,
    db: DbSession,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "",
) -> Response:
    next_url = _safe_next(next)
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie, csrf_token):
        return _login_form(
            request,
            next_url,
            email=email,
            status_code=403,
            error=gettext("The form has expired. Reload the page and try again."),
        )
    actor = Actor("system", ip=client_ip(request), user_agent=request.headers.get("user-agent"))
    try:
        operator = service.authenticate(db, email, password, actor)
        signed_in = service.open_session(
            db, operator, Actor("operator", operator.id, operator.email, actor.ip, actor.user_agent)
        )
    except Problem as problem:
        # The failed attempt is counted and audited even though the page is re-rendered.
        db.commit()
        page = _login_form(
            request, next_url, email=email, error=gettext(problem.title), status_code=problem.status
        )
        page.headers.update(problem.headers)  # Retry-After on the throttled page
        return page
    response = RedirectResponse(next_url, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        signed_in.token,
        httponly=True,
        samesite="lax",
        secure=get_settings().cookie_secure,
        max_age=get_settings().session_days * 86400,
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    if operator.locale and normalise_locale(operator.locale):
        response.set_cookie(LOCALE_COOKIE, operator.locale, samesite="lax", max_age=365 * 86400)
    return response


@protected.post("/logout")
def logout(context: Console, db: DbSession) -> Response:
    service.close_session(db, context.console_session, context.actor())
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@protected.post("/workspace/switch")
def switch_workspace(
    context: Console, db: DbSession, workspace_id: Annotated[int, Form(le=INT32_MAX, ge=INT32_MIN)]
) -> Response:
    service.switch_workspace(db, context.console_session, workspace_id, context.actor())
    return RedirectResponse("/", status_code=303)


@router.post("/language")
def set_language(
    request: Request,
    locale: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Language is a preference, not a state change: no session or CSRF needed."""
    chosen = normalise_locale(locale) or LOCALES[0]
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        LOCALE_COOKIE,
        chosen,
        samesite="lax",
        max_age=365 * 86400,
        secure=get_settings().cookie_secure,
    )
    return response


# --- overview ---------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def home(
    request: Request,
    context: Console,
    db: DbSession,
    span: str = overview.DEFAULT_RANGE,
    start: str | None = None,
    end: str | None = None,
) -> Response:
    tz = context.workspace.timezone
    choice, period = overview.period_of(span, start, end, tz)
    figures = overview.build(db, context.workspace.id, tz, period)
    return render(
        request,
        "workspace/home.html",
        {"o": figures, "choice": choice, "ranges": overview.RANGES, "tz": tz},
    )


# --- settings: operators, tokens, audit log ---------------------------------------------


@router.get("/settings/operators", response_class=HTMLResponse)
def operators_page(request: Request, context: Console, db: DbSession, notice: str = "") -> Response:
    return render(
        request,
        "workspace/operators.html",
        {
            "members": service.members_of(db, context.workspace.id),
            "roles": list(Role),
            **_locale_context(db, context.workspace.id),
            "notice": N_("Export language saved.") if notice == "locale" else None,
        },
    )


def _locale_context(db: DbSession, workspace_id: int) -> dict[str, Any]:
    return {
        "export_locale": service.workspace_locale(db, workspace_id),
        "export_locales": service.EXPORT_LOCALES,
    }


@protected.post("/settings/workspace/locale", response_class=HTMLResponse)
def set_export_locale(
    request: Request, context: AdminConsole, db: DbSession, locale: Annotated[str, Form()] = ""
) -> Response:
    try:
        service.set_workspace_locale(db, context.workspace.id, locale, context.actor())
    except Problem as problem:
        db.rollback()
        return _operators_error(request, context, db, problem.title)
    return RedirectResponse("/settings/operators?notice=locale", status_code=303)


@protected.post("/settings/operators", response_class=HTMLResponse)
def add_operator(
    request: Request,
    context: AdminConsole,
    db: DbSession,
    email: Annotated[str, Form()],
    role: Annotated[Role, Form()],
    password: Annotated[str, Form()],
    display_name: Annotated[str, Form()] = "",
) -> Response:
    if role == Role.owner and context.role != Role.owner:
        return _operators_error(request, context, db, N_("Only an owner can add another owner."))
    try:
        service.create_operator(
            db,
            context.workspace,
            email,
            role,
            context.actor(),
            password=password,
            display_name=display_name or None,
        )
    except Problem as problem:
        db.rollback()
        return _operators_error(request, context, db, problem.detail or problem.title)
    return RedirectResponse("/settings/operators", status_code=303)


def _operators_error(request: Request, context: Console, db: DbSession, message: str) -> Response:
    return render(
        request,
        "workspace/operators.html",
        {
            "members": service.members_of(db, context.workspace.id),
            "roles": list(Role),
            **_locale_context(db, context.workspace.id),
            "error": gettext(message),
        },
        status_code=422,
    )


def _tokens_context(db: DbSession, workspace_id: int, **extra: Any) -> dict[str, Any]:
    return {
        "tokens": service.list_tokens(db, workspace_id),
        "scope_labels": SCOPE_LABELS,
        "default_scopes": DEFAULT_SCOPES,
        **extra,
    }


@router.get("/settings/tokens", response_class=HTMLResponse)
def tokens_page(request: Request, context: AdminConsole, db: DbSession) -> Response:
    return render(request, "workspace/tokens.html", _tokens_context(db, context.workspace.id))


@protected.post("/settings/tokens", response_class=HTMLResponse)
def create_token(
    request: Request,
    context: AdminConsole,
    db: DbSession,
    name: Annotated[str, Form()],
    scopes: Annotated[list[str] | None, Form()] = None,
) -> Response:
    try:
        chosen = service.parse_scopes(",".join(scopes or []))
        token, secret = service.create_token(
            db, context.workspace.id, name, context.actor(), scopes=chosen
        )
    except Problem as problem:
        db.rollback()
        error = gettext(problem.title)
        return render(
            request,
            "workspace/tokens.html",
            _tokens_context(db, context.workspace.id, error=error),
            status_code=problem.status,
        )
    return render(
        request,
        "workspace/tokens.html",
        _tokens_context(db, context.workspace.id, new_token=secret, new_token_name=token.name),
        status_code=201,
    )


@protected.post("/settings/tokens/{token_id}/revoke", response_class=HTMLResponse)
def revoke_token(
    request: Request, context: AdminConsole, db: DbSession, token_id: Int64
) -> Response:
    token = service.revoke_token(db, context.workspace.id, token_id, context.actor())
    return render(
        request, "workspace/_token_row.html", {"token": token, "scope_labels": SCOPE_LABELS}
    )


@router.get("/settings/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    context: AdminConsole,
    db: DbSession,
    action: str | None = None,
    cursor: str | None = None,
) -> Response:
    entries, next_cursor = audit.list_entries(
        db, context.workspace.id, action=action, cursor=cursor, limit=50
    )
    return render(
        request,
        "workspace/audit.html",
        {
            "entries": entries,
            "next_cursor": next_cursor,
            "action": action or "",
            "ACTOR_TYPE_LABELS": ACTOR_TYPE_LABELS,
            "operators": operator_names(
                db, [e.actor_id for e in entries if e.actor_type == "operator"]
            ),
            "AUDIT_TARGET_LABELS": AUDIT_TARGET_LABELS,
        },
    )
