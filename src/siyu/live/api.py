"""REST endpoints of the live domain (scoped to the token's workspace)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

from siyu.config import public_url
from siyu.kit.bounds import Int64
from siyu.kit.pagination import Page
from siyu.kit.web import DbSession
from siyu.live import service
from siyu.live.models import Live, LiveDraw
from siyu.live.report import live_report
from siyu.live.schemas import (
    DrawCreatedOut,
    DrawIn,
    DrawResultOut,
    LeaderboardOut,
    LiveIn,
    LiveOut,
    LivePatch,
    ReportOut,
    ReservationIn,
    ReservationOut,
    ShareLinkIn,
    ShareLinkOut,
    StandingOut,
)
from siyu.workspace.auth import Api

router = APIRouter(tags=["lives"])


def live_out(live: Live) -> LiveOut:
    out = LiveOut.model_validate(live)
    out.phase = service.phase_of(live)
    out.fan_page_url = public_url(f"/h5/lives/{live.id}")
    return out


def draw_result(draw: LiveDraw) -> DrawResultOut:
    return DrawResultOut(
        winners=list(draw.winner_ids or []),
        seed=draw.seed_hex,
        commitment=draw.commitment,
        pool_size=len(draw.pool_ids or []),
    )


@router.post("/lives", response_model=LiveOut, status_code=201)
def create_live(body: LiveIn, api: Api, db: DbSession) -> LiveOut:
    draft = service.LiveDraft(**body.model_dump())
    return live_out(service.create_live(db, api.workspace_id, draft, api.actor()))


@router.get("/lives", response_model=Page[LiveOut])
def list_lives(
    api: Api, db: DbSession, cursor: str | None = None, limit: int = Query(50, ge=1, le=200)
) -> Page[LiveOut]:
    rows, next_cursor = service.list_lives(db, api.workspace_id, cursor=cursor, limit=limit)
    return Page(items=[live_out(live) for live in rows], next_cursor=next_cursor)


@router.get("/lives/{live_id}", response_model=LiveOut)
def get_live(live_id: Int64, api: Api, db: DbSession) -> LiveOut:
    return live_out(service.get_live(db, api.workspace_id, live_id))


@router.patch("/lives/{live_id}", response_model=LiveOut)
def update_live(live_id: Int64, body: LivePatch, api: Api, db: DbSession) -> LiveOut:
    changes = body.model_dump(exclude_unset=True)
    return live_out(service.update_live(db, api.workspace_id, live_id, changes, api.actor()))


@router.post("/lives/{live_id}/reservations", response_model=ReservationOut, status_code=201)
def reserve(
    live_id: Int64, body: ReservationIn, api: Api, db: DbSession, response: Response
) -> ReservationOut:
    """Reserve for a fan; the same fan again answers 200 with the existing reservation. A
    ``via`` share code credits that link's owner with an effective invite."""
    reservation, created = service.reserve(
        db, api.workspace_id, live_id, body.customer_id, via=body.via
    )
    if not created:
        response.status_code = 200
    return ReservationOut.model_validate(reservation)


@router.post("/lives/{live_id}/share-links", response_model=ShareLinkOut, status_code=201)
def share_link(live_id: Int64, body: ShareLinkIn, api: Api, db: DbSession) -> ShareLinkOut:
    """The fan's personal link (the same code every time for the same fan)."""
    share, _ = service.share_link(db, api.workspace_id, live_id, body.customer_id)
    return ShareLinkOut(code=share.code, url=public_url(f"/s/{share.code}"))


@router.get("/lives/{live_id}/leaderboard", response_model=LeaderboardOut)
def leaderboard(
    live_id: Int64, api: Api, db: DbSession, limit: int = Query(10, ge=1, le=200)
) -> LeaderboardOut:
    """Sharers by effective invites; ties go to whoever reached the count first."""
    live = service.get_live(db, api.workspace_id, live_id)
    standings = service.leaderboard(db, live, limit)
    return LeaderboardOut(
        items=[
            StandingOut(customer_id=s.customer_id, invites=s.invites, rank=s.rank)
            for s in standings
        ]
    )


@router.post("/lives/{live_id}/draws", response_model=DrawCreatedOut, status_code=201)
def create_draw(live_id: Int64, body: DrawIn, api: Api, db: DbSession) -> DrawCreatedOut:
    """A fair draw; the answer publishes ``commitment`` = sha256(seed) before anyone knows
    the seed."""
    live = service.get_live(db, api.workspace_id, live_id)
    draw = service.create_draw(
        db,
        live,
        name=body.name,
        pool=body.pool,
        winners=body.winners,
        segment_id=body.segment_id,
        prize=body.prize,
        actor=api.actor(),
    )
    return DrawCreatedOut(id=draw.id, commitment=draw.commitment)


@router.post("/draws/{draw_id}/run", response_model=DrawResultOut)
def run_draw(draw_id: Int64, api: Api, db: DbSession) -> DrawResultOut:
    """Reveal the seed and draw; running it again returns the same result."""
    return draw_result(service.run_draw(db, api.workspace_id, draw_id, api.actor()))


@router.get("/lives/{live_id}/report", response_model=ReportOut)
def report(live_id: Int64, api: Api, db: DbSession) -> ReportOut:
    live = service.get_live(db, api.workspace_id, live_id)
    return ReportOut(**live_report(db, live).contract())
