"""The landing of a broadcast's link (``/h5/o/{token}``): count the open, then send the fan on.

The token is signed (``attachments.link_token``) and names the broadcast and, for a coupon or
mall item sent to one fan, that fan: the open is counted for the fan, and the fan arrives on the
offer's page already signed in, as if they had opened their personal fan link. A token that is
not ours, altered or too old answers a 404 page and counts nothing.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from siyu.config import get_settings
from siyu.customers.fan_links import (
    DEFAULT_TTL_SECONDS,
    FAN_COOKIE,
    FanClaim,
    FanSessionRequired,
    fan_context,
    sign_fan_session,
)
from siyu.kit.clock import utcnow
from siyu.kit.errors import NotFound
from siyu.kit.templating import render
from siyu.kit.web import DbSession, writes
from siyu.outreach import attachments, service

router = APIRouter(prefix="/h5/o", include_in_schema=False)

PRIVATE = {"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"}


@router.get("/{token}", response_class=HTMLResponse)
@writes
def open_broadcast_link(request: Request, token: str, db: DbSession) -> Response:
    claim = attachments.read_link_token(token)
    broadcast = None
    if claim is not None:
        try:
            broadcast = service.get_broadcast(db, claim.workspace_id, claim.broadcast_id)
        except NotFound:
            broadcast = None
    if claim is None or broadcast is None or not attachments.is_tracked(broadcast.attachment):
        return render(request, "outreach/h5_link_gone.html", status_code=404, headers=PRIVATE)
    attachments.record_click(db, claim, utcnow())
    assert broadcast.attachment is not None
    response = RedirectResponse(
        attachments.target_of(broadcast.attachment), status_code=303, headers=PRIVATE
    )
    if claim.customer_id is not None:
        _sign_in(db, response, claim.workspace_id, claim.customer_id)
    return response


def _sign_in(db: Session, response: Response, workspace_id: int, customer_id: int) -> None:
    """The fan's page session, as their personal fan link would open it (a merged or erased
    fan gets none: the page then explains how to get a fresh link)."""
    claim = FanClaim(workspace_id, customer_id, utcnow() + timedelta(seconds=DEFAULT_TTL_SECONDS))
    try:
        fan_context(db, claim)
    except FanSessionRequired:
        return
    response.set_cookie(
        FAN_COOKIE,
        sign_fan_session(claim),
        max_age=DEFAULT_TTL_SECONDS,
        path="/h5",
        httponly=True,
        samesite="lax",
        secure=get_settings().cookie_secure,
    )
