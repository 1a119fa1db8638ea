"""Console pages of the live domain: the list (with the workspace's grace period), the
create/edit form, and a live's page — reminders due, the live leaderboard (refreshed by
htmx), the report with its charts, per-sharer figures, wishlists, prizes (warned when one
would reward bare sharing), fair draws and the post-live coupon hand-out.

Changes are form posts answered with a redirect; a refusal re-renders the page with the reason.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from siyu.coupons import service as coupons
from siyu.customers.figures import fan_labels
from siyu.kit.bounds import Int64
from siyu.kit.clock import parse_local
from siyu.kit.errors import Problem
from siyu.kit.forms import comma_list
from siyu.kit.i18n import N_, gettext
from siyu.kit.templating import render
from siyu.kit.web import DbSession
from siyu.live import reminders, service
from siyu.live.models import (
    INVITE_LABELS,
    PHASE_LABELS,
    PLATFORM_LABELS,
    POOL_LABELS,
    PRIZE_LABELS,
    Live,
)
from siyu.live.report import live_report
from siyu.segments import service as segments
from siyu.workspace.auth import Console, OperatorConsole, csrf_protect

router = APIRouter(include_in_schema=False)
protected = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])

NOTICES = {
    "created": N_("Live created."),
    "saved": N_("Live saved."),
    "grace": N_("Grace period saved."),
    "prize": N_("Prize added."),
    "draw": N_("Draw created; its commitment is published."),
    "ran": N_("Draw run; the seed is revealed."),
    "settled": N_("Order invites counted from the imported orders."),
    "issued": N_("Post-live coupons issued."),
}
BOARD_SIZE = 20


def _message(problem: Problem) -> str:
    text = gettext(problem.title)
    details = "; ".join(str(e.get("message", "")) for e in problem.errors)
    return f"{text}: {details}" if details else text


async def _form(request: Request) -> dict[str, str]:
    return {k: str(v) for k, v in (await request.form()).items()}


def _when(text: str) -> datetime:
    return parse_local(text.replace("T", " "))


# --- the list ------------------------------------------------------------------------------


@router.get("/lives", response_class=HTMLResponse)
def lives(
    request: Request, context: Console, db: DbSession, notice: str = "", cursor: str | None = None
) -> Response:
    return _list_page(request, db, context.workspace.id, notice=notice, cursor=cursor)


def _list_page(
    request: Request,
    db: Session,
    workspace_id: int,
    *,
    notice: str = "",
    cursor: str | None = None,
    error: str | None = None,
) -> Response:
    rows, next_cursor = service.list_lives(db, workspace_id, cursor=cursor, limit=50)
    return render(
        request,
        "live/lives.html",
        {
            "active_nav": "live",
            "rows": [(live, service.phase_of(live)) for live in rows],
            "next_cursor": next_cursor,
            "grace": service.grace_minutes(db, workspace_id),
            "notice": NOTICES.get(notice),
            "error": error,
            "PLATFORM_LABELS": PLATFORM_LABELS,
            "PHASE_LABELS": PHASE_LABELS,
        },
        status_code=422 if error else 200,
    )


@protected.post("/lives/settings", response_class=HTMLResponse)
async def save_grace(request: Request, context: OperatorConsole, db: DbSession) -> Response:
    form = await _form(request)
    ws = context.workspace.id
    try:
        minutes = int(form.get("grace_minutes", ""))
        await run_in_threadpool(service.set_grace_minutes, db, ws, minutes, context.actor())
    except Problem as problem:
        return _list_page(request, db, ws, error=_message(problem))
    except ValueError:
        return _list_page(request, db, ws, error=gettext("Numbers are expected in the form"))
    return RedirectResponse("/lives?notice=grace", status_code=303)


# --- create and edit -----------------------------------------------------------------------


def _edit_form(
    request: Request,
    db: Session,
    workspace_id: int,
    live: Live | None,
    error: str | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    campaigns, _ = coupons.list_campaigns(db, workspace_id, limit=100)
    return render(
        request,
        "live/live_form.html",
        {
            "active_nav": "live",
            "live": live,
            "error": error,
            "values": values or _values_of(live),
            "campaigns": campaigns,
            "PLATFORM_LABELS": PLATFORM_LABELS,
        },
        status_code=422 if error else 200,
    )


def _values_of(live: Live | None) -> dict[str, str]:
    if live is None:
        return {}
    return {
        "title": live.title,
        "platform": live.platform,
        "room_url": live.room_url or "",
        "streamer_id": live.streamer_id or "",
        "starts_at": live.starts_at.isoformat(),
        "ends_at": live.ends_at.isoformat(),
        "products": "\n".join(live.products),
        "campaigns": ",".join(str(c) for c in live.coupon_campaign_ids),
    }


def _draft(request_form: dict[str, str], campaign_ids: list[int]) -> service.LiveDraft:
    return service.LiveDraft(
        title=request_form.get("title", ""),
        platform=request_form.get("platform", ""),
        starts_at=_when(request_form.get("starts_at", "")),
        ends_at=_when(request_form.get("ends_at", "")),
        streamer_id=request_form.get("streamer_id", "").strip() or None,
        room_url=request_form.get("room_url", "").strip() or None,
        products=comma_list(request_form.get("products", "")),
        coupon_campaign_ids=campaign_ids,
    )


@router.get("/lives/new", response_class=HTMLResponse)
def new_live(request: Request, context: OperatorConsole, db: DbSession) -> Response:
    return _edit_form(request, db, context.workspace.id, None)


@protected.post("/lives", response_class=HTMLResponse)
async def create_live(request: Request, context: OperatorConsole, db: DbSession) -> Response:
    form = await request.form()
    values = {k: str(v) for k, v in form.items()}
    ws = context.workspace.id
    try:
        draft = _draft(values, [int(str(c)) for c in form.getlist("campaigns")])
        live = await run_in_threadpool(service.create_live, db, ws, draft, context.actor())
    except Problem as problem:
        return _edit_form(request, db, ws, None, _message(problem), values)
    except ValueError:
        return _edit_form(request, db, ws, None, gettext("Give a start and an end time"), values)
    return RedirectResponse(f"/lives/{live.id}?notice=created", status_code=303)


@router.get("/lives/{live_id}/edit", response_class=HTMLResponse)
def edit_live(
    request: Request, live_id: Int64, context: OperatorConsole, db: DbSession
) -> Response:
    live = service.get_live(db, context.workspace.id, live_id)
    return _edit_form(request, db, context.workspace.id, live)


@protected.post("/lives/{live_id}", response_class=HTMLResponse)
async def save_live(
    request: Request, live_id: Int64, context: OperatorConsole, db: DbSession
) -> Response:
    form = await request.form()
    values = {k: str(v) for k, v in form.items()}
    ws = context.workspace.id
    live = service.get_live(db, ws, live_id)
    try:
        changes = _draft(values, [int(str(c)) for c in form.getlist("campaigns")]).__dict__
        await run_in_threadpool(service.update_live, db, ws, live_id, changes, context.actor())
    except Problem as problem:
        return _edit_form(request, db, ws, live, _message(problem), values)
    except ValueError:
        return _edit_form(request, db, ws, live, gettext("Give a start and an end time"), values)
    return RedirectResponse(f"/lives/{live_id}?notice=saved", status_code=303)


# --- a live's page -------------------------------------------------------------------------


def _chart(report: Any) -> str:
    """The funnel from visits to orders, for the ECharts bar chart."""
    steps = [
        (N_("Share visits"), report.share_visits),
        (N_("Effective invites"), report.effective_invites),
        (N_("Reservations"), report.reservations),
        (N_("Orders"), report.orders),
        (N_("Share-attributed orders"), report.share_attributed_orders),
    ]
    return json.dumps({"labels": [gettext(s) for s, _ in steps], "values": [v for _, v in steps]})


def _detail(
    request: Request,
    db: Session,
    workspace_id: int,
    live_id: int,
    *,
    notice: str = "",
    error: str | None = None,
) -> Response:
    live = service.get_live(db, workspace_id, live_id)
    report = live_report(db, live)
    standings = service.leaderboard(db, live, BOARD_SIZE)
    draws = service.draws_of(db, live)
    prizes = service.prizes_of(db, live)
    people = {s.customer_id for s in standings} | {line.customer_id for line in report.sharers}
    for draw in draws:
        people |= set(draw.winner_ids or [])
    campaigns, _ = coupons.list_campaigns(db, workspace_id, channel="post_live", limit=100)
    return render(
        request,
        "live/live.html",
        {
            "active_nav": "live",
            "live": live,
            "phase": service.phase_of(live),
            "report": report,
            "chart": _chart(report),
            "standings": standings,
            "fans": fan_labels(db, workspace_id, people),
            "draws": draws,
            "prizes": prizes,
            "bare_sharing": service.rewards_bare_sharing(prizes),
            "wishes": service.wishlist_counts(db, live),
            "tasks": reminders.reminder_tasks(db, live),
            "channel_reminds": reminders.channel_takes_reminders(),
            "segments": segments.list_segments(db, workspace_id),
            "post_live_campaigns": campaigns,
            "grace": service.grace_minutes(db, workspace_id),
            "notice": NOTICES.get(notice),
            "error": error,
            "PLATFORM_LABELS": PLATFORM_LABELS,
            "PHASE_LABELS": PHASE_LABELS,
            "POOL_LABELS": POOL_LABELS,
            "PRIZE_LABELS": PRIZE_LABELS,
            "INVITE_LABELS": INVITE_LABELS,
        },
        status_code=422 if error else 200,
    )


@router.get("/lives/{live_id}", response_class=HTMLResponse)
def live_page(
    request: Request, live_id: Int64, context: Console, db: DbSession, notice: str = ""
) -> Response:
    return _detail(request, db, context.workspace.id, live_id, notice=notice)


@router.get("/lives/{live_id}/leaderboard", response_class=HTMLResponse)
def leaderboard_fragment(
    request: Request, live_id: Int64, context: Console, db: DbSession
) -> Response:
    """The board alone, polled by the live's page while the live runs."""
    live = service.get_live(db, context.workspace.id, live_id)
    standings = service.leaderboard(db, live, BOARD_SIZE)
    fans = fan_labels(db, live.workspace_id, (s.customer_id for s in standings))
    return render(request, "live/_board.html", {"live": live, "standings": standings, "fans": fans})


async def _act(
    request: Request, context: OperatorConsole, db: Session, live_id: int, action: Any, notice: str
) -> Response:
    """Run a form's action on the live; a refusal re-renders the live's page with it."""
    form = await _form(request)
    live = service.get_live(db, context.workspace.id, live_id)
    try:
        await run_in_threadpool(action, live, form)
    except Problem as problem:
        return _detail(request, db, context.workspace.id, live_id, error=_message(problem))
    except ValueError:
        message = gettext("Numbers are expected in the form")
        return _detail(request, db, context.workspace.id, live_id, error=message)
    return RedirectResponse(f"/lives/{live_id}?notice={notice}", status_code=303)


@protected.post("/lives/{live_id}/prizes", response_class=HTMLResponse)
async def add_prize(
    request: Request, live_id: Int64, context: OperatorConsole, db: DbSession
) -> Response:
    def act(live: Live, form: dict[str, str]) -> None:
        top = int(form["top_n"]) if form.get("top_n", "").strip() else None
        service.add_prize(
            db, live, form.get("name", ""), form.get("basis", ""), top, context.actor()
        )

    return await _act(request, context, db, live_id, act, "prize")


@protected.post("/lives/{live_id}/draws", response_class=HTMLResponse)
async def create_draw(
    request: Request, live_id: Int64, context: OperatorConsole, db: DbSession
) -> Response:
    def act(live: Live, form: dict[str, str]) -> None:
        segment = form.get("segment_id", "").strip()
        service.create_draw(
            db,
            live,
            name=form.get("name", ""),
            pool=form.get("pool", ""),
            winners=int(form.get("winners") or 0),
            segment_id=int(segment) if segment else None,
            prize=form.get("prize"),
            actor=context.actor(),
        )

    return await _act(request, context, db, live_id, act, "draw")


@protected.post("/lives/{live_id}/draws/{draw_id}/run", response_class=HTMLResponse)
async def run_draw(
    request: Request, live_id: Int64, draw_id: Int64, context: OperatorConsole, db: DbSession
) -> Response:
    def act(live: Live, form: dict[str, str]) -> None:
        draw = service.get_draw(db, live.workspace_id, draw_id)
        if draw.live_id != live.id:
            raise service.draw_not_found()
        service.run_draw(db, live.workspace_id, draw_id, context.actor())

    return await _act(request, context, db, live_id, act, "ran")


@protected.post("/lives/{live_id}/settle", response_class=HTMLResponse)
async def settle(
    request: Request, live_id: Int64, context: OperatorConsole, db: DbSession
) -> Response:
    return await _act(
        request,
        context,
        db,
        live_id,
        lambda live, _f: service.settle_order_invites(db, live),
        "settled",
    )


@protected.post("/lives/{live_id}/post-live", response_class=HTMLResponse)
async def post_live(
    request: Request, live_id: Int64, context: OperatorConsole, db: DbSession
) -> Response:
    def act(live: Live, form: dict[str, str]) -> None:
        service.issue_post_live(db, live, int(form.get("campaign_id") or 0), context.actor())

    return await _act(request, context, db, live_id, act, "issued")
