"""Fan pages of the customers domain: opening a personal link, and the fan's "我的" page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from babel.numbers import format_decimal
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from siyu.config import get_settings
from siyu.customers import service
from siyu.customers.fan_links import (
    FAN_COOKIE,
    CurrentFan,
    FanLinkExpired,
    FanLinkInvalid,
    FanSessionRequired,
    fan_context,
    sign_fan_session,
    verify_fan_link,
)
from siyu.customers.platforms import PLATFORM_LABELS
from siyu.kit.i18n import N_
from siyu.kit.templating import render
from siyu.kit.web import DbSession

router = APIRouter(prefix="/h5", include_in_schema=False)

# Pages that show one fan's data must never be cached by a shared proxy or the back button.
PRIVATE = {"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"}


@dataclass(frozen=True)
class BenefitCard:
    icon: str
    label: str
    href: str
    hint: str  # a message id with an optional %(n)s


def _benefit_cards(db: DbSession, workspace_id: int, customer_id: int) -> list[dict[str, Any]]:
    """What the fan can open from home: points (with the balance), the mall, their coupons
    (with how many are unused) and their fan groups."""
    from siyu.coupons.service import coupons_of
    from siyu.loyalty.service import summary

    balance = summary(db, workspace_id, customer_id).balance
    unused = sum(1 for c in coupons_of(db, workspace_id, customer_id) if not c.used)
    cards = (
        BenefitCard("★", N_("Points"), "/h5/points", N_("%(n)s points")),
        BenefitCard("◆", N_("Points mall"), "/h5/points/mall", N_("Redeem gifts with points")),
        BenefitCard("✂", N_("Coupons"), "/h5/coupons", N_("%(n)s to use")),
        BenefitCard("☺", N_("Fan groups"), "/h5/groups", N_("Join our fan groups")),
        BenefitCard("▶", N_("Lives"), "/h5/lives", N_("Reserve lives and invite friends")),
        BenefitCard("✓", N_("Check-in camps"), "/h5/camps", N_("Do the day's task")),
        BenefitCard("⇄", N_("Invite friends"), "/h5/invite", N_("Your invite link")),
    )
    counts = {"/h5/points": balance, "/h5/coupons": unused}
    return [
        {"card": card, "n": format_decimal(counts.get(card.href, 0), locale="en")} for card in cards
    ]


def _notice(request: Request, message: str, status: int) -> Response:
    return render(
        request, "h5/fan_notice.html", {"message": message}, status_code=status, headers=PRIVATE
    )


@router.get("/open", response_class=HTMLResponse)
def open_link(request: Request, db: DbSession, t: str = "") -> Response:
    """Trade a personal link for a session cookie bound to that one fan, then drop the token
    from the address bar (and from any Referer) by redirecting."""
    try:
        claim = verify_fan_link(t)
    except FanLinkExpired:
        return _notice(
            request, N_("This link has expired. Ask our assistant for a fresh one."), 410
        )
    except FanLinkInvalid:
        return _notice(request, N_("This link doesn't work. Please open the one we sent you."), 403)
    try:
        fan_context(db, claim)
    except FanSessionRequired as gone:
        return _notice(
            request,
            gone.message or N_("This link doesn't work. Please open the one we sent you."),
            gone.status if gone.message else 403,
        )
    response = RedirectResponse("/h5/me", status_code=303, headers=PRIVATE)
    response.set_cookie(
        FAN_COOKIE,
        sign_fan_session(claim),
        max_age=claim.seconds_left,
        path="/h5",
        httponly=True,
        samesite="lax",
        secure=get_settings().cookie_secure,
    )
    return response


@router.get("/me", response_class=HTMLResponse)
def me(request: Request, fan: CurrentFan, db: DbSession) -> Response:
    customer = fan.customer
    identities = service.identities_of(db, fan.workspace.id, customer.id)
    platforms = sorted({i.platform for i in identities}, key=list(PLATFORM_LABELS).index)
    nickname = customer.display_name or next((i.nickname for i in identities if i.nickname), None)
    return render(
        request,
        "h5/me.html",
        {
            "workspace": fan.workspace,
            "nickname": nickname,
            "phone": customer.phone_masked,
            "platforms": [PLATFORM_LABELS[p] for p in platforms],
            "cards": _benefit_cards(db, fan.workspace.id, customer.id),
        },
        headers=PRIVATE,
    )


def fan_session_required(request: Request, exc: Exception) -> Response:
    """Installed by the app for ``FanSessionRequired`` raised by ``current_fan``."""
    assert isinstance(exc, FanSessionRequired)
    if exc.message is None:
        return RedirectResponse("/h5/", status_code=303)
    response = _notice(request, exc.message, exc.status)
    response.delete_cookie(FAN_COOKIE, path="/h5")
    return response
