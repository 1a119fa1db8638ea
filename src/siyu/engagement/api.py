"""REST endpoints of check-in camps: create, list and read camps, check fans in, the board."""

from __future__ import annotations

from fastapi import APIRouter, Query

from siyu.customers.service import check_customers
from siyu.engagement import service
from siyu.engagement.models import Camp
from siyu.engagement.schemas import (
    BoardOut,
    CampDetailOut,
    CampIn,
    CampOut,
    CheckInIn,
    CheckInOut,
    ProgressOut,
    TaskOut,
)
from siyu.kit.bounds import Int64
from siyu.kit.clock import today
from siyu.kit.errors import NotFound
from siyu.kit.pagination import Page
from siyu.kit.sql import unknown_reference
from siyu.kit.web import DbSession
from siyu.workspace.auth import Api
from siyu.workspace.service import find_workspace

router = APIRouter(tags=["check-in camps"])


def _tz(db: DbSession, workspace_id: int) -> str:
    workspace = find_workspace(db, workspace_id)
    return workspace.timezone if workspace is not None else "Asia/Shanghai"


def _detail(db: DbSession, camp: Camp, tz: str) -> CampDetailOut:
    on = today(tz)
    return CampDetailOut(
        **CampOut.model_validate(camp).model_dump(),
        state=service.camp_state(camp, on),
        today=service.camp_day(camp, on),
        tasks=[TaskOut.model_validate(t) for t in service.tasks_of(db, camp)],
    )


@router.post("/camps", response_model=CampDetailOut, status_code=201, responses={422: {}})
def create_camp(body: CampIn, api: Api, db: DbSession) -> CampDetailOut:
    """A camp of ``len(tasks)`` days on a fan group, one task per day."""
    draft = service.CampDraft(**body.model_dump())
    try:
        camp = service.create_camp(db, api.workspace_id, api.actor(), draft)
    except NotFound as missing:  # an id in the body that this workspace does not have
        field = "group_id" if missing.slug == "group-not-found" else "coupon_campaign_id"
        raise unknown_reference(field) from None
    return _detail(db, camp, _tz(db, api.workspace_id))


@router.get("/camps", response_model=Page[CampOut])
def list_camps(
    api: Api,
    db: DbSession,
    cursor: str | None = None,
    limit: int = Query(default=50, ge=1, le=200),
) -> Page[CampOut]:
    found, next_cursor = service.list_camps(db, api.workspace_id, cursor=cursor, limit=limit)
    return Page(items=[CampOut.model_validate(c) for c in found], next_cursor=next_cursor)


@router.get("/camps/{camp_id}", response_model=CampDetailOut, responses={404: {}})
def get_camp(camp_id: Int64, api: Api, db: DbSession) -> CampDetailOut:
    camp = service.get_camp(db, api.workspace_id, camp_id)
    return _detail(db, camp, _tz(db, api.workspace_id))


@router.post(
    "/camps/{camp_id}/check-ins",
    response_model=CheckInOut,
    status_code=201,
    responses={404: {}, 409: {"description": "Not running, not a member, or done today"}},
)
def check_in(camp_id: Int64, body: CheckInIn, api: Api, db: DbSession) -> CheckInOut:
    """Today's check-in of a member of the camp's group (the task done, in a few words)."""
    service.get_camp(db, api.workspace_id, camp_id)  # the path's camp first: 404 before 422
    check_customers(db, api.workspace_id, [body.customer_id], "customer_id")
    row = service.check_in(
        db,
        api.workspace_id,
        camp_id,
        body.customer_id,
        note=body.note,
        photo=None,
        tz=_tz(db, api.workspace_id),
    )
    return CheckInOut.model_validate(row)


@router.get("/camps/{camp_id}/progress", response_model=BoardOut, responses={404: {}})
def progress(camp_id: Int64, api: Api, db: DbSession) -> BoardOut:
    """The progress board: participants by days checked in, then best streak."""
    camp = service.get_camp(db, api.workspace_id, camp_id)
    return BoardOut(
        items=[
            ProgressOut(
                customer_id=p.customer_id,
                days=sorted(p.days),
                checked=p.checked,
                streak=p.streak,
                completed=p.completed,
            )
            for p in service.board(db, camp)
        ]
    )
