"""Console pages for coupons: templates, campaigns, code pools, manual issue, the live monitor
of a running grab (server-sent events feeding an ECharts chart) and the redemption report.

Changes are form posts answered with a redirect; a refusal re-renders the page with the reason.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from siyu.coupons import grab, service
from siyu.coupons.models import CHANNEL_LABELS, KIND_LABELS, STATUS_LABELS, CouponCampaign
from siyu.customers.figures import fan_labels
from siyu.customers.platforms import IDENTITY_PLATFORMS, PLATFORM_LABELS
from siyu.db import database, is_store_busy
from siyu.kit.bounds import Int64
from siyu.kit.clock import parse_local, utcnow
from siyu.kit.errors import Problem
from siyu.kit.forms import comma_list
from siyu.kit.i18n import N_, gettext
from siyu.kit.money import yuan_to_fen
from siyu.kit.templating import render
from siyu.kit.web import DbSession, admitted
from siyu.workspace.auth import Console, OperatorConsole, csrf_protect

router = APIRouter(include_in_schema=False)
protected = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])

FormText = Annotated[str, Form()]
MONITOR_SECONDS = 600  # one SSE connection lasts at most this long; the browser reconnects
NOTICES = {
    "template": N_("Template saved."),
    "campaign": N_("Campaign created."),
    "issued": N_("Coupons issued."),
    "codes": N_("Codes added to the pool."),
    "ended": N_("Campaign ended."),
    "started": N_("The grab is open: fans can claim now."),
    "matched": N_("Redemptions matched from imported orders."),
}


# Why the operator's issue skipped a fan, by the grab's refusal slug: the campaign page reads the
# counts back from its address after the redirect and shows only slugs named here.
REFUSALS = {
    grab.already_claimed().slug: N_("Already holds this coupon"),
    grab.sold_out().slug: N_("Sold out"),
    grab.not_started(utcnow()).slug: N_("Not started yet"),
    grab.ended().slug: N_("Ended"),
    grab.not_in_audience().slug: N_("Not in the audience"),
    grab.share_required().slug: N_("Share required"),
    grab.channel_closed().slug: N_("Channel closed"),
    "other": N_("Other reasons"),
}

# The live monitor's answers, by the key the Redis script counts them under.
ANSWERS = {
    "claimed": N_("Claimed"),
    "already": REFUSALS[grab.already_claimed().slug],
    "sold_out": REFUSALS[grab.sold_out().slug],
    "not_started": REFUSALS[grab.not_started(utcnow()).slug],
    "ended": REFUSALS[grab.ended().slug],
    "rate_limited": N_("Too many attempts"),
    "other": REFUSALS["other"],
}


def _message(problem: Problem) -> str:
    text = gettext(problem.title)
    details = "; ".join(str(e.get("message", "")) for e in problem.errors)
    return f"{text}: {details}" if details else text


def _campaign_rows(db: Session, campaigns: list[CouponCampaign]) -> list[dict[str, Any]]:
    rows = []
    for campaign in campaigns:
        numbers = service.numbers(db, campaign)
        rows.append(
            {
                "campaign": campaign,
                "numbers": numbers,
                "status": service.status_of(campaign, numbers.remaining),
            }
        )
    return rows


@router.get("/coupons", response_class=HTMLResponse)
def overview(
    request: Request, context: Console, db: DbSession, notice: str = "", cursor: str | None = None
) -> Response:
    ws = context.workspace.id
    campaigns, next_cursor = service.list_campaigns(db, ws, cursor=cursor, limit=50)
    return render(
        request,
        "coupons/overview.html",
        {
            "active_nav": "coupons",
            "rows": _campaign_rows(db, campaigns),
            "next_cursor": next_cursor,
            "templates": service.all_templates(db, ws),
            "describe": service.describe,
            "notice": NOTICES.get(notice),
            "KIND_LABELS": KIND_LABELS,
            "CHANNEL_LABELS": CHANNEL_LABELS,
            "STATUS_LABELS": STATUS_LABELS,
        },
    )


# --- templates -------------------------------------------------------------------------


def _template_form(
    request: Request, error: str | None = None, values: dict[str, str] | None = None
) -> Response:
    return render(
        request,
        "coupons/template_form.html",
        {
            "active_nav": "coupons",
            "error": error,
            "values": values or {},
            "KIND_LABELS": KIND_LABELS,
            "platforms": [p for p in IDENTITY_PLATFORMS if p not in ("wechat", "wecom", "generic")],
            "PLATFORM_LABELS": PLATFORM_LABELS,
        },
        status_code=422 if error else 200,
    )


@router.get("/coupons/templates/new", response_class=HTMLResponse)
def new_template(request: Request, context: OperatorConsole) -> Response:
    return _template_form(request)


def _fen(text: str) -> int:
    return yuan_to_fen(text.strip()) if text.strip() else 0


def _when(text: str) -> datetime | None:
    return parse_local(text.replace("T", " ")) if text.strip() else None


@protected.post("/coupons/templates", response_class=HTMLResponse)
async def create_template(request: Request, context: OperatorConsole, db: DbSession) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    platforms = [str(p) for p in (await request.form()).getlist("platforms")]
    try:
        draft = service.TemplateDraft(
            name=form.get("name", ""),
            kind=form.get("kind", ""),
            threshold_fen=_fen(form.get("threshold", "")),
            discount_fen=_fen(form.get("discount", "")),
            percent=int(form["percent"]) if form.get("percent", "").strip() else None,
            cap_fen=_fen(form.get("cap", "")) or None,
            valid_days=int(form["valid_days"]) if form.get("valid_days", "").strip() else None,
            valid_from=_when(form.get("valid_from", "")),
            valid_to=_when(form.get("valid_to", "")),
            platforms=platforms,
            shops=comma_list(form.get("shops", "")),
            products=comma_list(form.get("products", "")),
            cost_fen=_fen(form.get("cost", "")),
            how_to_use=form.get("how_to_use", "").strip() or None,
        )
        await run_in_threadpool(
            service.create_template, db, context.workspace.id, draft, context.actor()
        )
    except Problem as problem:
        return _template_form(request, _message(problem), form)
    except ValueError:
        return _template_form(request, gettext("Amounts and days must be numbers"), form)
    return RedirectResponse("/coupons?notice=template", status_code=303)


# --- campaigns -------------------------------------------------------------------------


def _campaign_form(
    request: Request,
    db: Session,
    workspace_id: int,
    error: str | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    return render(
        request,
        "coupons/campaign_form.html",
        {
            "active_nav": "coupons",
            "error": error,
            "values": values or {},
            "templates": service.all_templates(db, workspace_id),
            "describe": service.describe,
            "CHANNEL_LABELS": CHANNEL_LABELS,
        },
        status_code=422 if error else 200,
    )


@router.get("/coupons/campaigns/new", response_class=HTMLResponse)
def new_campaign(request: Request, context: OperatorConsole, db: DbSession) -> Response:
    return _campaign_form(request, db, context.workspace.id)


@protected.post("/coupons/campaigns", response_class=HTMLResponse)
async def create_campaign(request: Request, context: OperatorConsole, db: DbSession) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    try:
        draft = service.CampaignDraft(
            template_id=int(form.get("template_id") or 0),
            channel=form.get("channel", ""),
            quantity=int(form.get("quantity") or 0),
            per_customer_limit=int(form.get("per_customer_limit") or 1),
            name=form.get("name") or None,
            starts_at=_when(form.get("starts_at", "")),
            ends_at=_when(form.get("ends_at", "")),
            segment_id=int(form["segment_id"]) if form.get("segment_id", "").strip() else None,
            code_source=form.get("code_source", "generated"),
        )
        campaign = await run_in_threadpool(
            service.create_campaign, db, context.workspace.id, draft, context.actor()
        )
    except Problem as problem:
        return _campaign_form(request, db, context.workspace.id, _message(problem), form)
    except ValueError:
        return _campaign_form(
            request, db, context.workspace.id, gettext("Amounts and days must be numbers"), form
        )
    return RedirectResponse(f"/coupons/campaigns/{campaign.id}?notice=campaign", status_code=303)


def _detail(
    request: Request,
    db: Session,
    workspace_id: int,
    campaign_id: int,
    *,
    notice: str = "",
    error: str | None = None,
    issue_report: Any = None,
    pool_report: Any = None,
    form: dict[str, str] | None = None,
) -> Response:
    campaign = service.get_campaign(db, workspace_id, campaign_id)
    template = service.get_template(db, workspace_id, campaign.template_id)
    numbers = service.numbers(db, campaign)
    claims, _ = service.list_claims(db, workspace_id, campaign.id, limit=20)
    return render(
        request,
        "coupons/campaign.html",
        {
            "active_nav": "coupons",
            "campaign": campaign,
            "template": template,
            "label": service.describe(template),
            "numbers": numbers,
            "status": service.status_of(campaign, numbers.remaining),
            "report": service.report(db, campaign),
            "shares": service.share_count(db, campaign.id),
            "pool_size": service.pool_size(db, campaign.id) if campaign.uses_pool else None,
            "claims": claims,
            "fans": fan_labels(db, workspace_id, (c.customer_id for c in claims)),
            "notice": NOTICES.get(notice),
            "error": error,
            "issue_report": issue_report,
            "pool_report": pool_report,
            "REFUSALS": REFUSALS,
            "answer_labels": {key: gettext(label) for key, label in ANSWERS.items()},
            "form": form or {},
            "CHANNEL_LABELS": CHANNEL_LABELS,
            "STATUS_LABELS": STATUS_LABELS,
        },
        status_code=422 if error else 200,
    )


@router.get("/coupons/campaigns/{campaign_id}", response_class=HTMLResponse)
def campaign_page(
    request: Request,
    campaign_id: Int64,
    context: Console,
    db: DbSession,
    notice: str = "",
    issued: str = "",
    added: str = "",
) -> Response:
    """After a POST the outcome comes back in the address (numbers and known codes only)."""
    params = request.query_params
    issue_report = _counts(params, issued, REFUSALS) if notice == "issued" else None
    pool_report = _counts(params, added, {"dup": "", "bad": ""}) if notice == "codes" else None
    return _detail(
        request,
        db,
        context.workspace.id,
        campaign_id,
        notice=notice,
        issue_report=issue_report,
        pool_report=pool_report,
    )


def _counts(params: Any, total: str, known: dict[str, str]) -> dict[str, Any] | None:
    """``{"n": total, "by": {code: count}}``: whole numbers from the address, codes in ``known``."""
    if not total.isdigit():
        return None
    by = {code: int(params[code]) for code in known if params.get(code, "").isdigit()}
    return {"n": int(total), "by": by}


def _after(campaign_id: int, notice: str, counts: dict[str, int]) -> Response:
    query = urlencode({"notice": notice, **counts})
    return RedirectResponse(f"/coupons/campaigns/{campaign_id}?{query}", status_code=303)


@protected.post("/coupons/campaigns/{campaign_id}/issue", response_class=HTMLResponse)
def issue(
    request: Request,
    campaign_id: Int64,
    context: OperatorConsole,
    db: DbSession,
    customer_ids: FormText = "",
    segment_id: FormText = "",
) -> Response:
    ws = context.workspace.id
    form = {"customer_ids": customer_ids, "segment_id": segment_id}
    try:
        ids = [int(part) for part in comma_list(customer_ids)]
        segment = int(segment_id) if segment_id.strip() else None
        report = service.issue(
            db, ws, campaign_id, context.actor(), customer_ids=ids, segment_id=segment
        )
    except Problem as problem:
        if problem.status == 404 and problem.slug == grab.campaign_not_found().slug:
            raise
        db.rollback()
        return _detail(request, db, ws, campaign_id, error=_message(problem), form=form)
    except ValueError:
        error = gettext("Fan ids must be numbers")
        return _detail(request, db, ws, campaign_id, error=error, form=form)
    counts = {"issued": len(report.issued)}
    for slug, count in report.refused.items():
        key = slug if slug in REFUSALS else "other"
        counts[key] = counts.get(key, 0) + count
    return _after(campaign_id, "issued", counts)


@protected.post("/coupons/campaigns/{campaign_id}/codes", response_class=HTMLResponse)
def import_codes(
    request: Request,
    campaign_id: Int64,
    context: OperatorConsole,
    db: DbSession,
    codes: FormText = "",
) -> Response:
    ws = context.workspace.id
    try:
        rows = service.parse_pool_lines(codes)
        report = service.import_codes(db, ws, campaign_id, rows, context.actor())
    except Problem as problem:
        if problem.status == 404:
            raise
        db.rollback()
        return _detail(request, db, ws, campaign_id, error=_message(problem), form={"codes": codes})
    counts = {"added": report.added, "dup": report.duplicates, "bad": len(report.rejected)}
    return _after(campaign_id, "codes", counts)


@protected.post("/coupons/campaigns/{campaign_id}/start")
def start(campaign_id: Int64, context: OperatorConsole, db: DbSession) -> Response:
    service.start_now(db, context.workspace.id, campaign_id, context.actor())
    return RedirectResponse(f"/coupons/campaigns/{campaign_id}?notice=started", status_code=303)


@protected.post("/coupons/campaigns/{campaign_id}/end")
def end(campaign_id: Int64, context: OperatorConsole, db: DbSession) -> Response:
    service.end_campaign(db, context.workspace.id, campaign_id, context.actor())
    return RedirectResponse(f"/coupons/campaigns/{campaign_id}?notice=ended", status_code=303)


@protected.post("/coupons/campaigns/{campaign_id}/match")
def match(campaign_id: Int64, context: OperatorConsole, db: DbSession) -> Response:
    service.get_campaign(db, context.workspace.id, campaign_id)
    service.match_redemptions(db, context.workspace.id, campaign_id)
    return RedirectResponse(f"/coupons/campaigns/{campaign_id}?notice=matched", status_code=303)


# --- the live monitor ----------------------------------------------------------------------


def _snapshot(workspace_id: int, campaign_id: int, since: datetime) -> dict[str, Any]:
    # A read of its own beside the page's (closed) one: on SQLite it never takes the write lock.
    with database.session(read_only=True) as session:
        campaign = service.get_campaign(session, workspace_id, campaign_id)
        numbers = service.numbers(session, campaign)
        recent = service.claims_per_second(session, campaign_id, since) if not numbers.live else []
        return {
            "t": utcnow().strftime("%H:%M:%S"),
            "claimed": numbers.claimed,
            "remaining": numbers.remaining,
            "answers": numbers.answers,
            "recent": recent[-1] if recent else None,
            "status": service.status_of(campaign, numbers.remaining),
        }


async def _tick(workspace_id: int, campaign_id: int, since: datetime) -> dict[str, Any] | None:
    """One snapshot, taking a request slot like any request; a busy store skips a beat (the
    page keeps its last figures) instead of ending the stream."""
    try:
        async with admitted(writes=False):
            return await run_in_threadpool(_snapshot, workspace_id, campaign_id, since)
    except Problem as problem:
        if problem.status != 503:
            raise
    except (OperationalError, PoolTimeout) as exc:
        if not is_store_busy(exc):
            raise
    return None


@router.get("/coupons/campaigns/{campaign_id}/live")
async def live(request: Request, campaign_id: Int64, context: Console) -> Response:
    """Server-sent events, one a second: claimed, remaining and the answers given so far. The
    page turns differences into claims per second and refusals per second."""
    workspace_id = context.workspace.id
    async with admitted(writes=False):  # 404 (or 503) before streaming
        await run_in_threadpool(_snapshot, workspace_id, campaign_id, utcnow())

    async def events() -> AsyncIterator[str]:
        for _ in range(MONITOR_SECONDS):
            if await request.is_disconnected():
                return
            since = utcnow() - timedelta(seconds=2)
            data = await _tick(workspace_id, campaign_id, since)
            if data is not None:
                yield f"data: {json.dumps(data)}\n\n"
            await asyncio.sleep(1)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


# --- the fan's 360 page ------------------------------------------------------------------


@router.get("/coupons/customers/{customer_id}/panel", response_class=HTMLResponse)
def fan_panel(request: Request, context: Console, db: DbSession, customer_id: int) -> Response:
    """The coupons a fan holds, used or not, for their 360 page."""
    held = service.coupons_of(db, context.workspace.id, customer_id)  # a foreign fan: 404
    return render(
        request,
        "coupons/_customer_panel.html",
        {
            "coupons": [(c, service.describe(c.template)) for c in held[:20]],
            "unused": sum(1 for c in held if not c.used),
            "total": len(held),
        },
    )
