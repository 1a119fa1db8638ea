"""Fan pages for points (mobile, Chinese): my points, converting an order, the mall by shelf,
redeeming with an address, and my redemptions.

Fan forms carry a CSRF token derived from the fan's session cookie (``fan_links.fan_csrf_token``),
so a page from another site can't post as the fan; the cookie is also SameSite=Lax.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from siyu.customers.fan_links import CurrentFan, FanContext, check_fan_csrf, fan_csrf_token
from siyu.customers.platforms import PLATFORM_LABELS
from siyu.kit.bounds import INT32_MAX, INT32_MIN, Int64
from siyu.kit.errors import Problem
from siyu.kit.i18n import N_
from siyu.kit.templating import render
from siyu.kit.web import DbSession
from siyu.loyalty import conversions as loyalty_conversions
from siyu.loyalty import mall as loyalty_mall
from siyu.loyalty import service
from siyu.loyalty.labels import ENTRY_LABELS, REDEMPTION_LABELS, SHELF_LABELS
from siyu.loyalty.models import SHELVES
from siyu.loyalty.shipping import PHONE, ShippingAddress, normalise_phone
from siyu.workspace.audit import Actor

router = APIRouter(prefix="/h5/points", include_in_schema=False)

PRIVATE = {"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"}
CONVERTIBLE_PLATFORMS = ("taobao", "douyin", "kuaishou", "xiaohongshu", "youzan", "generic")


def _actor(fan: FanContext) -> Actor:
    return Actor("fan", fan.customer.id, fan.customer.display_name)


def _page(
    request: Request, name: str, fan: FanContext, status: int = 200, **context: Any
) -> Response:
    base = {
        "workspace": fan.workspace,
        "csrf": fan_csrf_token(request),
        "SHELF_LABELS": SHELF_LABELS,
        "ENTRY_LABELS": ENTRY_LABELS,
        "REDEMPTION_LABELS": REDEMPTION_LABELS,
        "tz": fan.workspace.timezone,
    }
    return render(request, name, {**base, **context}, status_code=status, headers=PRIVATE)


@router.get("", response_class=HTMLResponse)
def my_points(request: Request, fan: CurrentFan, db: DbSession) -> Response:
    ws, me = fan.workspace.id, fan.customer.id
    entries, _ = service.list_entries(db, ws, customer_id=me, limit=30)
    return _page(
        request,
        "h5/points_home.html",
        fan,
        points=service.summary(db, ws, me),
        entries=entries,
        conversions=service.list_conversions(db, ws, me, limit=10),
    )


@router.get("/convert", response_class=HTMLResponse)
def convert_form(request: Request, fan: CurrentFan) -> Response:
    return _convert_page(request, fan)


def _convert_page(request: Request, fan: FanContext, status: int = 200, **context: Any) -> Response:
    platforms = [(p, PLATFORM_LABELS[p]) for p in CONVERTIBLE_PLATFORMS]
    return _page(request, "h5/points_convert.html", fan, status, platforms=platforms, **context)


@router.post("/convert", response_class=HTMLResponse)
def convert(
    request: Request,
    fan: CurrentFan,
    db: DbSession,
    platform: str = Form(""),
    order_no: str = Form(""),
    csrf_token: str = Form(""),
) -> Response:
    check_fan_csrf(request, csrf_token)
    if platform not in CONVERTIBLE_PLATFORMS or not order_no.strip():
        return _convert_page(
            request,
            fan,
            422,
            error=N_("Choose the shop and enter the order number"),
            order_no=order_no,
        )
    try:
        with db.begin_nested():
            result = loyalty_conversions.convert_order(
                db, fan.workspace.id, fan.customer.id, platform, order_no.strip()[:64], _actor(fan)
            )
    except Problem as problem:
        return _convert_page(
            request, fan, problem.status, error=problem.title, order_no=order_no, platform=platform
        )
    return _convert_page(request, fan, result=result, platform=platform)


@router.get("/mall", response_class=HTMLResponse)
def mall(request: Request, fan: CurrentFan, db: DbSession, shelf: str = "aspirational") -> Response:
    shelf = shelf if shelf in SHELVES else "aspirational"
    items = loyalty_mall.list_items(db, fan.workspace.id, shelf=shelf, available_only=True)
    return _page(
        request,
        "h5/points_mall.html",
        fan,
        shelf=shelf,
        shelves=SHELVES,
        items=items,
        points=service.summary(db, fan.workspace.id, fan.customer.id),
    )


@router.get("/mall/{item_id}", response_class=HTMLResponse)
def item_page(request: Request, item_id: Int64, fan: CurrentFan, db: DbSession) -> Response:
    return _item_page(request, fan, db, item_id)


def _item_page(
    request: Request, fan: FanContext, db: Any, item_id: int, status: int = 200, **context: Any
) -> Response:
    item = loyalty_mall.get_item(db, fan.workspace.id, item_id)
    return _page(
        request,
        "h5/points_item.html",
        fan,
        status,
        item=item,
        points=service.summary(db, fan.workspace.id, fan.customer.id),
        key=context.pop("key", None) or uuid.uuid4().hex,
        **context,
    )


@router.post("/mall/{item_id}/redeem", response_class=HTMLResponse)
def redeem(
    request: Request,
    item_id: Int64,
    fan: CurrentFan,
    db: DbSession,
    quantity: int = Form(1, le=INT32_MAX, ge=INT32_MIN),
    name: str = Form(""),
    phone: str = Form(""),
    province: str = Form(""),
    city: str = Form(""),
    district: str = Form(""),
    address: str = Form(""),
    key: str = Form(""),
    csrf_token: str = Form(""),
) -> Response:
    check_fan_csrf(request, csrf_token)
    form = {"name": name, "phone": phone, "province": province, "city": city}
    form |= {"district": district, "address": address}
    recipient, invalid = _recipient(form)
    if invalid:
        return _item_page(request, fan, db, item_id, 422, error=invalid, form=form, key=key)
    try:
        with db.begin_nested():
            redemption, _ = loyalty_mall.redeem(
                db,
                fan.workspace.id,
                fan.customer.id,
                item_id,
                max(1, min(quantity, 10)),
                f"h5:{fan.customer.id}:{key[:60]}",
                _actor(fan),
                address=recipient,
            )
    except Problem as problem:
        return _item_page(
            request, fan, db, item_id, problem.status, error=problem.title, form=form, key=key
        )
    return RedirectResponse(
        f"/h5/points/redemptions?done={redemption.id}", status_code=303, headers=PRIVATE
    )


def _recipient(form: dict[str, str]) -> tuple[ShippingAddress | None, str | None]:
    """The form's recipient, or the message saying what is missing (a virtual gift ships
    nowhere: an empty form is no address)."""
    fields = {key: value.strip() for key, value in form.items()}
    if not any(fields.values()):
        return None, None
    if not fields["name"]:
        return None, N_("Enter the recipient's name.")
    phone = normalise_phone(fields["phone"])
    if not PHONE.match(phone):
        return None, N_("Enter the recipient's phone number (digits only).")
    if not fields["address"]:
        return None, N_("Enter the street address.")
    return ShippingAddress(
        name=fields["name"][:50],
        phone=phone,
        address=fields["address"][:200],
        province=fields["province"][:32] or None,
        city=fields["city"][:32] or None,
        district=fields["district"][:32] or None,
    ), None


@router.get("/redemptions", response_class=HTMLResponse)
def my_redemptions(
    request: Request, fan: CurrentFan, db: DbSession, done: Int64 | None = None
) -> Response:
    found, _ = loyalty_mall.list_redemptions(
        db, fan.workspace.id, customer_id=fan.customer.id, limit=50
    )
    items = {i.id: i for i in loyalty_mall.list_items(db, fan.workspace.id)}
    return _page(
        request, "h5/points_redemptions.html", fan, redemptions=found, items=items, done=done
    )
