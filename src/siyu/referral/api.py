"""REST endpoints of the referral domain: record a referral, list and read them, list rewards."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from siyu.kit.bounds import Int64
from siyu.kit.pagination import Page
from siyu.kit.web import DbSession
from siyu.referral import service
from siyu.referral.schemas import ReferralIn, ReferralOut, RewardOut
from siyu.workspace.auth import Api

router = APIRouter(tags=["referrals"])

REFUSALS: dict[int | str, dict[str, Any]] = {
    409: {
        "description": "Refused: "
        f"`{service.TOO_DEEP}` (deeper than the workspace allows), `{service.CYCLE}`, "
        f"`{service.ALREADY_INVITED}` (a fan is invited once), "
        f"`{service.ALREADY_INVITER}` (a fan who already invites others)."
    }
}


@router.post(
    "/referrals", response_model=ReferralOut, status_code=201, responses={**REFUSALS, 422: {}}
)
def create_referral(body: ReferralIn, api: Api, db: DbSession) -> ReferralOut:
    """Register that ``invitee_id`` was brought by ``inviter_id``. The inviter is rewarded only
    when the invitee's own first paid order arrives."""
    node = service.refer(db, api.workspace_id, body.inviter_id, body.invitee_id, api.actor())
    return ReferralOut.of(node)


@router.get("/referrals", response_model=Page[ReferralOut])
def list_referrals(
    api: Api,
    db: DbSession,
    inviter_id: Int64 | None = None,
    cursor: str | None = None,
    limit: int = Query(default=50, ge=1, le=200),
) -> Page[ReferralOut]:
    """Referrals, newest first; ``inviter_id`` keeps one inviter's direct invitees."""
    found, next_cursor = service.list_referrals(
        db, api.workspace_id, inviter_id=inviter_id, cursor=cursor, limit=limit
    )
    return Page(items=[ReferralOut.of(n) for n in found], next_cursor=next_cursor)


@router.get("/referrals/{referral_id}", response_model=ReferralOut, responses={404: {}})
def get_referral(referral_id: Int64, api: Api, db: DbSession) -> ReferralOut:
    return ReferralOut.of(service.get_referral(db, api.workspace_id, referral_id))


@router.get("/referral-rewards", response_model=Page[RewardOut])
def list_rewards(
    api: Api,
    db: DbSession,
    cursor: str | None = None,
    limit: int = Query(default=50, ge=1, le=200),
) -> Page[RewardOut]:
    """Rewards paid for invitees' first orders, newest first."""
    found, next_cursor = service.list_rewards(db, api.workspace_id, cursor=cursor, limit=limit)
    return Page(items=[RewardOut.model_validate(r) for r in found], next_cursor=next_cursor)
