"""Fan pages of the live domain, at phone width: the live's page (reserve, wishlist, share
link and poster, the leaderboard with the fan's own rank, draw results) and the share link's
redirect ``/s/{code}``, which counts the visit and sends the visitor to the live's page.

The live's page is public: a visitor who came by a friend's link sees the live without a fan
session. A fan signed in to another workspace gets 404, as for any row not theirs.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from siyu.config import public_url
from siyu.customers.fan_links import (
    FAN_COOKIE,
    CurrentFan,
    FanContext,
    FanLinkInvalid,
    FanSessionRequired,
    fan_context,
    fan_csrf_protect,
    fan_csrf_token,
    verify_fan_session,
)
from siyu.customers.figures import fan_labels
from siyu.db import read_first, write_beside
from siyu.kit.bounds import Int64
from siyu.kit.qr import qr_png_data_uri
from siyu.kit.templating import render
from siyu.kit.web import DbSession
from siyu.live import service, visits
from siyu.live.models import PHASE_LABELS, PLATFORM_LABELS, POOL_LABELS, Live
from siyu.live.service import live_not_found

router = APIRouter(prefix="/h5/lives", include_in_schema=False)
# The share link's short address, tried ahead of the other pages (a shared live's crowd).
share_router = APIRouter(include_in_schema=False)

PRIVATE = {"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"}
BOARD_SIZE = 10
FanCsrf = Annotated[None, Depends(fan_csrf_protect)]


@share_router.get("/s/{code}")
async def open_share(request: Request, code: str) -> Response:
    visitor = visits.visitor_of(request.cookies.get(visits.VISITOR_COOKIE)) or visits.new_visitor()
    live_id = await visits.count_visit(code, visitor)
    if live_id is None:
        raise service.share_not_found()
    response = RedirectResponse(f"/h5/lives/{live_id}", status_code=302, headers=PRIVATE)
    response.set_cookie(
        visits.VISITOR_COOKIE, visitor, max_age=365 * 86400, httponly=True, samesite="lax"
    )
    return response


@router.get("", response_class=HTMLResponse)
def my_lives(request: Request, fan: CurrentFan, db: DbSession) -> Response:
    """The workspace's lives for the fan: coming ones first, then the last few."""
    rows, _ = service.list_lives(db, fan.workspace.id, limit=20)
    rows.sort(key=lambda live: (service.phase_of(live) == "ended", live.starts_at))
    items = [
        {
            "live": live,
            "phase": service.phase_of(live),
            "draws": [d for d in service.draws_of(db, live) if d.ran_at is not None],
        }
        for live in rows
    ]
    context = {"items": items, "PLATFORM_LABELS": PLATFORM_LABELS, "PHASE_LABELS": PHASE_LABELS}
    return render(request, "live/h5_lives.html", context, headers=PRIVATE)


def optional_fan(request: Request, db: DbSession) -> FanContext | None:
    value = request.cookies.get(FAN_COOKIE)
    if not value:
        return None
    try:
        with read_first(db):
            return fan_context(db, verify_fan_session(value))
    except (FanLinkInvalid, FanSessionRequired):
        return None


MaybeFan = Annotated[FanContext | None, Depends(optional_fan)]


def _live_for(db: Session, live_id: int, fan: FanContext | None) -> Live:
    """A signed-in fan sees only their workspace's lives; a visitor any live by its id."""
    if fan is not None:
        return service.get_live(db, fan.workspace.id, live_id)
    live = db.get(Live, live_id)
    if live is None:
        raise live_not_found()
    return live


def _bind_visitor(request: Request, db: Session, live: Live, fan: FanContext) -> None:
    visitor = visits.visitor_of(request.cookies.get(visits.VISITOR_COOKIE))
    if visitor and service.has_unbound_visit(db, live, visitor):
        customer_id = fan.customer.id
        write_beside(db, lambda s: service.bind_visitor(s, live, visitor, customer_id))


@router.get("/{live_id}", response_class=HTMLResponse)
def live_page(request: Request, live_id: Int64, fan: MaybeFan, db: DbSession) -> Response:
    live = _live_for(db, live_id, fan)
    standings = service.leaderboard(db, live, BOARD_SIZE)
    context: dict[str, Any] = {
        "live": live,
        "phase": service.phase_of(live),
        "PLATFORM_LABELS": PLATFORM_LABELS,
        "standings": standings,
        "names": fan_labels(db, live.workspace_id, (s.customer_id for s in standings)),
        "draws": [d for d in service.draws_of(db, live) if d.ran_at is not None],
        "POOL_LABELS": POOL_LABELS,
        "fan": fan,
    }
    if fan is not None:
        _bind_visitor(request, db, live, fan)
        share = service.share_of(db, live, fan.customer.id)
        link = public_url(f"/s/{share.code}") if share else None
        context |= {
            "reservation": service.reservation_of(db, live, fan.customer.id),
            "mine": service.standing_of(db, live, fan.customer.id),
            "share_link": link,
            "qr": qr_png_data_uri(link) if link else None,
            "csrf": fan_csrf_token(request),
        }
    return render(request, "live/h5_live.html", context, headers=PRIVATE)


@router.post("/{live_id}/reserve")
def reserve(
    request: Request, live_id: Int64, fan: CurrentFan, db: DbSession, _csrf: FanCsrf
) -> Response:
    visitor = visits.visitor_of(request.cookies.get(visits.VISITOR_COOKIE))
    service.reserve(db, fan.workspace.id, live_id, fan.customer.id, visitor=visitor)
    return RedirectResponse(f"/h5/lives/{live_id}#reserved", status_code=303)


@router.post("/{live_id}/wishlist")
def wishlist(
    live_id: Int64,
    fan: CurrentFan,
    db: DbSession,
    _csrf: FanCsrf,
    products: Annotated[list[str] | None, Form()] = None,
) -> Response:
    live = service.get_live(db, fan.workspace.id, live_id)
    service.set_wishlist(db, live, fan.customer.id, products or [])
    return RedirectResponse(f"/h5/lives/{live_id}#wishlist", status_code=303)


@router.post("/{live_id}/share")
def share(live_id: Int64, fan: CurrentFan, db: DbSession, _csrf: FanCsrf) -> Response:
    service.share_link(db, fan.workspace.id, live_id, fan.customer.id)
    return RedirectResponse(f"/h5/lives/{live_id}#share", status_code=303)


@router.get("/{live_id}/draws/{draw_id}", response_class=HTMLResponse)
def draw_page(
    request: Request, live_id: Int64, draw_id: Int64, fan: MaybeFan, db: DbSession
) -> Response:
    """The draw's published result: pool, seed, commitment and how to recompute it."""
    live = _live_for(db, live_id, fan)
    draw = service.get_draw(db, live.workspace_id, draw_id)
    if draw.live_id != live.id:
        raise service.draw_not_found()
    context = {
        "live": live,
        "draw": draw,
        "names": fan_labels(db, live.workspace_id, draw.winner_ids or []),
        "POOL_LABELS": POOL_LABELS,
    }
    return render(request, "live/h5_draw.html", context, headers=PRIVATE)
