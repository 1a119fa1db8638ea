"""Console pages for points: the report, mall items, the redemption queue (with bulk shipping
from a CSV of tracking numbers), adjustments, the ledger, operator gifts, and the points panel
on a fan's page."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from siyu.customers.figures import people
from siyu.kit.bounds import Int64
from siyu.kit.clock import parse_local, utcnow
from siyu.kit.errors import Problem, Unprocessable
from siyu.kit.i18n import N_, gettext
from siyu.kit.money import yuan_to_fen
from siyu.kit.templating import render
from siyu.kit.web import DbSession
from siyu.loyalty import earn_rules as loyalty_earn_rules
from siyu.loyalty import gifts as loyalty_gifts
from siyu.loyalty import mall as loyalty_mall
from siyu.loyalty import reports, service
from siyu.loyalty import tiers as loyalty_tiers
from siyu.loyalty.labels import (
    ACTOR_LABELS,
    CONVERSION_LABELS,
    ENTRY_LABELS,
    GIFT_LABELS,
    REDEMPTION_LABELS,
    SHELF_LABELS,
    reason_text,
)
from siyu.loyalty.models import ENTRY_KINDS, REDEMPTION_STATES, SHELVES
from siyu.segments import service as segments
from siyu.workspace.auth import (
    AdminConsole,
    Console,
    ConsoleContext,
    OperatorConsole,
    csrf_protect,
)
from siyu.workspace.roles import Role

router = APIRouter(include_in_schema=False)
CSRF = [Depends(csrf_protect)]
LABELS = {
    "ACTOR_LABELS": ACTOR_LABELS,
    "reason_text": reason_text,
    "SHELF_LABELS": SHELF_LABELS,
    "ENTRY_LABELS": ENTRY_LABELS,
    "REDEMPTION_LABELS": REDEMPTION_LABELS,
    "CONVERSION_LABELS": CONVERSION_LABELS,
    "GIFT_LABELS": GIFT_LABELS,
    "SHELVES": SHELVES,
    "ENTRY_KINDS": ENTRY_KINDS,
    "REDEMPTION_STATES": REDEMPTION_STATES,
}
NOTICES = {
    "item_saved": N_("Item saved."),
    "shipped": N_("Marked as shipped."),
    "delivered": N_("Marked as delivered."),
    "cancelled": N_("Redemption cancelled; points and stock returned."),
    "adjusted": N_("Points adjusted."),
    "gift_sent": N_("Gift recorded."),
    "gift_decided": N_("Gift decided."),
    "tier_saved": N_("Tier saved; fans move at the nightly recomputation."),
    "rule_saved": N_("Earn rule saved."),
    "settings_saved": N_("Points settings saved."),
}
MAX_CSV_BYTES = 2 * 1024 * 1024


def _page(request: Request, name: str, tab: str, **context: Any) -> Response:
    status = context.pop("status", 200)
    notice = context.pop("notice", "")
    context.setdefault("form", {})
    return render(
        request,
        name,
        {**LABELS, "tab": tab, "notice": NOTICES.get(notice), **context},
        status_code=status,
    )


def _again(db: Session, problem: Problem, form: dict[str, str]) -> dict[str, Any]:
    """What a page needs to show a refused form again: the message and what was typed."""
    db.rollback()
    message = gettext(problem.title) + (f": {problem.detail}" if problem.detail else "")
    # A fan or item the form names that does not exist is a field to correct, not a missing page.
    status = 422 if problem.status == 404 else problem.status
    return {"error": message, "form": form, "status": status}


def _back(url: str, notice: str) -> Response:
    joiner = "&" if "?" in url else "?"
    return RedirectResponse(f"{url}{joiner}notice={notice}", status_code=303)


def _optional_int(text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.lstrip("-").isdigit():
        raise Unprocessable("not-a-number", title=N_("Enter a whole number"), detail=text)
    return int(text)


def _optional_moment(text: str, tz: str) -> datetime | None:
    """A ``datetime-local`` field, read in the workspace's time zone."""
    text = text.strip()
    if not text:
        return None
    try:
        return parse_local(text, tz)
    except ValueError as exc:
        raise Unprocessable("not-a-time", title=N_("Enter a date and time"), detail=text) from exc


def _permille(text: str) -> int:
    """A multiplier typed as ×1.5 (or 1.5) → 1500 ‰."""
    cleaned = text.strip().lstrip("×xX").strip()
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:
        raise Unprocessable(
            "multiplier-invalid", title=N_("The multiplier must be positive (at most ×100)")
        ) from exc
    if not value.is_finite():
        raise Unprocessable(
            "multiplier-invalid", title=N_("The multiplier must be positive (at most ×100)")
        )
    return int(value * 1000)


def _optional_fen(text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    try:
        return yuan_to_fen(text)
    except ValueError as exc:
        raise Unprocessable(
            "not-an-amount", title=N_("Enter an amount in yuan"), detail=text
        ) from exc


# --- overview and report -------------------------------------------------------------------


@router.get("/loyalty", response_class=HTMLResponse)
def overview(request: Request, context: Console, db: DbSession, days: Int64 = 30) -> Response:
    days = days if days in (7, 30, 90, 365) else 30
    ws = context.workspace.id
    since = utcnow() - timedelta(days=days)
    return _page(
        request,
        "loyalty/overview.html",
        "overview",
        days=days,
        period=reports.report(db, ws, since=since),
        total=reports.report(db, ws),
        tiers=loyalty_tiers.list_tiers(db, ws),
        settings=service.settings_of(db, ws),
    )


# --- mall items ----------------------------------------------------------------------------


@router.get("/loyalty/items", response_class=HTMLResponse)
def items(request: Request, context: Console, db: DbSession, notice: str = "") -> Response:
    return _items_page(request, context, db, notice=notice)


def _items_page(request: Request, context: ConsoleContext, db: Session, **extra: Any) -> Response:
    return _page(
        request,
        "loyalty/items.html",
        "items",
        items=loyalty_mall.list_items(db, context.workspace.id),
        tiers=loyalty_tiers.list_tiers(db, context.workspace.id),
        coupon_templates=_coupon_templates(db, context.workspace.id),
        item=None,
        **extra,
    )


def _item_values(form: dict[str, str], tz: str) -> dict[str, Any]:
    return {
        "available_from": _optional_moment(form.get("available_from", ""), tz),
        "available_until": _optional_moment(form.get("available_until", ""), tz),
        "name": form.get("name", "").strip()[:100],
        "shelf": form.get("shelf", ""),
        "points_price": _optional_int(form.get("points_price", "")) or 0,
        "cash_price_fen": _optional_fen(form.get("cash_price", "")),
        "cost_fen": _optional_fen(form.get("cost", "")) or 0,
        "per_customer_limit": _optional_int(form.get("per_customer_limit", "")),
        "min_tier_code": form.get("min_tier_code", "").strip() or None,
        "image_url": form.get("image_url", "").strip()[:500] or None,
        "description": form.get("description", "").strip()[:5000] or None,
        "virtual": form.get("virtual") == "on",
        "coupon_template_id": _optional_int(form.get("coupon_template_id", "")),
        "active": form.get("active", "on") == "on",
    }


def _check_item(values: dict[str, Any]) -> None:
    if not values["name"]:
        raise Unprocessable("name-required", title=N_("Give the item a name"))
    if values["points_price"] <= 0:
        raise Unprocessable("points-price-invalid", title=N_("The points price must be positive"))


@router.post("/loyalty/items", response_class=HTMLResponse, dependencies=CSRF)
async def create_item(request: Request, context: OperatorConsole, db: DbSession) -> Response:
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        values = _item_values(form, context.workspace.timezone)
        values["stock"] = max(0, _optional_int(form.get("stock", "")) or 0)
        _check_item(values)
        loyalty_mall.create_item(db, context.workspace.id, values, context.actor())
    except Problem as problem:
        return _items_page(request, context, db, **_again(db, problem, form))
    return _back("/loyalty/items", "item_saved")


@router.get("/loyalty/items/{item_id}", response_class=HTMLResponse)
def edit_item(request: Request, item_id: Int64, context: Console, db: DbSession) -> Response:
    return _item_page(request, context, db, item_id)


def _item_page(
    request: Request, context: ConsoleContext, db: Session, item_id: Int64, **extra: Any
) -> Response:
    return _page(
        request,
        "loyalty/item_edit.html",
        "items",
        item=loyalty_mall.get_item(db, context.workspace.id, item_id),
        tiers=loyalty_tiers.list_tiers(db, context.workspace.id),
        coupon_templates=_coupon_templates(db, context.workspace.id),
        **extra,
    )


def _coupon_templates(db: DbSession, workspace_id: int) -> list[Any]:
    from siyu.coupons.service import all_templates

    return all_templates(db, workspace_id)


@router.post("/loyalty/items/{item_id}", response_class=HTMLResponse, dependencies=CSRF)
async def update_item(
    request: Request, item_id: Int64, context: OperatorConsole, db: DbSession
) -> Response:
    loyalty_mall.get_item(db, context.workspace.id, item_id)  # not found before the form is read
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        values = _item_values(form, context.workspace.timezone)
        _check_item(values)
        values["stock_delta"] = _optional_int(form.get("stock_delta", "")) or 0
        loyalty_mall.update_item(db, context.workspace.id, item_id, values, context.actor())
    except Problem as problem:
        if problem.status == 404:
            raise
        return _item_page(request, context, db, item_id, **_again(db, problem, form))
    return _back("/loyalty/items", "item_saved")


# --- redemption queue ------------------------------------------------------------------------


@router.get("/loyalty/redemptions", response_class=HTMLResponse)
def redemptions(
    request: Request,
    context: Console,
    db: DbSession,
    state: str = "pending",
    cursor: str | None = None,
    notice: str = "",
    shipped: str = "",
) -> Response:
    state = state if state in REDEMPTION_STATES else ""
    found, next_cursor = loyalty_mall.list_redemptions(
        db, context.workspace.id, state=state or None, cursor=cursor, limit=100
    )
    return _page(
        request,
        "loyalty/redemptions.html",
        "redemptions",
        state=state,
        redemptions=found,
        next_cursor=next_cursor,
        **people(db, context.workspace.id, customer_ids=[r.customer_id for r in found]),
        items={i.id: i for i in loyalty_mall.list_items(db, context.workspace.id)},
        notice=notice,
        bulk=loyalty_mall.BulkShipResult(shipped=int(shipped)) if shipped.isdigit() else None,
    )


@router.post("/loyalty/redemptions/{redemption_id}/ship", dependencies=CSRF)
def ship(
    redemption_id: Int64,
    context: OperatorConsole,
    db: DbSession,
    carrier: str = Form(""),
    tracking_no: str = Form(""),
) -> Response:
    loyalty_mall.ship(
        db, context.workspace.id, redemption_id, carrier, tracking_no, context.actor()
    )
    return _back("/loyalty/redemptions", "shipped")


@router.post("/loyalty/redemptions/{redemption_id}/deliver", dependencies=CSRF)
def deliver(redemption_id: Int64, context: OperatorConsole, db: DbSession) -> Response:
    loyalty_mall.deliver(db, context.workspace.id, redemption_id, context.actor())
    return _back("/loyalty/redemptions?state=shipped", "delivered")


@router.post("/loyalty/redemptions/{redemption_id}/cancel", dependencies=CSRF)
def cancel(
    redemption_id: Int64, context: OperatorConsole, db: DbSession, reason: str = Form("")
) -> Response:
    loyalty_mall.cancel(db, context.workspace.id, redemption_id, reason, context.actor())
    return _back("/loyalty/redemptions", "cancelled")


@router.post("/loyalty/redemptions/bulk-ship", response_class=HTMLResponse, dependencies=CSRF)
async def bulk_ship(
    request: Request,
    context: OperatorConsole,
    db: DbSession,
    file: UploadFile | None = File(None),
    text: str = Form(""),
) -> Response:
    """Ship many at once from ``redemption id,carrier,tracking number`` lines (file or pasted)."""
    content = text
    if file is not None and file.filename:
        raw = await file.read(MAX_CSV_BYTES + 1)
        if len(raw) > MAX_CSV_BYTES:
            raise Unprocessable("file-too-large", title=N_("The file is larger than 2 MB"))
        try:
            content = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            content = raw.decode("gb18030", errors="replace")
    result = loyalty_mall.bulk_ship(db, context.workspace.id, content, context.actor())
    if not result.errors:  # all shipped: POST, redirect, GET
        return RedirectResponse(f"/loyalty/redemptions?shipped={result.shipped}", status_code=303)
    found, next_cursor = loyalty_mall.list_redemptions(
        db, context.workspace.id, state="pending", limit=100
    )
    return _page(
        request,
        "loyalty/redemptions.html",
        "redemptions",
        state="pending",
        redemptions=found,
        next_cursor=next_cursor,
        **people(db, context.workspace.id, customer_ids=[r.customer_id for r in found]),
        items={i.id: i for i in loyalty_mall.list_items(db, context.workspace.id)},
        bulk=result,
        status=422,
    )


@router.post(
    "/loyalty/redemptions/{redemption_id}/address", response_class=HTMLResponse, dependencies=CSRF
)
def reveal_address(redemption_id: Int64, context: OperatorConsole, db: DbSession) -> Response:
    """The shipping address in clear, for the person packing the parcel (audited)."""
    redemption = loyalty_mall.get_redemption(db, context.workspace.id, redemption_id)
    address = loyalty_mall.redemption_address(db, redemption, context.actor(), reason="ship")
    return HTMLResponse(f"<span>{_escape(address or '—')}</span>")


def _escape(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))


# --- ledger and adjustments ----------------------------------------------------------------


@router.get("/loyalty/ledger", response_class=HTMLResponse)
def ledger(
    request: Request,
    context: Console,
    db: DbSession,
    customer_id: str = "",
    kind: str = "",
    cursor: str | None = None,
    notice: str = "",
) -> Response:
    fan = int(customer_id) if customer_id.strip().isdigit() else None
    kind = kind if kind in ENTRY_KINDS else ""
    return _ledger_page(request, context, db, fan, kind, cursor=cursor, notice=notice)


def _ledger_page(
    request: Request,
    context: ConsoleContext,
    db: Session,
    fan: int | None,
    kind: str = "",
    cursor: str | None = None,
    **extra: Any,
) -> Response:
    entries, next_cursor = service.list_entries(
        db, context.workspace.id, customer_id=fan, kind=kind or None, cursor=cursor, limit=100
    )
    return _page(
        request,
        "loyalty/ledger.html",
        "ledger",
        entries=entries,
        next_cursor=next_cursor,
        **people(
            db,
            context.workspace.id,
            customer_ids=[e.customer_id for e in entries],
            operator_ids=[e.actor_id for e in entries if e.actor_kind == "operator"],
        ),
        filters={"customer_id": fan or "", "kind": kind},
        key=uuid.uuid4().hex,
        **extra,
    )


@router.post("/loyalty/adjustments", response_class=HTMLResponse, dependencies=CSRF)
def adjust(
    request: Request,
    context: OperatorConsole,
    db: DbSession,
    customer_id: str = Form(""),
    points: str = Form(""),
    reason: str = Form(""),
    key: str = Form(""),
) -> Response:
    form = {"customer_id": customer_id, "points": points, "reason": reason}
    try:
        fan = _optional_int(customer_id)
        amount = _optional_int(points)
        if fan is None or amount is None:
            raise Unprocessable(
                "adjustment-incomplete", title=N_("Give the fan number and the points")
            )
        service.adjust(
            db,
            context.workspace.id,
            fan,
            amount,
            reason.strip()[:200],
            context.actor(),
            key or uuid.uuid4().hex,
        )
    except Problem as problem:
        return _ledger_page(request, context, db, None, **_again(db, problem, form))
    return _back(f"/loyalty/ledger?customer_id={fan}", "adjusted")


# --- operator gifts --------------------------------------------------------------------------


@router.get("/loyalty/gifts", response_class=HTMLResponse)
def gifts(request: Request, context: Console, db: DbSession, notice: str = "") -> Response:
    return _gifts_page(request, context, db, notice=notice)


def _gifts_page(request: Request, context: ConsoleContext, db: Session, **extra: Any) -> Response:
    ws = context.workspace.id
    budget, spent = loyalty_gifts.gift_budget(db, ws, context.operator.id)
    sent = loyalty_gifts.list_gifts(db, ws)
    return _page(
        request,
        "loyalty/gifts.html",
        "gifts",
        gifts=sent,
        budget=budget,
        **people(
            db,
            ws,
            customer_ids=[g.customer_id for g in sent],
            operator_ids=[g.operator_id for g in sent],
        ),
        spent=spent,
        settings=service.settings_of(db, ws),
        items=loyalty_mall.list_items(db, ws, available_only=True),
        **extra,
    )


@router.post("/loyalty/gifts", response_class=HTMLResponse, dependencies=CSRF)
def send_gift(
    request: Request,
    context: OperatorConsole,
    db: DbSession,
    customer_id: str = Form(""),
    item_id: str = Form(""),
    description: str = Form(""),
    cost: str = Form(""),
    reason: str = Form(""),
    address: str = Form(""),
) -> Response:
    form = {
        "customer_id": customer_id,
        "item_id": item_id,
        "description": description,
        "cost": cost,
        "reason": reason,
        "address": address,
    }
    try:
        fan = _optional_int(customer_id)
        if fan is None:
            raise Unprocessable("customer-required", title=N_("Give the fan number"))
        loyalty_gifts.send_gift(
            db,
            context.workspace.id,
            context.operator.id,
            fan,
            description=description,
            reason=reason,
            cost_fen=_optional_fen(cost),
            actor=context.actor(),
            item_id=_optional_int(item_id),
            address=address.strip()[:300] or None,
            approver=context.can(Role.admin),
        )
    except Problem as problem:
        return _gifts_page(request, context, db, **_again(db, problem, form))
    return _back("/loyalty/gifts", "gift_sent")


@router.post("/loyalty/gifts/{gift_id}/{decision}", dependencies=CSRF)
def decide_gift(gift_id: Int64, decision: str, context: AdminConsole, db: DbSession) -> Response:
    if decision not in ("approve", "reject"):
        raise Unprocessable("decision-unknown", title=N_("Approve or reject"))
    loyalty_gifts.decide_gift(
        db,
        context.workspace.id,
        gift_id,
        decision == "approve",
        context.operator.id,
        context.actor(),
    )
    return _back("/loyalty/gifts", "gift_decided")


# --- tiers and earn rules ------------------------------------------------------------------


@router.get("/loyalty/rules", response_class=HTMLResponse)
def rules(
    request: Request,
    context: Console,
    db: DbSession,
    tier: str = "",
    rule: str = "",
    notice: str = "",
) -> Response:
    """Tiers and earn rules; ``?tier=code`` or ``?rule=id`` fills the form to edit one."""
    return _rules_page(request, context, db, tier, int(rule) if rule.isdigit() else None, notice)


def _rules_page(
    request: Request,
    context: ConsoleContext,
    db: Session,
    tier: str = "",
    rule_id: int | None = None,
    notice: str = "",
    **extra: Any,
) -> Response:
    ws = context.workspace.id
    return _page(
        request,
        "loyalty/rules.html",
        "rules",
        tiers=loyalty_tiers.list_tiers(db, ws),
        earn_rules=loyalty_earn_rules.list_earn_rules(db, ws),
        tier=loyalty_tiers.get_tier(db, ws, tier) if tier else None,
        rule=loyalty_earn_rules.get_earn_rule(db, ws, rule_id) if rule_id is not None else None,
        platforms=loyalty_earn_rules.PLATFORMS,
        segment_names={seg.id: seg.name for seg in segments.list_segments(db, ws)},
        tz=context.workspace.timezone,
        settings=service.settings_of(db, ws),
        notice=notice,
        **extra,
    )


def _rules_again(
    request: Request,
    context: ConsoleContext,
    db: Session,
    problem: Problem,
    form: dict[str, str],
    which: str,
    *,
    tier: str = "",
    rule_id: int | None = None,
) -> Response:
    """The rules page with the refused form (``which``: tier or rule) shown again."""
    if problem.status == 404:
        raise problem
    again = _again(db, problem, form)
    again[f"{which}_form"] = again.pop("form")
    return _rules_page(request, context, db, tier, rule_id, **again)


def _settings_values(form: dict[str, str]) -> dict[str, int]:
    """The settings form: counts as typed, money in yuan; a blank field takes its default."""
    values: dict[str, int] = {}
    for key in service.SETTING_BOUNDS:
        if key.endswith("_fen"):
            amount = _optional_fen(form.get(key.removesuffix("_fen"), ""))
        else:
            amount = _optional_int(form.get(key, ""))
        if amount is not None:
            values[key] = amount
    return values


@router.post("/loyalty/settings", dependencies=CSRF)
async def save_settings(request: Request, context: AdminConsole, db: DbSession) -> Response:
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        service.save_settings(db, context.workspace.id, _settings_values(form), context.actor())
    except Problem as problem:
        return _rules_again(request, context, db, problem, form, "settings")
    return _back("/loyalty/rules", "settings_saved")


def _tier_values(form: dict[str, str]) -> dict[str, Any]:
    return {
        "name": form.get("name", "").strip(),
        "rank": _optional_int(form.get("rank", "")) or 0,
        "min_points_12m": _optional_int(form.get("min_points_12m", "")) or 0,
        "min_spend_fen_12m": _optional_fen(form.get("min_spend", "")),
        "multiplier_permille": _permille(form.get("multiplier", "") or "1"),
        "benefits": form.get("benefits", "").strip()[:2000] or None,
    }


@router.post("/loyalty/tiers", dependencies=CSRF)
async def create_tier(request: Request, context: AdminConsole, db: DbSession) -> Response:
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    code = form.get("code", "").strip()
    try:
        loyalty_tiers.create_tier(
            db, context.workspace.id, code, _tier_values(form), context.actor()
        )
    except Problem as problem:
        return _rules_again(request, context, db, problem, form, "tier")
    return _back("/loyalty/rules", "tier_saved")


@router.post("/loyalty/tiers/{code}", dependencies=CSRF)
async def update_tier(
    request: Request, code: str, context: AdminConsole, db: DbSession
) -> Response:
    loyalty_tiers.get_tier(db, context.workspace.id, code)  # not found before the form is read
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        loyalty_tiers.update_tier(
            db, context.workspace.id, code, _tier_values(form), context.actor()
        )
    except Problem as problem:
        return _rules_again(request, context, db, problem, form, "tier", tier=code)
    return _back("/loyalty/rules", "tier_saved")


def _rule_values(form: dict[str, str], tz: str) -> dict[str, Any]:
    return {
        "name": form.get("name", "").strip(),
        "multiplier_permille": _permille(form.get("multiplier", "")),
        "platform": form.get("platform", "").strip() or None,
        "segment_id": _optional_int(form.get("segment_id", "")),
        "starts_at": _optional_moment(form.get("starts_at", ""), tz),
        "ends_at": _optional_moment(form.get("ends_at", ""), tz),
    }


@router.post("/loyalty/earn-rules", dependencies=CSRF)
async def create_rule(request: Request, context: AdminConsole, db: DbSession) -> Response:
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        values = _rule_values(form, context.workspace.timezone)
        loyalty_earn_rules.add_earn_rule(
            db,
            context.workspace.id,
            values.pop("name"),
            values.pop("multiplier_permille"),
            actor=context.actor(),
            **values,
        )
    except Problem as problem:
        return _rules_again(request, context, db, problem, form, "rule")
    return _back("/loyalty/rules", "rule_saved")


@router.post("/loyalty/earn-rules/{rule_id}", dependencies=CSRF)
async def update_rule(
    request: Request, rule_id: Int64, context: AdminConsole, db: DbSession
) -> Response:
    loyalty_earn_rules.get_earn_rule(db, context.workspace.id, rule_id)  # not found before the form
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        values = _rule_values(form, context.workspace.timezone)
        values["active"] = form.get("active") == "on"
        loyalty_earn_rules.update_earn_rule(
            db, context.workspace.id, rule_id, values, context.actor()
        )
    except Problem as problem:
        return _rules_again(request, context, db, problem, form, "rule", rule_id=rule_id)
    return _back("/loyalty/rules", "rule_saved")


# --- the fan's points on the customer page ---------------------------------------------------


@router.get("/loyalty/customers/{customer_id}/panel", response_class=HTMLResponse)
def customer_panel(
    request: Request, customer_id: Int64, context: Console, db: DbSession
) -> Response:
    ws = context.workspace.id
    points = service.summary(db, ws, customer_id)  # another workspace's fan: 404
    entries, _ = service.list_entries(db, ws, customer_id=customer_id, limit=8)
    return _page(
        request,
        "loyalty/_customer_panel.html",
        "panel",
        points=points,
        entries=entries,
        customer_id=customer_id,
        redemptions=loyalty_mall.list_redemptions(db, ws, customer_id=customer_id, limit=5)[0],
    )
