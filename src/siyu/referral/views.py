"""Console pages of old-brings-new: the tree with top inviters, the rewards paid, and the
workspace's referral rules (with what the law allows)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from siyu.customers.figures import fan_labels
from siyu.kit.errors import Problem
from siyu.kit.i18n import gettext
from siyu.kit.templating import render
from siyu.kit.web import DbSession
from siyu.referral import service
from siyu.referral.models import REWARD_KIND_LABELS, SOURCE_LABELS
from siyu.workspace.auth import Console, ConsoleContext, OperatorConsole, csrf_protect

router = APIRouter(include_in_schema=False)
protected = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])

FormText = Annotated[str, Form()]
LABELS = {"REWARD_KIND_LABELS": REWARD_KIND_LABELS, "SOURCE_LABELS": SOURCE_LABELS}


def _page(
    request: Request, name: str, tab: str, context: dict[str, Any], status: int = 200
) -> Response:
    return render(request, name, {"tab": tab, **LABELS, **context}, status_code=status)


@router.get("/referral", response_class=HTMLResponse)
def overview(request: Request, context: Console, db: DbSession) -> Response:
    """Totals, top inviters and the tree: each recent top fan with two levels below."""
    ws = context.workspace.id
    tops = service.roots(db, ws)
    first = service.invitees_of(db, ws, [r.customer_id for r in tops])
    second = service.invitees_of(db, ws, [r.customer_id for r in first])
    below: dict[int, list[Any]] = {}
    for node in first + second:
        below.setdefault(node.inviter_id or 0, []).append(node)
    inviters = service.top_inviters(db, ws)
    people = [r.customer_id for r in tops + first + second] + [i.customer_id for i in inviters]
    return _page(
        request,
        "referral/overview.html",
        "overview",
        {
            "totals": service.totals(db, ws),
            "roots": tops,
            "below": below,
            "inviters": inviters,
            "fans": fan_labels(db, ws, people),
            "settings": service.settings_of(db, ws),
        },
    )


@router.get("/referral/rewards", response_class=HTMLResponse)
def rewards(
    request: Request, context: Console, db: DbSession, cursor: str | None = None
) -> Response:
    ws = context.workspace.id
    found, next_cursor = service.list_rewards(db, ws, cursor=cursor, limit=50)
    people = [r.invitee_id for r in found] + [r.beneficiary_id for r in found]
    return _page(
        request,
        "referral/rewards.html",
        "rewards",
        {"rewards": found, "next_cursor": next_cursor, "fans": fan_labels(db, ws, people)},
    )


@router.get("/referral/settings", response_class=HTMLResponse)
def settings_page(request: Request, context: Console, db: DbSession) -> Response:
    return _settings_page(request, context, db)


def _settings_page(
    request: Request,
    context: ConsoleContext,
    db: Session,
    *,
    error: str | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    from siyu.coupons.service import list_campaigns

    ws = context.workspace.id
    current = service.settings_of(db, ws)
    campaigns, _ = list_campaigns(db, ws, limit=200)
    values = form or {
        "max_depth": str(current.max_depth),
        "window_days": str(current.window_days),
        "reward_kind": current.reward_kind,
        "reward_points": str(current.reward_points),
        "reward_points_level2": str(current.reward_points_level2),
        "coupon_campaign_id": str(current.coupon_campaign_id or ""),
    }
    return _page(
        request,
        "referral/settings.html",
        "settings",
        {"form": values, "campaigns": campaigns, "error": error},
        status=422 if error else 200,
    )


def _number(text: str, default: int = 0) -> int:
    text = text.strip()
    return int(text) if text.isdigit() and len(text) < 10 else (default if not text else -1)


@protected.post("/referral/settings", response_class=HTMLResponse)
def save_settings(
    request: Request,
    context: OperatorConsole,
    db: DbSession,
    max_depth: FormText = "1",
    window_days: FormText = "7",
    reward_kind: FormText = "points",
    reward_points: FormText = "0",
    reward_points_level2: FormText = "0",
    coupon_campaign_id: FormText = "",
) -> Response:
    form = {
        "max_depth": max_depth,
        "window_days": window_days,
        "reward_kind": reward_kind,
        "reward_points": reward_points,
        "reward_points_level2": reward_points_level2,
        "coupon_campaign_id": coupon_campaign_id,
    }
    try:
        service.update_settings(
            db,
            context.workspace.id,
            context.actor(),
            max_depth=_number(max_depth),
            window_days=_number(window_days),
            reward_kind=reward_kind,
            reward_points=_number(reward_points),
            reward_points_level2=_number(reward_points_level2),
            coupon_campaign_id=_number(coupon_campaign_id) if coupon_campaign_id.strip() else None,
        )
    except Problem as problem:
        db.rollback()
        return _settings_page(request, context, db, error=gettext(problem.title), form=form)
    return RedirectResponse("/referral/settings?saved=1", status_code=303)
