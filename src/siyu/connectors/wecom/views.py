"""Console pages of the WeCom connector: the settings (connect, test the connection), the
connector's health, and live codes with their per-channel report.

Secrets are write-only: the form never shows them again; leaving one empty keeps the saved one.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from siyu import jobs
from siyu.connectors.wecom import service
from siyu.connectors.wecom import tasks as _tasks  # noqa: F401 - registers the sync job
from siyu.connectors.wecom.client import WecomError
from siyu.connectors.wecom.connection import connection_of, unseal
from siyu.connectors.wecom.models import CHANNEL_KINDS, CHANNEL_LABELS, DEFAULT_API_BASE
from siyu.customers import service as customers
from siyu.kit.bounds import Int64
from siyu.kit.clock import utcnow
from siyu.kit.errors import Problem, Unprocessable
from siyu.kit.i18n import N_, gettext
from siyu.kit.qr import qr_png
from siyu.kit.templating import render
from siyu.kit.web import DbSession
from siyu.workspace.auth import AdminConsole, Console, ConsoleContext, OperatorConsole, csrf_protect

router = APIRouter(include_in_schema=False)
protected = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])

FormText = Annotated[str, Form()]
REPORT_DAYS = (7, 30, 90, 365)
CHECK_MESSAGES = {
    "ok": N_("Connected: WeCom answered with %(staff)s staff members."),
    "fail": N_("WeCom refused the connection (errcode %(errcode)s)."),
}


def _error_text(problem: Problem) -> str:
    return gettext(problem.title) + (f": {gettext(problem.detail)}" if problem.detail else "")


# --- settings -----------------------------------------------------------------------------


def _settings_page(
    request: Request, context: ConsoleContext, db: Session, *, status: int = 200, **extra: Any
) -> Response:
    connection = connection_of(db, context.workspace.id)
    check = request.query_params.get("check")
    message = None
    if check in CHECK_MESSAGES:
        message = gettext(CHECK_MESSAGES[check]) % {
            "staff": request.query_params.get("staff", "0"),
            "errcode": request.query_params.get("errcode", "?"),
        }
    base_url = str(request.base_url).rstrip("/")
    values = {
        "corp_id": connection.corp_id if connection else "",
        "agent_id": connection.agent_id if connection else "",
        "api_base": connection.api_base if connection else DEFAULT_API_BASE,
        "default_welcome_text": connection.default_welcome_text
        if connection
        else service.DEFAULT_WELCOME,
    }
    context_ = {
        "tab": "settings",
        "connection": connection,
        "form": values | extra.pop("form", {}),
        "callback_url": f"{base_url}/wecom/callback/{context.workspace.slug}",
        "check": check,
        "check_message": message,
        **extra,
    }
    return render(request, "wecom/settings.html", context_, status_code=status)


@router.get("/settings/wecom", response_class=HTMLResponse)
def settings_page(request: Request, context: AdminConsole, db: DbSession) -> Response:
    return _settings_page(request, context, db)


def _kept(db: Session, workspace_id: int, field: str, given: str) -> str:
    """A secret left empty keeps the saved one."""
    if given.strip():
        return given.strip()
    connection = connection_of(db, workspace_id)
    if connection is None:
        return ""
    return unseal(workspace_id, field, getattr(connection, f"{field}_enc"))


@protected.post("/settings/wecom", response_class=HTMLResponse)
def save_settings(
    request: Request,
    context: AdminConsole,
    db: DbSession,
    corp_id: FormText = "",
    agent_id: FormText = "",
    secret: FormText = "",
    callback_token: FormText = "",
    encoding_aes_key: FormText = "",
    api_base: FormText = DEFAULT_API_BASE,
    default_welcome_text: FormText = "",
) -> Response:
    ws = context.workspace.id
    shown = {
        "corp_id": corp_id,
        "agent_id": agent_id,
        "api_base": api_base,
        "default_welcome_text": default_welcome_text,
    }
    try:
        if not agent_id.strip().isdigit() or len(agent_id.strip()) > 10:
            raise Unprocessable(
                "invalid-wecom-settings", title=N_("The agent id is a positive number")
            )
        form = service.ConnectForm(
            corp_id,
            int(agent_id),
            _kept(db, ws, "secret", secret),
            _kept(db, ws, "callback_token", callback_token),
            _kept(db, ws, "encoding_aes_key", encoding_aes_key),
            api_base.strip() or DEFAULT_API_BASE,
        )
        service.connect(db, ws, form, context.actor())
        if default_welcome_text.strip():
            service.set_default_welcome(db, ws, default_welcome_text, context.actor())
    except Problem as problem:
        db.rollback()
        return _settings_page(
            request, context, db, status=422, error=_error_text(problem), form=shown
        )
    return RedirectResponse("/settings/wecom?saved=1", status_code=303)


@protected.post("/settings/wecom/test", response_class=HTMLResponse)
def test_settings(request: Request, context: AdminConsole, db: DbSession) -> Response:
    try:
        result = service.test_connection(db, context.workspace.id)
    except Problem as problem:
        db.rollback()
        return _settings_page(request, context, db, status=404, error=_error_text(problem))
    if result.ok:
        return RedirectResponse(f"/settings/wecom?check=ok&staff={result.staff}", status_code=303)
    return RedirectResponse(f"/settings/wecom?check=fail&errcode={result.errcode}", status_code=303)


@protected.post("/settings/wecom/sync", response_class=HTMLResponse)
def start_sync(context: AdminConsole, db: DbSession) -> Response:
    ws = context.workspace.id
    if connection_of(db, ws) is not None:
        jobs.enqueue(db, "wecom.sync", {"workspace_id": ws}, workspace_id=ws)
    return RedirectResponse("/settings/wecom/health", status_code=303)


@router.get("/settings/wecom/health", response_class=HTMLResponse)
def health_page(request: Request, context: AdminConsole, db: DbSession) -> Response:
    report = service.health(db, context.workspace.id)
    return render(
        request,
        "wecom/health.html",
        {
            "tab": "health",
            "health": report,
            "summary": report.connection.last_sync_summary if report.connection else {},
        },
    )


# --- live codes ---------------------------------------------------------------------------


def _live_codes_page(
    request: Request, context: ConsoleContext, db: Session, *, status: int = 200, **extra: Any
) -> Response:
    ws = context.workspace.id
    days = extra.pop("days", 30)
    report = service.channel_report(db, ws, utcnow() - timedelta(days=days))
    names = {(w.channel_kind, w.channel_ref): w.name for w in service.contact_ways(db, ws)}
    return render(
        request,
        "wecom/live_codes.html",
        {
            "tab": "live_codes",
            "connected": connection_of(db, ws) is not None,
            "ways": service.contact_ways(db, ws),
            "report": report,
            "names": names,
            "days": days,
            "report_days": REPORT_DAYS,
            "chart": {
                "labels": [
                    names.get((r.channel_kind, r.channel_ref), r.channel_ref) for r in report
                ],
                "adds": [r.adds for r in report],
                "losses": [r.losses for r in report],
                "gmv": [round(r.gmv_fen / 100, 2) for r in report],
            },
            "kinds": CHANNEL_KINDS,
            "kind_labels": CHANNEL_LABELS,
            "catalog": customers.tag_catalog(db, ws),
            "form": extra.pop("form", {}),
            **extra,
        },
        status_code=status,
    )


@router.get("/wecom/live-codes", response_class=HTMLResponse)
def live_codes(request: Request, context: Console, db: DbSession, days: int = 30) -> Response:
    return _live_codes_page(request, context, db, days=days if days in REPORT_DAYS else 30)


@protected.post("/wecom/live-codes", response_class=HTMLResponse)
def create_live_code(
    request: Request,
    context: OperatorConsole,
    db: DbSession,
    name: FormText = "",
    channel_kind: FormText = "",
    channel_ref: FormText = "",
    welcome_text: FormText = "",
    tag_id: FormText = "",
) -> Response:
    form = {
        "name": name,
        "channel_kind": channel_kind,
        "channel_ref": channel_ref,
        "welcome_text": welcome_text,
        "tag_id": tag_id,
    }
    try:
        service.create_contact_way(
            db,
            context.workspace.id,
            channel_kind=channel_kind,
            channel_ref=channel_ref,
            name=name.strip() or None,
            welcome_text=welcome_text.strip() or None,
            tag_ids=[int(tag_id)] if tag_id.isdigit() and len(tag_id) < 12 else None,
            actor=context.actor(),
        )
    except Problem as problem:
        db.rollback()
        return _live_codes_page(
            request, context, db, status=422, error=_error_text(problem), form=form
        )
    except WecomError as error:
        db.rollback()
        message = gettext(N_("WeCom refused the live code (errcode %(errcode)s).")) % {
            "errcode": error.errcode
        }
        return _live_codes_page(request, context, db, status=422, error=message, form=form)
    return RedirectResponse("/wecom/live-codes", status_code=303)


@router.get("/wecom/live-codes/{way_id}/qr.png")
def live_code_qr(way_id: Int64, context: Console, db: DbSession) -> Response:
    way = service.get_contact_way(db, context.workspace.id, way_id)
    return Response(
        qr_png(way.qr_code or way.state),
        media_type="image/png",
        headers={"Cache-Control": "private, max-age=300"},
    )
