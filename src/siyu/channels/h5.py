"""A post's short link and its landing page for fans.

``/p/{short_code}`` counts the visitor once (a visitor cookie per browser), attributes a fan
already known by their fan cookie to the post, and redirects to the landing page, which shows
the post's WeCom 「联系我」 code when one was made for it.
"""

from __future__ import annotations

import re
import secrets

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from siyu.channels import service
from siyu.customers.fan_links import FAN_COOKIE, FanLinkInvalid, verify_fan_session
from siyu.kit.templating import render
from siyu.kit.web import DbSession, writes
from siyu.workspace.service import find_workspace

router = APIRouter(include_in_schema=False)
VISITOR_COOKIE = "siyu_visitor"
VISITOR_COOKIE_DAYS = 365
_VISITOR = re.compile(r"[A-Za-z0-9_-]{8,32}")


@router.get("/p/{short_code}")
@writes
def short_link(request: Request, db: DbSession, short_code: str) -> Response:
    post = service.post_by_code(db, short_code)
    visitor = request.cookies.get(VISITOR_COOKIE) or ""
    if not _VISITOR.fullmatch(visitor):
        visitor = ""
    fresh = visitor or secrets.token_urlsafe(16)
    service.record_visit(db, post, fresh, _known_fan(request, post.workspace_id))
    response = RedirectResponse(f"/h5/content/{short_code}", status_code=302)
    if not visitor:
        response.set_cookie(
            VISITOR_COOKIE,
            fresh,
            max_age=VISITOR_COOKIE_DAYS * 86400,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
    return response


def _known_fan(request: Request, workspace_id: int) -> int | None:
    value = request.cookies.get(FAN_COOKIE)
    if not value:
        return None
    try:
        claim = verify_fan_session(value)
    except FanLinkInvalid:
        return None
    return claim.customer_id if claim.workspace_id == workspace_id else None


@router.get("/h5/content/{short_code}", response_class=HTMLResponse)
def landing(request: Request, db: DbSession, short_code: str) -> Response:
    post = service.post_by_code(db, short_code)
    workspace = find_workspace(db, post.workspace_id)
    return render(
        request,
        "channels/h5_landing.html",
        {"post": post, "workspace_name": workspace.name if workspace else ""},
    )
