"""Fan pages of old-brings-new.

``/h5/invite`` is the fan's own invite page: a personal link (``/r/{code}``) and its QR code,
how many friends it brought, the rewards earned. ``/r/{code}`` is the public landing a friend
opens: it records the first touch in a signed cookie (the first inviter's link wins, within the
workspace's window) and shows how to join. The friend becomes the inviter's referral once they
are a fan: when they open a fan page of theirs with the cookie still set.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.orm import Session

from siyu.config import get_settings, public_url
from siyu.customers.fan_links import (
    FAN_COOKIE,
    CurrentFan,
    FanLinkInvalid,
    FanSessionRequired,
    fan_context,
    verify_fan_session,
)
from siyu.customers.figures import fan_labels
from siyu.kit.clock import utcnow
from siyu.kit.qr import qr_png_data_uri
from siyu.kit.templating import render
from siyu.kit.web import DbSession, writes
from siyu.referral import service
from siyu.workspace.service import find_workspace

router = APIRouter(prefix="/h5", include_in_schema=False)
links = APIRouter(include_in_schema=False)

PRIVATE = {"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"}
TOUCH_COOKIE = "siyu_ref"
TOUCH_SALT = "siyu.referral-touch"
TOUCH_MAX_AGE = 90 * 86400  # the longest window a workspace may set


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(get_settings().secret_key, salt=TOUCH_SALT)


def read_touch(request: Request) -> tuple[int, int, datetime] | None:
    """(workspace, inviter, when) of the first touch this browser holds, if any."""
    value = request.cookies.get(TOUCH_COOKIE)
    if not value:
        return None
    try:
        payload: Any = _serializer().loads(value)
    except BadSignature:
        return None
    if not isinstance(payload, dict) or not all(
        isinstance(payload.get(k), int) for k in ("w", "c", "t")
    ):
        return None
    return payload["w"], payload["c"], datetime.fromtimestamp(payload["t"], UTC)


def _claim(request: Request, db: Session, workspace_id: int, customer_id: int) -> bool:
    touch = read_touch(request)
    if touch is None or touch[0] != workspace_id:
        return False
    _, inviter_id, touched_at = touch
    return (
        service.claim_first_touch(db, workspace_id, customer_id, inviter_id, touched_at) is not None
    )


def _session_customer(request: Request, db: Session, workspace_id: int) -> int | None:
    value = request.cookies.get(FAN_COOKIE)
    if not value:
        return None
    try:
        fan = fan_context(db, verify_fan_session(value))
    except (FanLinkInvalid, FanSessionRequired):
        return None
    return fan.customer.id if fan.workspace.id == workspace_id else None


def invite_url(code: str) -> str:
    return public_url(f"/r/{code}")


@links.get("/r/{code}", response_class=HTMLResponse)
@writes  # a visitor who is already a new fan becomes the inviter's referral here
def landing(code: str, request: Request, db: DbSession) -> Response:
    owner = service.code_owner(db, code)
    workspace = find_workspace(db, owner.workspace_id) if owner is not None else None
    if owner is None or workspace is None:
        return render(request, "referral/h5_landing.html", {"workspace": None}, status_code=404)
    from siyu.community.service import list_families, live_code_url

    touch = read_touch(request)
    first_touch = touch is None or touch[0] != workspace.id
    visitor = _session_customer(request, db, workspace.id)
    if visitor is not None and first_touch:
        service.claim_first_touch(db, workspace.id, visitor, owner.customer_id, utcnow())
    codes = [(f.name, live_code_url(f)) for f in list_families(db, workspace.id) if f.is_active]
    label = fan_labels(db, workspace.id, [owner.customer_id]).get(owner.customer_id)
    response = render(
        request,
        "referral/h5_landing.html",
        {"workspace": workspace, "inviter": label.name if label else None, "codes": codes},
        headers=PRIVATE,
    )
    if first_touch:
        stamp = {"w": workspace.id, "c": owner.customer_id, "t": int(utcnow().timestamp())}
        response.set_cookie(
            TOUCH_COOKIE,
            _serializer().dumps(stamp),
            max_age=TOUCH_MAX_AGE,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
    return response


@router.get("/invite", response_class=HTMLResponse)
@writes  # the invite code is made on the first visit, and a pending first touch is claimed
def invite_page(request: Request, fan: CurrentFan, db: DbSession) -> Response:
    ws, me = fan.workspace.id, fan.customer.id
    _claim(request, db, ws, me)
    code = service.invite_code(db, ws, me)
    url = invite_url(code.code)
    invitees = service.invitees_of(db, ws, [me])
    rewards = service.rewards_of(db, ws, me)
    context = {
        "url": url,
        "qr": qr_png_data_uri(url),
        "invitees": len(invitees),
        "rewards": rewards,
        "points": sum(r.points for r in rewards),
        "settings": service.settings_of(db, ws),
    }
    return render(request, "referral/h5_invite.html", context, headers=PRIVATE)
