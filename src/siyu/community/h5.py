"""Fan pages of the fan-groups domain.

``/h5/g/{workspace}/{slug}`` is a family's live code (活码), public: anyone who scans it is
routed to the first group with room and shown that group's own join QR code. A visitor who
already holds a fan session of the workspace is routed as themselves (entry rules apply, the
seat is theirs); a stranger is routed without a seat, which the join itself takes later.

``/h5/groups/{slug}`` is the same code opened from a fan's personal pages, and ``/h5/groups``
lists the fan's groups and the codes open to them.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from siyu.community import service
from siyu.community.models import FanGroup, FanGroupFamily
from siyu.customers.fan_links import (
    FAN_COOKIE,
    CurrentFan,
    FanContext,
    FanLinkInvalid,
    FanSessionRequired,
    fan_context,
    verify_fan_session,
)
from siyu.kit.errors import NotFound
from siyu.kit.i18n import gettext
from siyu.kit.qr import qr_png_data_uri
from siyu.kit.templating import render
from siyu.kit.web import DbSession
from siyu.workspace import service as workspace_service
from siyu.workspace.audit import Actor

router = APIRouter(prefix="/h5", include_in_schema=False)

PRIVATE = {"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"}
TEMPLATE = "community/h5_live_code.html"


def _unknown(request: Request) -> Response:
    context: dict[str, Any] = {"outcome": "unknown", "family": None, "group": None}
    return render(request, TEMPLATE, context, status_code=404, headers=PRIVATE)


def _page(request: Request, outcome: str, family: FanGroupFamily, **extra: Any) -> Response:
    group: FanGroup | None = extra.pop("group", None)
    qr = qr_png_data_uri(group.join_url) if group is not None and group.join_url else None
    context = {
        "outcome": outcome,
        "family": family,
        "group": group,
        "group_qr": qr,
        "reasons": [],
        **extra,
    }
    return render(request, TEMPLATE, context, headers=PRIVATE)


def _route_fan(request: Request, db: Session, fan: FanContext, slug: str) -> Response:
    workspace_id = fan.workspace.id
    try:
        family = service.family_by_slug(db, workspace_id, slug)
    except NotFound:
        return _unknown(request)
    actor = Actor("fan", fan.customer.id, fan.customer.display_name)
    result = service.route_newcomer(db, workspace_id, slug, fan.customer.id, actor)
    reasons = [gettext(service.REASONS[code]) % {"n": n} for code, n in result.reasons]
    return _page(
        request,
        result.outcome,
        family,
        group=result.group,
        reasons=reasons,
        waitlist_position=result.waitlist_position,
    )


@router.get("/groups/{slug}", response_class=HTMLResponse)
def live_code(slug: str, request: Request, fan: CurrentFan, db: DbSession) -> Response:
    return _route_fan(request, db, fan, slug)


def _session_fan(request: Request, db: Session, workspace_id: int) -> FanContext | None:
    """The visitor's fan session, if they have one for this workspace."""
    value = request.cookies.get(FAN_COOKIE)
    if not value:
        return None
    try:
        fan = fan_context(db, verify_fan_session(value))
    except (FanLinkInvalid, FanSessionRequired):
        return None
    return fan if fan.workspace.id == workspace_id else None


@router.get("/g/{workspace_slug}/{slug}", response_class=HTMLResponse)
def public_code(workspace_slug: str, slug: str, request: Request, db: DbSession) -> Response:
    """The printed live code: no personal link needed."""
    try:
        workspace = workspace_service.get_workspace_by_slug(db, workspace_slug)
    except NotFound:
        return _unknown(request)
    fan = _session_fan(request, db, workspace.id)
    if fan is not None:
        return _route_fan(request, db, fan, slug)
    try:
        result = service.route_scan(db, workspace.id, slug)
    except NotFound:
        return _unknown(request)
    return _page(request, result.outcome, result.family, group=result.group)


@router.get("/groups", response_class=HTMLResponse)
def my_groups(request: Request, fan: CurrentFan, db: DbSession) -> Response:
    """The fan's groups, and the live codes of families they are not in yet."""
    ws = fan.workspace.id
    stays = [s for s in service.groups_of(db, ws, fan.customer.id) if s[1].left_at is None]
    joined_families = {group.family_id for group, _ in stays}
    open_codes = [
        f for f in service.list_families(db, ws) if f.is_active and f.id not in joined_families
    ]
    return render(
        request,
        "community/h5_groups.html",
        {"stays": stays, "codes": open_codes, "workspace": fan.workspace},
        headers=PRIVATE,
    )
