"""Console pages of check-in camps: the list with a form for a new camp, and a camp's page with
its daily tasks, the check-ins per day (chart) and the progress board."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from siyu.customers.figures import fan_labels
from siyu.engagement import service
from siyu.engagement.models import RULE_LABELS
from siyu.kit.bounds import Int64
from siyu.kit.clock import today
from siyu.kit.errors import Problem
from siyu.kit.i18n import N_, gettext
from siyu.kit.templating import render
from siyu.kit.web import DbSession
from siyu.workspace.auth import Console, ConsoleContext, OperatorConsole, csrf_protect

router = APIRouter(include_in_schema=False)
protected = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])

FormText = Annotated[str, Form()]
STATE_LABELS = {"upcoming": N_("Upcoming"), "running": N_("Running"), "ended": N_("Ended")}


@router.get("/camps", response_class=HTMLResponse)
def camp_list(request: Request, context: Console, db: DbSession) -> Response:
    return _list_page(request, context, db)


def _list_page(
    request: Request,
    context: ConsoleContext,
    db: Session,
    *,
    error: str | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    from siyu.community.service import all_groups
    from siyu.coupons.service import list_campaigns

    ws = context.workspace.id
    camps, _ = service.list_camps(db, ws, limit=200)
    groups = all_groups(db, ws)
    on = today(context.workspace.timezone)
    return render(
        request,
        "engagement/camps.html",
        {
            "camps": camps,
            "groups": groups,
            "group_names": {g.id: g.name for g in groups},
            "states": {c.id: service.camp_state(c, on) for c in camps},
            "ends": {c.id: service.ends_on(c) for c in camps},
            "campaigns": list_campaigns(db, ws, limit=200)[0],
            "photos": service.recent_photos(db, ws),
            "STATE_LABELS": STATE_LABELS,
            "RULE_LABELS": RULE_LABELS,
            "error": error,
            "form": form or {"starts_on": on.isoformat(), "rule": "consecutive"},
        },
        status_code=422 if error else 200,
    )


def _whole(text: str) -> int:
    text = text.strip()
    return int(text) if text.isdigit() and len(text) < 10 else -1


@protected.post("/camps", response_class=HTMLResponse)
def create_camp(
    request: Request,
    context: OperatorConsole,
    db: DbSession,
    title: FormText = "",
    group_id: FormText = "",
    starts_on: FormText = "",
    tasks: FormText = "",
    rule: FormText = "consecutive",
    required_days: FormText = "",
    reward_kind: FormText = "points",
    reward_points: FormText = "0",
    coupon_campaign_id: FormText = "",
) -> Response:
    form = {
        "title": title,
        "group_id": group_id,
        "starts_on": starts_on,
        "tasks": tasks,
        "rule": rule,
        "required_days": required_days,
        "reward_kind": reward_kind,
        "reward_points": reward_points,
        "coupon_campaign_id": coupon_campaign_id,
    }
    try:
        draft = service.CampDraft(
            group_id=_whole(group_id),
            title=title,
            starts_on=_date(starts_on),
            tasks=[line for line in tasks.splitlines() if line.strip()],
            rule=rule,
            required_days=_whole(required_days) if required_days.strip() else None,
            reward_kind=reward_kind,
            reward_points=_whole(reward_points) if reward_points.strip() else 0,
            coupon_campaign_id=_whole(coupon_campaign_id) if coupon_campaign_id.strip() else None,
        )
        camp = service.create_camp(db, context.workspace.id, context.actor(), draft)
    except Problem as problem:
        db.rollback()
        return _list_page(request, context, db, error=gettext(problem.title), form=form)
    return RedirectResponse(f"/camps/{camp.id}", status_code=303)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise service.invalid("starts_on", N_("Give the first day as a date")) from None


@router.get("/camps/{camp_id}", response_class=HTMLResponse)
def camp_page(camp_id: Int64, request: Request, context: Console, db: DbSession) -> Response:
    from siyu.community.service import get_group

    ws = context.workspace.id
    camp = service.get_camp(db, ws, camp_id)
    on = today(context.workspace.timezone)
    rows = service.board(db, camp)
    recent = service.recent_checkins(db, camp)
    per_day = service.checkins_per_day(db, camp)
    chart = {"labels": [str(d) for d in range(1, camp.days + 1)], "values": per_day}
    people: list[Any] = [p.customer_id for p in rows] + [c.customer_id for c in recent]
    return render(
        request,
        "engagement/camp.html",
        {
            "camp": camp,
            "group": get_group(db, ws, camp.group_id),
            "tasks": service.tasks_of(db, camp),
            "state": service.camp_state(camp, on),
            "today_day": service.camp_day(camp, on),
            "ends_on": service.ends_on(camp),
            "board": rows,
            "recent": recent,
            "chart": json.dumps(chart),
            "fans": fan_labels(db, ws, people),
            "STATE_LABELS": STATE_LABELS,
            "RULE_LABELS": RULE_LABELS,
        },
    )


@router.get("/camps/checkins/{checkin_id}/photo")
def checkin_photo(checkin_id: Int64, context: Console, db: DbSession) -> Response:
    row = service.checkin_photo(db, context.workspace.id, checkin_id)
    headers = {"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"}
    return Response(row.photo, media_type=row.photo_type, headers=headers)
