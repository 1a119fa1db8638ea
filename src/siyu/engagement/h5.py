"""Fan pages of check-in camps: the fan's camps, and a camp's page with today's task, the
check-in form (a few words, a photo, or both) and the progress board."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from siyu.customers.fan_links import CurrentFan, FanContext, fan_csrf_protect, fan_csrf_token
from siyu.customers.figures import fan_labels
from siyu.engagement import service
from siyu.engagement.models import MAX_PHOTO_BYTES, RULE_LABELS, Camp
from siyu.kit.bounds import Int64
from siyu.kit.clock import today
from siyu.kit.errors import Problem
from siyu.kit.i18n import gettext
from siyu.kit.templating import render
from siyu.kit.web import DbSession

router = APIRouter(prefix="/h5", include_in_schema=False)

PRIVATE = {"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"}
FanCsrf = Annotated[None, Depends(fan_csrf_protect)]


@router.get("/camps", response_class=HTMLResponse)
def my_camps(request: Request, fan: CurrentFan, db: DbSession) -> Response:
    camps = service.camps_for_fan(db, fan.workspace.id, fan.customer.id)
    on = today(fan.workspace.timezone)
    states = {c.id: service.camp_state(c, on) for c in camps}
    return render(
        request, "engagement/h5_camps.html", {"camps": camps, "states": states}, headers=PRIVATE
    )


def _is_member(db: DbSession, fan: FanContext, camp: Camp) -> bool:
    camps = service.camps_for_fan(db, fan.workspace.id, fan.customer.id)
    return any(c.id == camp.id for c in camps)


def _camp_page(
    request: Request, db: DbSession, fan: FanContext, camp: Camp, error: str | None = None
) -> Response:
    on = today(fan.workspace.timezone)
    day = service.camp_day(camp, on)
    tasks = {t.day: t.text for t in service.tasks_of(db, camp)}
    mine = service.days_of(db, camp, fan.customer.id)
    board = service.board(db, camp, limit=10)
    names = fan_labels(db, fan.workspace.id, [p.customer_id for p in board])
    context = {
        "camp": camp,
        "day": day,
        "task": tasks.get(day) if day else None,
        "done_today": day in mine,
        "mine": mine,
        "streak": service.best_streak(mine),
        "board": board,
        "names": {cid: (label.name or "") for cid, label in names.items()},
        "me": fan.customer.id,
        "state": service.camp_state(camp, on),
        "member": _is_member(db, fan, camp),
        "rule_label": RULE_LABELS[camp.rule],
        "csrf": fan_csrf_token(request),
        "error": error,
        "max_mb": MAX_PHOTO_BYTES // (1024 * 1024),
    }
    return render(
        request,
        "engagement/h5_camp.html",
        context,
        status_code=422 if error else 200,
        headers=PRIVATE,
    )


@router.get("/camps/{camp_id}", response_class=HTMLResponse)
def camp_page(camp_id: Int64, request: Request, fan: CurrentFan, db: DbSession) -> Response:
    """Any camp of the fan's workspace: its board for all, the check-in form for its members."""
    return _camp_page(request, db, fan, service.get_camp(db, fan.workspace.id, camp_id))


@router.post("/camps/{camp_id}/check-in", response_class=HTMLResponse)
async def check_in(
    camp_id: Int64,
    request: Request,
    fan: CurrentFan,
    db: DbSession,
    _csrf: FanCsrf,
    note: Annotated[str, Form()] = "",
    photo: Annotated[UploadFile | None, File()] = None,
) -> Response:
    camp = service.get_camp(db, fan.workspace.id, camp_id)
    picture = None
    if photo is not None and photo.filename:
        content = await photo.read(MAX_PHOTO_BYTES + 1)
        picture = service.Photo(content, photo.content_type or "")
    try:
        service.check_in(
            db,
            fan.workspace.id,
            camp.id,
            fan.customer.id,
            note=note,
            photo=picture,
            tz=fan.workspace.timezone,
        )
    except Problem as problem:
        db.rollback()
        return _camp_page(request, db, fan, camp, error=gettext(problem.title))
    return RedirectResponse(f"/h5/camps/{camp.id}?done=1", status_code=303)
