"""Fan pages of the coupons domain: the grab page, share-to-claim, and "my coupons".

The claim button posts to ``/h5/coupons/{id}/claim``. That path is the hot one in a live-room
drop: it trusts the signed fan cookie (no customer lookup) so that, in server mode, an open grab
is answered by Redis alone, on the event loop (``grab_async``); the engines still keep only the
workspace's own fans (``grab``). It answers an HTML fragment for the page, or JSON
(problem+json for refusals) when asked for JSON. Both forms carry the fan CSRF token
(``X-CSRF-Token`` or a form field), derived from the cookie without a store read.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from siyu.config import public_url
from siyu.coupons import grab, grab_async, service
from siyu.coupons.models import CouponCampaign
from siyu.customers.fan_links import (
    FAN_COOKIE,
    CurrentFan,
    FanClaim,
    FanLinkInvalid,
    FanSessionRequired,
    fan_csrf_protect,
    fan_csrf_token,
    verify_fan_session,
)
from siyu.kit.bounds import Int64
from siyu.kit.errors import Problem
from siyu.kit.i18n import N_
from siyu.kit.templating import render
from siyu.kit.web import DbSession, client_ip, problem_response, wants_problem_json

router = APIRouter(prefix="/h5/coupons", include_in_schema=False)
# The claim button alone, included ahead of every other route (routes are tried in order, and
# a live-room crowd presses this one).
hot_router = APIRouter(prefix="/h5/coupons", include_in_schema=False)

PRIVATE = {"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"}

# How to use a coupon on each platform, shown under the fan's coupons.
HOW_TO_USE = {
    "taobao": N_("In Taobao, the coupon is applied at checkout in the live room's shop."),
    "douyin": N_("In Douyin, open the shop from the live room; the coupon is chosen at checkout."),
    "kuaishou": N_("In Kuaishou, pick the coupon on the order page before paying."),
    "xiaohongshu": N_("In Xiaohongshu, the coupon shows on the order page of the shop."),
    "youzan": N_("In the mini-program shop, choose the coupon when you pay."),
}
ANY_PLATFORM = N_("Show the code to our assistant or enter it at checkout.")


async def signed_fan(request: Request) -> FanClaim:
    """The fan from the signed cookie alone (the grab's hot path; no store lookup). Async: a
    signature check is too short to be worth a hop to the thread pool."""
    value = request.cookies.get(FAN_COOKIE)
    if not value:
        raise FanSessionRequired()
    try:
        return verify_fan_session(value)
    except FanLinkInvalid:
        raise FanSessionRequired() from None


SignedFan = Annotated[FanClaim, Depends(signed_fan)]
FanCsrf = Annotated[None, Depends(fan_csrf_protect)]


def _platform_hints(platforms: list[str]) -> list[str]:
    """Each hint names its platform, so the page shows the hints alone."""
    return [HOW_TO_USE[p] for p in platforms if p in HOW_TO_USE] or [ANY_PLATFORM]


def _campaign_view(request: Request, db: Any, campaign: CouponCampaign) -> dict[str, Any]:
    template = service.get_template(db, campaign.workspace_id, campaign.template_id)
    numbers = service.numbers(db, campaign)
    return {
        "campaign": campaign,
        "template": template,
        "label": service.describe(template),
        "remaining": numbers.remaining,
        "status": service.status_of(campaign, numbers.remaining),
        "starts_ms": int(campaign.starts_at.timestamp() * 1000),
        "hints": _platform_hints(template.platforms),
        "csrf": fan_csrf_token(request),
    }


@router.get("", response_class=HTMLResponse)
def my_coupons(request: Request, fan: CurrentFan, db: DbSession) -> Response:
    coupons = service.coupons_of(db, fan.workspace.id, fan.customer.id)
    items = [
        {
            "coupon": c,
            "label": service.describe(c.template),
            "hints": _platform_hints(c.template.platforms),
        }
        for c in coupons
    ]
    return render(
        request,
        "coupons/h5_mine.html",
        {"workspace": fan.workspace, "items": items},
        headers=PRIVATE,
    )


@router.get("/s/{token}", response_class=HTMLResponse)
def shared_link(request: Request, token: str, db: DbSession) -> Response:
    """Someone opened a fan's tracked share link: count the visit, show the campaign."""
    share = service.open_share(db, token)
    campaign = service.get_campaign(db, share.workspace_id, share.campaign_id)
    context = _campaign_view(request, db, campaign) | {"visitor": True}
    return render(request, "coupons/h5_share.html", context, headers=PRIVATE)


@router.get("/{campaign_id}", response_class=HTMLResponse)
def grab_page(request: Request, campaign_id: Int64, fan: CurrentFan, db: DbSession) -> Response:
    campaign = service.get_campaign(db, fan.workspace.id, campaign_id)
    context = _campaign_view(request, db, campaign)
    if campaign.channel == "share":
        share = service.share_of(db, campaign.id, fan.customer.id)
        link = share and public_url(f"/h5/coupons/s/{share.token}")
        context |= {"share_link": link, "visitor": False}
        return render(request, "coupons/h5_share.html", context, headers=PRIVATE)
    context["mine"] = service.claims_count(db, campaign.id, fan.customer.id)
    return render(request, "coupons/h5_grab.html", context, headers=PRIVATE)


@router.post("/{campaign_id}/share", response_class=HTMLResponse)
def share(
    request: Request, campaign_id: Int64, fan: CurrentFan, db: DbSession, _csrf: FanCsrf
) -> Response:
    """The fan shares: their tracked link is recorded, and the claim button opens."""
    service.record_share(db, fan.workspace.id, campaign_id, fan.customer.id)
    db.flush()
    return grab_page(request, campaign_id, fan, db)


@hot_router.post("/{campaign_id}/claim")
async def claim(request: Request, campaign_id: Int64, fan: SignedFan) -> Response:
    attempt = grab.Attempt(
        fan.workspace_id, campaign_id, fan.customer_id, source="fan", ip=client_ip(request)
    )
    try:
        await fan_csrf_protect(request)
        claimed = await grab_async.claim(attempt)
    except Problem as refusal:
        return _refusal(request, refusal)
    if _wants_json(request):
        return JSONResponse(
            {"claim_id": claimed.claim_id, "code": claimed.code, "link": claimed.link},
            status_code=201,
            headers=PRIVATE,
        )
    return render(
        request, "coupons/_h5_result.html", {"claimed": claimed}, status_code=201, headers=PRIVATE
    )


def _wants_json(request: Request) -> bool:
    """The page's button (htmx) gets a fragment; scripts and load tests get JSON."""
    return not request.headers.get("hx-request") and wants_problem_json(request)


def _refusal(request: Request, refusal: Problem) -> Response:
    if _wants_json(request):
        return problem_response(refusal, request)
    # htmx swaps only 2xx answers by default: the refusal is a normal page fragment
    return render(
        request,
        "coupons/_h5_result.html",
        {"refusal": refusal},
        headers=PRIVATE | refusal.headers,
    )
