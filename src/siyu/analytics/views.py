"""Console pages: the analytics dashboard, the segment builder, segments and exports."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from siyu.analytics import builder, service
from siyu.analytics.config import config_from_json, load_config, save_config
from siyu.analytics.funnels import DEFAULT_STEPS
from siyu.analytics.tasks import REFRESH_JOB
from siyu.customers.platforms import PLATFORM_LABELS
from siyu.customers.service import identities_for, tag_catalog
from siyu.jobs import enqueue
from siyu.kit.bounds import Int64
from siyu.kit.errors import Problem, Unprocessable
from siyu.kit.forms import comma_list
from siyu.kit.i18n import N_, gettext
from siyu.kit.tabular import FORMATS, TableFormat
from siyu.kit.templating import render
from siyu.kit.web import DbSession
from siyu.segments import service as segments
from siyu.segments.export import export_download
from siyu.workspace.auth import AdminConsole, Console, ConsoleContext, OperatorConsole, csrf_protect

router = APIRouter(include_in_schema=False)
protected = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])

FormText = Annotated[str, Form()]
PREVIEW_SIZE = 10
MEMBER_PAGE = 50

NOTICES = {
    "queued": N_("Refresh queued: the figures update in a moment."),
    "saved": N_("Segment saved."),
    "deleted": N_("Segment deleted."),
    "settings": N_("Settings saved; they apply from the next refresh."),
}

# Fields listed in the builder's help, with what they mean.
FIELD_HELP = (
    ("orders", N_("paid orders")),
    ("net_paid", N_("net paid in yuan (paid minus refunds)")),
    ("spend_1y", N_("net paid over the last 365 days, yuan")),
    ("aov", N_("average order value, yuan")),
    ("days_since_last_order", N_("days since the last paid order")),
    ("repurchase", N_("true when two or more paid orders")),
    ("r / f / m", N_("RFM scores 1 to 5")),
    ("rfm_segment", N_('standard RFM segment, e.g. "Champions"')),
    ("cn8_segment", N_('Chinese eight segment, e.g. "重要价值客户"')),
    ("lifecycle", N_("new, active, about_to_sleep, sleeping, lost, returned")),
    ("activity / koc", N_("scores 0 to 100")),
    ("platform", N_("has an account or an order on taobao, douyin, ...")),
    ("tag", N_("carries the tag with this name")),
    ("intimacy.douyin", N_("fan-club intimacy level on a platform")),
    ("region / source / consent", N_("profile fields")),
)
BUILDER = {
    "builder_fields": builder.FIELD_LABELS,
    "operator_labels": builder.OPERATOR_LABELS,
    "joiners": {"and": N_("and"), "or": N_("or")},
}
EXAMPLES = (
    'orders >= 2 and days_since_last_order <= 90 and platform = "douyin"',
    'lifecycle in ("sleeping", "about_to_sleep") and net_paid >= 500',
    'rfm_segment = "Can\'t Lose Them"',
    'tag = "敏感肌" and consent = true',
)


@router.get("/analytics", response_class=HTMLResponse)
def dashboard(request: Request, context: Console, db: DbSession, notice: str = "") -> Response:
    data = service.dashboard(db, context.workspace.id)
    return render(
        request,
        "analytics/dashboard.html",
        {
            "data": data,
            "chart_data": _chart_data(data),
            "segment_labels": service.SEGMENT_LABELS,
            "stage_labels": service.STAGE_LABELS,
            "stage_labels_translated": {k: gettext(v) for k, v in service.STAGE_LABELS.items()},
            "platform_labels_translated": {k: gettext(v) for k, v in PLATFORM_LABELS.items()},
            "default_steps": ", ".join(DEFAULT_STEPS),
            "notice": NOTICES.get(notice),
        },
    )


def _chart_data(data: dict[str, Any]) -> dict[str, Any]:
    """What the dashboard's charts draw (stage names stay keys; the page translates labels)."""
    return {
        "moves": data["moves"],
        "stages": data["stages"],
        "cohorts": data["cohorts"],
        "gmv": data["gmv"],
    }


@protected.post("/analytics/refresh")
def refresh(context: OperatorConsole, db: DbSession) -> Response:
    enqueue(
        db, REFRESH_JOB, {"workspace_id": context.workspace.id}, workspace_id=context.workspace.id
    )
    return RedirectResponse("/analytics?notice=queued", status_code=303)


@protected.post("/analytics/funnel", response_class=HTMLResponse)
def funnel(
    request: Request,
    context: Console,
    db: DbSession,
    steps: FormText = "",
    window_days: FormText = "30",
) -> Response:
    kinds = comma_list(steps)
    try:
        window = int(window_days)
        result = service.run_funnel(db, context.workspace.id, kinds, window)
        error = None
    except ValueError:
        result, error = [], N_("The conversion window must be a whole number of days.")
    except Problem as problem:
        result, error = [], problem.detail or problem.title
    return render(
        request,
        "analytics/_funnel.html",
        {"steps": result, "error": error, "step_labels": service.FUNNEL_STEP_LABELS},
    )


@router.get("/analytics/customers/{customer_id}/panel", response_class=HTMLResponse)
def fan_panel(request: Request, context: Console, db: DbSession, customer_id: Int64) -> Response:
    """The fan's figures and saved segments, for the 360 page."""
    workspace_id = context.workspace.id
    return render(
        request,
        "analytics/_fan_panel.html",
        {
            "m": service.metrics_of(db, workspace_id, customer_id),
            "segments": segments.segments_of(db, workspace_id, customer_id),
            "segment_labels": service.SEGMENT_LABELS,
            "stage_labels": service.STAGE_LABELS,
        },
    )


# --- segments ----------------------------------------------------------------------------------


@router.get("/analytics/segments", response_class=HTMLResponse)
def segment_list(
    request: Request,
    context: Console,
    db: DbSession,
    filter: str = "",
    notice: str = "",
) -> Response:
    return render(
        request,
        "analytics/segments.html",
        {
            "segments": segments.list_segments(db, context.workspace.id),
            "filter_text": filter,
            "field_help": FIELD_HELP,
            "examples": EXAMPLES,
            "notice": NOTICES.get(notice),
            "formats": FORMATS,
            "first_field": builder.describe("orders"),
            **BUILDER,
        },
    )


@protected.post("/analytics/segments/count", response_class=HTMLResponse)
def live_count(
    request: Request, context: Console, db: DbSession, filter: FormText = ""
) -> Response:
    """The builder's live count and preview, redrawn as the operator types."""
    try:
        customers, _next = segments.matching_page(
            db, context.workspace.id, filter, limit=PREVIEW_SIZE
        )
        count = segments.count_matching(db, context.workspace.id, filter)
        error = None
    except Problem as problem:
        customers, count, error = [], None, problem
    return render(
        request,
        "analytics/_preview.html",
        _member_context(db, context, customers, count, error, filter),
    )


def _member_context(
    db: Session,
    context: ConsoleContext,
    customers: list[Any],
    count: int | None,
    error: Any,
    filter_text: str,
) -> dict[str, Any]:
    ids = [c.id for c in customers]
    return {
        "customers": customers,
        "count": count,
        "error": error,
        "metrics": service.metrics_for(db, context.workspace.id, ids),
        "identities": identities_for(db, context.workspace.id, ids),
        "filter_text": filter_text,
        "segment_labels": service.SEGMENT_LABELS,
        "stage_labels": service.STAGE_LABELS,
    }


# --- the form-based builder --------------------------------------------------------------------


def _tag_names(db: Session, workspace_id: int) -> list[str]:
    return sorted({tag.name for _group, tags in tag_catalog(db, workspace_id) for tag in tags})


@router.get("/analytics/segments/builder", response_class=HTMLResponse)
def builder_controls(
    request: Request, context: Console, db: DbSession, b_field: str = "orders"
) -> Response:
    """The comparison and value inputs for the field the operator picked."""
    try:
        field = builder.describe(b_field, _tag_names(db, context.workspace.id))
    except builder.BuilderError:
        field = builder.describe("orders")
    return render(request, "analytics/_builder_controls.html", {"field": field, **BUILDER})


@protected.post("/analytics/segments/builder", response_class=HTMLResponse)
def builder_add(
    request: Request,
    context: Console,
    db: DbSession,
    filter: FormText = "",
    b_field: FormText = "",
    b_op: FormText = "",
    b_value: FormText = "",
    b_join: FormText = "and",
) -> Response:
    """Append the picked condition to the filter text; the text box comes back (and counts)."""
    error = None
    try:
        field = builder.describe(b_field, _tag_names(db, context.workspace.id))
        filter = builder.append(filter, b_join, builder.condition(field, b_op, b_value))
    except builder.BuilderError as problem:
        error = str(problem)
    return render(
        request, "analytics/_filter_input.html", {"filter_text": filter, "builder_error": error}
    )


@protected.post("/analytics/segments")
def create_segment(
    request: Request,
    context: OperatorConsole,
    db: DbSession,
    name: FormText = "",
    filter: FormText = "",
    description: FormText = "",
    auto_tag: FormText = "",
) -> Response:
    def act() -> str:
        segment = segments.create_segment(
            db,
            context.workspace.id,
            name=name,
            filter_text=filter,
            description=description,
            auto_tag=auto_tag == "on",
            actor=context.actor(),
        )
        return f"/analytics/segments/{segment.id}?notice=saved"

    return _act(
        request,
        context,
        db,
        act,
        "analytics/segments.html",
        lambda: {
            "segments": segments.list_segments(db, context.workspace.id),
            "filter_text": filter,
            "name": name,
            "description": description,
            "field_help": FIELD_HELP,
            "examples": EXAMPLES,
            "formats": FORMATS,
            "first_field": builder.describe("orders"),
            **BUILDER,
        },
    )


def _act(
    request: Request,
    context: ConsoleContext,
    db: Session,
    action: Callable[[], str],
    template: str,
    page: Callable[[], dict[str, Any]],
) -> Response:
    """Run a change and redirect; on a refusal roll back and show the form again with why."""
    try:
        target = action()
    except Problem as problem:
        db.rollback()
        return render(request, template, {**page(), "problem": problem}, status_code=problem.status)
    return RedirectResponse(target, status_code=303)


@router.get("/analytics/segments/{segment_id}", response_class=HTMLResponse)
def segment_page(
    request: Request,
    context: Console,
    db: DbSession,
    segment_id: Int64,
    cursor: str | None = None,
    notice: str = "",
) -> Response:
    return _segment_page(
        request, context, db, segment_id, cursor=cursor, notice=NOTICES.get(notice)
    )


def _segment_page(
    request: Request, context: ConsoleContext, db: Session, segment_id: int, **extra: Any
) -> Response:
    segment = segments.get_segment(db, context.workspace.id, segment_id)
    customers, next_cursor = segments.matching_page(
        db,
        context.workspace.id,
        segment.filter_text,
        cursor=extra.pop("cursor", None),
        limit=MEMBER_PAGE,
    )
    members = _member_context(
        db, context, customers, segment.member_count, None, segment.filter_text
    )
    next_url = (
        f"/analytics/segments/{segment.id}?{urlencode({'cursor': next_cursor})}"
        if next_cursor
        else None
    )
    return render(
        request,
        "analytics/segment.html",
        {**members, "segment": segment, "next_url": next_url, "formats": FORMATS, **extra},
        status_code=getattr(extra.get("problem"), "status", 200),
    )


@protected.post("/analytics/segments/{segment_id}")
def update_segment(
    request: Request,
    context: OperatorConsole,
    db: DbSession,
    segment_id: Int64,
    name: FormText = "",
    filter: FormText = "",
    description: FormText = "",
) -> Response:
    try:
        segments.update_segment(
            db,
            context.workspace.id,
            segment_id,
            actor=context.actor(),
            name=name,
            filter_text=filter,
            description=description,
        )
    except Problem as problem:
        db.rollback()
        return _segment_page(request, context, db, segment_id, problem=problem, draft_filter=filter)
    return RedirectResponse(f"/analytics/segments/{segment_id}?notice=saved", status_code=303)


@protected.post("/analytics/segments/{segment_id}/delete")
def delete_segment(context: OperatorConsole, db: DbSession, segment_id: Int64) -> Response:
    segments.delete_segment(db, context.workspace.id, segment_id, context.actor())
    return RedirectResponse("/analytics/segments?notice=deleted", status_code=303)


@router.get("/analytics/export")
def export(
    context: OperatorConsole,
    db: DbSession,
    filter: str = "",
    format: TableFormat = "xlsx",
    segment_id: Int64 | None = None,
    fan_links: Annotated[int | None, Query(ge=1, le=90)] = None,
) -> Response:
    """A segment, or any filter (empty: every fan), as xlsx or CSV; phones stay masked."""
    label, name = N_("Fans"), "siyu-fans"
    if segment_id is not None:
        segment = segments.get_segment(db, context.workspace.id, segment_id)
        filter, label, name = segment.filter_text, segment.name, f"siyu-segment-{segment.id}"
    return export_download(
        db,
        context.workspace.id,
        filter,
        format,
        context.actor(),
        label=label,
        filename=name,
        link_ttl_days=fan_links,
    )


# --- settings ----------------------------------------------------------------------------------


@router.get("/analytics/settings", response_class=HTMLResponse)
def settings_page(request: Request, context: AdminConsole, db: DbSession) -> Response:
    return render(
        request,
        "analytics/settings.html",
        _settings_context(load_config(db, context.workspace.id).as_json()),
    )


def _settings_context(config: dict[str, Any]) -> dict[str, Any]:
    monetary = config["thresholds"]["monetary_fen"]
    return {"config": config, "monetary_yuan": ", ".join(str(fen // 100) for fen in monetary)}


@protected.post("/analytics/settings")
def save_settings(
    request: Request,
    context: AdminConsole,
    db: DbSession,
    rfm_mode: FormText = "quintile",
    scheme: FormText = "standard",
    recency_days: FormText = "",
    frequency_orders: FormText = "",
    monetary_yuan: FormText = "",
    new_days: FormText = "",
    active_days: FormText = "",
    about_to_sleep_days: FormText = "",
    sleeping_days: FormText = "",
) -> Response:
    cut_texts = {
        "recency_days": recency_days,
        "frequency_orders": frequency_orders,
        "monetary_yuan": monetary_yuan,
    }
    window_texts = {
        "new_days": new_days,
        "active_days": active_days,
        "about_to_sleep_days": about_to_sleep_days,
        "sleeping_days": sleeping_days,
    }
    try:
        config = config_from_json(_settings_json(rfm_mode, scheme, cut_texts, window_texts))
    except Problem as problem:
        shown = load_config(db, context.workspace.id).as_json() | {
            "rfm_mode": rfm_mode,
            "scheme": scheme,
        }
        return render(
            request,
            "analytics/settings.html",
            {"config": shown, "problem": problem},
            status_code=422,
        )
    save_config(db, context.workspace.id, config, context.actor())
    return RedirectResponse("/analytics?notice=settings", status_code=303)


def _settings_json(
    rfm_mode: str, scheme: str, cut_texts: dict[str, str], window_texts: dict[str, str]
) -> dict[str, Any]:
    """The settings form as the JSON settings; blank fields keep their defaults."""
    cuts = {key: _numbers(text) for key, text in cut_texts.items() if text.strip()}
    if "monetary_yuan" in cuts:
        cuts["monetary_fen"] = [n * 100 for n in cuts.pop("monetary_yuan")]
    windows = {key: _numbers(text)[0] for key, text in window_texts.items() if text.strip()}
    return {"rfm_mode": rfm_mode, "scheme": scheme, "thresholds": cuts, "windows": windows}


def _numbers(text: str) -> list[int]:
    """ "30, 60, 90, 180" → [30, 60, 90, 180]."""
    parts = comma_list(text)
    if not all(part.isdigit() for part in parts):
        raise Unprocessable(
            "invalid-analytics-settings",
            title=N_("Cut points are whole numbers separated by commas, e.g. 30, 60, 90, 180."),
        )
    return [int(part) for part in parts]
