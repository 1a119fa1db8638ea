"""Console pages of outreach: broadcasts (create with exclusion counts and findings, detail with
per-operator status and the lift chart), playbooks, my tasks today, settings and word lists.

Changes are form posts answered with a redirect; a refusal re-renders the form with the reason.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from siyu.coupons import service as coupons_service
from siyu.customers.figures import fan_labels
from siyu.kit.bounds import Int64
from siyu.kit.clock import parse_local
from siyu.kit.errors import Problem
from siyu.kit.i18n import N_, gettext
from siyu.kit.money import format_yuan
from siyu.kit.templating import render
from siyu.kit.web import DbSession
from siyu.loyalty import mall as loyalty_mall
from siyu.outreach import attachments, content, lift, playbooks, service
from siyu.outreach.models import (
    ANCHOR_LABELS,
    ATTACHMENT_LABELS,
    CHANNEL_LABELS,
    DELIVERY_LABELS,
    EXCLUSION_LABELS,
    QUOTA_LABELS,
    STATE_LABELS,
    STEP_LABELS,
    STOP_LABELS,
    Playbook,
    PlaybookStep,
)
from siyu.outreach.schemas import AttachmentIn
from siyu.segments import service as segments_service
from siyu.workspace.auth import AdminConsole, Console, OperatorConsole, csrf_protect
from siyu.workspace.figures import operator_names

router = APIRouter(include_in_schema=False)
protected = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])

CATEGORY_LABELS = {
    "ad_law": N_("Advertising Law"),
    "address": N_("Form of address"),
    "induced_sharing": N_("Induced sharing"),
    "repeat": N_("Repeated text"),
    "exemption": N_("Exemption"),
}
SEVERITY_LABELS = {"block": N_("Blocks the send"), "warn": N_("Warning")}
NOTICES = {
    "created": N_("Broadcast planned: check the counts, then send."),
    "sending": N_("The broadcast is on its way; results follow."),
    "playbook": N_("Playbook created."),
    "settings": N_("Settings saved."),
    "term": N_("Word list updated."),
    "done": N_("Task marked done."),
}
TEMPLATE_LABELS = {key: spec.name for key, spec in playbooks.TEMPLATES.items()}


def _message(problem: Problem) -> str:
    text = gettext(problem.title)
    details = "; ".join(str(e.get("message", "")) for e in problem.errors)
    return f"{text}: {details}" if details else text


@router.get("/outreach", response_class=HTMLResponse)
def overview(request: Request, context: Console, db: DbSession, notice: str = "") -> Response:
    ws = context.workspace.id
    rows = [(b, service.broadcast_counts(db, b)) for b in service.list_broadcasts(db, ws, limit=50)]
    return render(
        request,
        "outreach/overview.html",
        {
            "active_nav": "outreach",
            "rows": rows,
            "notice": NOTICES.get(notice),
            "CHANNEL_LABELS": CHANNEL_LABELS,
            "STATE_LABELS": STATE_LABELS,
        },
    )


# --- broadcasts ----------------------------------------------------------------------------


# The form's attachment fields each type takes (``attachment_<name>`` in the form).
ATTACHMENT_FIELDS = {
    "image": (),
    "link": ("title", "url", "description", "cover_url"),
    "miniprogram": ("title", "appid", "page"),
    "coupon": ("campaign_id", "title", "description", "cover_url"),
    "mall_item": ("item_id", "title", "description", "cover_url"),
}
ATTACHMENT_ADAPTER: TypeAdapter[Any] = TypeAdapter(AttachmentIn)


class AttachmentInvalid(ValueError):
    """The form's attachment fields, refused: the message names the fields."""


async def _attachment_from_form(form: FormData) -> dict[str, Any] | None:
    """The attachment the form describes, validated as the API validates it."""
    kind = str(form.get("attachment_type") or "")
    if not kind:
        return None
    spec: dict[str, Any] = {"type": kind}
    for name in ATTACHMENT_FIELDS.get(kind, ()):
        value = form.get(f"attachment_{name}")
        if isinstance(value, str) and value.strip():
            spec[name] = value.strip()
    image = form.get("attachment_image")
    if isinstance(image, UploadFile) and image.filename and kind in ("image", "miniprogram"):
        data = await image.read(attachments.MAX_IMAGE_BYTES + 1)
        spec["image_base64" if kind == "image" else "cover_base64"] = base64.b64encode(
            data
        ).decode()
    try:
        parsed = ATTACHMENT_ADAPTER.validate_python(spec)
    except ValidationError as invalid:
        fields = sorted({_field_label(error["loc"]) for error in invalid.errors()})
        raise AttachmentInvalid(", ".join(fields)) from None
    found: dict[str, Any] = parsed.model_dump(mode="json")
    return found


FIELD_LABELS = {
    "type": N_("Attachment"),
    "title": N_("Title"),
    "url": N_("Link address"),
    "description": N_("Description"),
    "cover_url": N_("Cover image address"),
    "appid": N_("Mini-program AppID"),
    "page": N_("Mini-program page path"),
    "campaign_id": N_("Coupon campaign"),
    "item_id": N_("Mall item"),
    "image_base64": N_("Image"),
    "cover_base64": N_("Image"),
}


def _field_label(location: tuple[Any, ...]) -> str:
    names = [str(part) for part in location if str(part) in FIELD_LABELS]
    label = FIELD_LABELS[names[-1] if names else "type"]
    return gettext(label)


def _broadcast_form(
    request: Request,
    db: Session,
    workspace_id: int,
    *,
    error: str | None = None,
    findings: list[content.Finding] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    campaigns, _ = coupons_service.list_campaigns(db, workspace_id, limit=100)
    return render(
        request,
        "outreach/broadcast_form.html",
        {
            "active_nav": "outreach",
            "error": error,
            "findings": findings or [],
            "values": values or {},
            "segments": segments_service.list_segments(db, workspace_id),
            "campaigns": campaigns,
            "mall_items": loyalty_mall.list_items(db, workspace_id),
            "ATTACHMENT_LABELS": ATTACHMENT_LABELS,
            "CHANNEL_LABELS": CHANNEL_LABELS,
            "CATEGORY_LABELS": CATEGORY_LABELS,
            "SEVERITY_LABELS": SEVERITY_LABELS,
        },
        status_code=422 if error else 200,
    )


@router.get("/outreach/broadcasts/new", response_class=HTMLResponse)
def new_broadcast(request: Request, context: OperatorConsole, db: DbSession) -> Response:
    return _broadcast_form(request, db, context.workspace.id)


@protected.post("/outreach/broadcasts", response_class=HTMLResponse)
async def create_broadcast(request: Request, context: OperatorConsole, db: DbSession) -> Response:
    posted = await request.form()
    form = {k: v for k, v in posted.items() if isinstance(v, str)}
    ws = context.workspace.id
    try:
        attachment = await _attachment_from_form(posted)
        holdout = int(form.get("holdout_percent") or 0)
        segment_id = int(form.get("segment_id") or 0)
        if not 0 <= holdout <= 50:
            raise ValueError
        segments_service.get_segment(db, ws, segment_id)
        send_at = form.get("send_at", "").strip()
        created = service.create_broadcast(
            db,
            ws,
            name=form.get("name", "").strip()[:100] or gettext("Broadcast"),
            segment_id=segment_id,
            channel=form.get("channel", "") if form.get("channel") in CHANNEL_LABELS else "",
            text=form.get("text", "").strip()[:2000],
            holdout_percent=holdout,
            send_at=parse_local(send_at.replace("T", " ")) if send_at else None,
            actor=context.actor(),
            attachment=attachment,
        )
    except AttachmentInvalid as invalid:
        error = gettext("The attachment is not valid") + ": " + str(invalid)
        return _broadcast_form(request, db, ws, error=error, values=form)
    except service.ContentRefused as refused:
        return _broadcast_form(
            request, db, ws, error=_message(refused), findings=refused.findings, values=form
        )
    except Problem as problem:
        return _broadcast_form(request, db, ws, error=_message(problem), values=form)
    except ValueError:
        error = gettext("Choose a segment; the holdout is a whole number from 0 to 50")
        return _broadcast_form(request, db, ws, error=error, values=form)
    return RedirectResponse(
        f"/outreach/broadcasts/{created.broadcast.id}?notice=created", status_code=303
    )


@router.get("/outreach/broadcasts/{broadcast_id}", response_class=HTMLResponse)
def broadcast_detail(
    request: Request,
    context: Console,
    db: DbSession,
    broadcast_id: Int64,
    notice: str = "",
    days: int = Query(default=7, ge=1, le=90),
) -> Response:
    broadcast = service.get_broadcast(db, context.workspace.id, broadcast_id)
    statuses = service.operator_status(db, broadcast)
    result = lift.broadcast_lift(db, broadcast, days)
    chart = {
        "labels": [gettext("Treated"), gettext("Held out")],
        "gmv_per_fan": [
            round(result.treated.gmv_fen / result.treated.fans / 100, 2)
            if result.treated.fans
            else 0,
            round(result.control.gmv_fen / result.control.fans / 100, 2)
            if result.control.fans
            else 0,
        ],
        "conversion": [
            round(result.treated.conversion * 100, 2),
            round(result.control.conversion * 100, 2),
        ],
        "names": [gettext("GMV per fan (yuan)"), gettext("Conversion (%)")],
    }
    return render(
        request,
        "outreach/broadcast.html",
        {
            "active_nav": "outreach",
            "broadcast": broadcast,
            "counts": service.broadcast_counts(db, broadcast),
            "statuses": statuses,
            "operators": operator_names(db, [s["operator_id"] for s in statuses]),
            "lift": result,
            "chart": json.dumps(chart, ensure_ascii=False),
            "days": days,
            "yuan": format_yuan,
            "notice": NOTICES.get(notice),
            "segment": _segment_name(db, context.workspace.id, broadcast.segment_id),
            "clicks": attachments.click_counts(db, broadcast),
            "ATTACHMENT_LABELS": ATTACHMENT_LABELS,
            "CHANNEL_LABELS": CHANNEL_LABELS,
            "STATE_LABELS": STATE_LABELS,
            "EXCLUSION_LABELS": EXCLUSION_LABELS,
            "CATEGORY_LABELS": CATEGORY_LABELS,
            "SEVERITY_LABELS": SEVERITY_LABELS,
        },
    )


def _segment_name(db: Session, workspace_id: int, segment_id: int | None) -> str | None:
    if segment_id is None:
        return None
    for segment in segments_service.list_segments(db, workspace_id):
        if segment.id == segment_id:
            return segment.name
    return None


@router.get("/outreach/media/{media_id}")
def media(context: Console, db: DbSession, media_id: Int64) -> Response:
    """A broadcast's image, for its preview."""
    found = attachments.get_media(db, context.workspace.id, media_id)
    return Response(
        found.data,
        media_type=found.content_type,
        headers={"Cache-Control": "private, max-age=3600"},
    )


@protected.post("/outreach/broadcasts/{broadcast_id}/send")
def send_broadcast(context: OperatorConsole, db: DbSession, broadcast_id: Int64) -> Response:
    service.request_send(db, context.workspace.id, broadcast_id, context.actor())
    return RedirectResponse(f"/outreach/broadcasts/{broadcast_id}?notice=sending", status_code=303)


# --- playbooks -----------------------------------------------------------------------------


def _playbooks_page(
    request: Request, db: Session, workspace_id: int, notice: str = "", error: str | None = None
) -> Response:
    rows = [(p, playbooks.steps_of(db, p)) for p in playbooks.list_playbooks(db, workspace_id)]
    deliveries: dict[int, dict[str, int]] = {}
    for playbook, _ in rows:
        deliveries.update(playbooks.step_deliveries(db, workspace_id, playbook))
    return render(
        request,
        "outreach/playbooks.html",
        {
            "active_nav": "outreach",
            "rows": rows,
            "deliveries": deliveries,
            "step_findings": _blocked_step_findings(db, workspace_id, rows, deliveries),
            "DELIVERY_LABELS": DELIVERY_LABELS,
            "SEVERITY_LABELS": SEVERITY_LABELS,
            "CATEGORY_LABELS": CATEGORY_LABELS,
            "enrolled": playbooks.enrolment_counts(db, workspace_id),
            "notice": NOTICES.get(notice),
            "error": error,
            "TEMPLATE_LABELS": TEMPLATE_LABELS,
            "ANCHOR_LABELS": ANCHOR_LABELS,
            "STEP_LABELS": STEP_LABELS,
            "STOP_LABELS": STOP_LABELS,
        },
        status_code=422 if error else 200,
    )


def _blocked_step_findings(
    db: Session,
    workspace_id: int,
    rows: list[tuple[Playbook, list[PlaybookStep]]],
    deliveries: dict[int, dict[str, int]],
) -> dict[int, list[content.Finding]]:
    """Why a step the message rules stopped was stopped: its text's findings today."""
    return {
        step.id: service.check_content(db, workspace_id, step.text, repeat=False)
        for _, steps in rows
        for step in steps
        if deliveries.get(step.id, {}).get("content_blocked")
    }


@router.get("/outreach/playbooks", response_class=HTMLResponse)
def playbooks_page(request: Request, context: Console, db: DbSession, notice: str = "") -> Response:
    return _playbooks_page(request, db, context.workspace.id, notice)


@protected.post("/outreach/playbooks", response_class=HTMLResponse)
async def create_playbook(request: Request, context: OperatorConsole, db: DbSession) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    ws = context.workspace.id
    template = form.get("template", "")
    name = form.get("name", "").strip()[:100]
    label = TEMPLATE_LABELS.get(template)
    try:
        playbooks.create_from_template(
            db, ws, template, context.actor(), name=name or (gettext(label) if label else None)
        )
    except Problem as problem:
        return _playbooks_page(request, db, ws, error=_message(problem))
    return RedirectResponse("/outreach/playbooks?notice=playbook", status_code=303)


@protected.post("/outreach/playbooks/{playbook_id}/active")
async def toggle_playbook(
    request: Request, context: OperatorConsole, db: DbSession, playbook_id: Int64
) -> Response:
    form = await request.form()
    active = str(form.get("active", "")) == "1"
    playbooks.set_active(db, context.workspace.id, playbook_id, active, context.actor())
    return RedirectResponse("/outreach/playbooks", status_code=303)


# --- my tasks today --------------------------------------------------------------------------


@router.get("/outreach/tasks", response_class=HTMLResponse)
def tasks_page(request: Request, context: Console, db: DbSession, notice: str = "") -> Response:
    ws = context.workspace.id
    mine = playbooks.tasks_today(db, ws, context.operator.id)
    completion = playbooks.completion(db, ws)
    return render(
        request,
        "outreach/tasks.html",
        {
            "active_nav": "outreach",
            "tasks": mine,
            "completion": completion,
            "fans": fan_labels(db, ws, [t.customer_id for t in mine]),
            "operators": operator_names(db, [row["operator_id"] for row in completion]),
            "notice": NOTICES.get(notice),
            "STEP_LABELS": STEP_LABELS,
        },
    )


@protected.post("/outreach/tasks/{task_id}/done")
def task_done(context: Console, db: DbSession, task_id: Int64) -> Response:
    playbooks.mark_done(db, context.workspace.id, task_id, context.actor())
    return RedirectResponse("/outreach/tasks?notice=done", status_code=303)


# --- settings and word lists -------------------------------------------------------------------


def _settings_page(
    request: Request, db: Session, workspace_id: int, notice: str = "", error: str | None = None
) -> Response:
    return render(
        request,
        "outreach/settings.html",
        {
            "active_nav": "outreach",
            "settings": service.settings_of(db, workspace_id),
            "terms": service.list_terms(db, workspace_id),
            "notice": NOTICES.get(notice),
            "error": error,
            "QUOTA_LABELS": QUOTA_LABELS,
            "CATEGORY_LABELS": CATEGORY_LABELS,
            "SEVERITY_LABELS": SEVERITY_LABELS,
        },
        status_code=422 if error else 200,
    )


@router.get("/outreach/settings", response_class=HTMLResponse)
def settings_page(request: Request, context: Console, db: DbSession, notice: str = "") -> Response:
    return _settings_page(request, db, context.workspace.id, notice)


@protected.post("/outreach/settings", response_class=HTMLResponse)
async def save_settings(request: Request, context: AdminConsole, db: DbSession) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    ws = context.workspace.id
    quota = form.get("wecom_quota", "")
    cap_text = form.get("max_per_fan_per_week", "").strip()
    if quota not in QUOTA_LABELS or (
        cap_text and not (cap_text.isdigit() and int(cap_text) <= 1000)
    ):
        error = gettext("Choose a quota; the weekly cap is a whole number from 0 to 1000")
        return _settings_page(request, db, ws, error=error)
    service.put_settings(db, ws, quota, int(cap_text) if cap_text else None, context.actor())
    return RedirectResponse("/outreach/settings?notice=settings", status_code=303)


@protected.post("/outreach/terms", response_class=HTMLResponse)
async def add_term(request: Request, context: AdminConsole, db: DbSession) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    ws = context.workspace.id
    category = form.get("category", "")
    severity = form.get("severity", "block")
    if category not in CATEGORY_LABELS or category == "repeat" or severity not in SEVERITY_LABELS:
        return _settings_page(request, db, ws, error=gettext("Choose a category and a severity"))
    try:
        service.add_term(
            db,
            ws,
            term=form.get("term", "")[:100],
            category=category,
            severity=severity,
            suggestion=form.get("suggestion", "").strip()[:100] or None,
            actor=context.actor(),
        )
    except Problem as problem:
        return _settings_page(request, db, ws, error=_message(problem))
    return RedirectResponse("/outreach/settings?notice=term", status_code=303)


@protected.post("/outreach/terms/{term_id}/delete")
def delete_term(context: AdminConsole, db: DbSession, term_id: Int64) -> Response:
    service.delete_term(db, context.workspace.id, term_id, context.actor())
    return RedirectResponse("/outreach/settings?notice=term", status_code=303)
