"""The chat sidebar (聊天工具栏): ``/wecom/sidebar``, the H5 page WeCom opens beside a chat.

WeCom opens it through OAuth: ``?workspace=<slug>&code=<code>``; the code is exchanged for the
staff member's userid (``auth/getuserinfo``), which must be tied to an operator of the
workspace, and a signed cookie keeps that for the working day. The fan is the chat's
``external_userid`` (the page's JS-SDK call ``getCurExternalContact`` supplies it), and must be
a contact of that staff member. The page shows the fan's last-year spend, orders, points,
coupons, tags, notes and RFM stage, and lets the operator tag, note, hand a coupon or make a
mall link — through those domains' services.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.config import get_settings
from siyu.connectors.wecom.client import WecomError
from siyu.connectors.wecom.connection import client_for
from siyu.connectors.wecom.models import WecomFollow, WecomStaff
from siyu.connectors.wecom.sync import push_tags
from siyu.kit.clock import utcnow
from siyu.kit.errors import Forbidden, NotFound, Unauthorized
from siyu.kit.i18n import N_, gettext
from siyu.kit.templating import render
from siyu.kit.web import DbSession, writes
from siyu.workspace import service as workspace_service
from siyu.workspace.audit import Actor

router = APIRouter(prefix="/wecom", include_in_schema=False)

COOKIE = "siyu_wecom_sidebar"
COOKIE_SECONDS = 12 * 3600
PRIVATE = {"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"}
Slug = Annotated[str, Query(max_length=64)]
ExternalId = Annotated[str, Query(max_length=64)]
FormText = Annotated[str, Form()]


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().secret_key, salt="wecom-sidebar")


def _csrf(cookie: str) -> str:
    key = get_settings().secret_key.encode()
    return hmac.new(key, f"wecom-sidebar:{cookie}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Staff:
    workspace_id: int
    userid: str
    operator_id: int
    actor: Actor
    csrf: str


def _staff(request: Request, db: Session, slug: str) -> Staff:
    workspace = workspace_service.get_workspace_by_slug(db, slug)
    cookie = request.cookies.get(COOKIE, "")
    try:
        workspace_id, userid = _serializer().loads(cookie, max_age=COOKIE_SECONDS)
    except (BadSignature, ValueError, TypeError):
        raise Unauthorized("wecom-sidebar-signin", title=N_("Open this page from WeCom")) from None
    if workspace_id != workspace.id:
        raise Unauthorized("wecom-sidebar-signin", title=N_("Open this page from WeCom"))
    staff = _linked_staff(db, workspace.id, userid)
    label = staff.name or staff.userid
    return Staff(
        workspace.id,
        userid,
        int(staff.operator_id or 0),
        Actor("operator", id=staff.operator_id, label=f"wecom:{label}"),
        _csrf(cookie),
    )


def _linked_staff(db: Session, workspace_id: int, userid: str) -> WecomStaff:
    staff = db.scalar(
        select(WecomStaff).where(
            WecomStaff.workspace_id == workspace_id, WecomStaff.userid == userid
        )
    )
    member = (
        staff is not None
        and staff.operator_id is not None
        and any(
            m.operator_id == staff.operator_id
            for m in workspace_service.members_of(db, workspace_id)
        )
    )
    if staff is None or not member:
        raise Forbidden(
            "wecom-staff-not-operator",
            title=N_("Your WeCom account is not tied to an operator of this workspace"),
        )
    return staff


def _fan(db: Session, staff: Staff, external_userid: str) -> int:
    """The fan behind the chat, if it is a contact of this staff member."""
    relation = db.scalar(
        select(WecomFollow.id).where(
            WecomFollow.workspace_id == staff.workspace_id,
            WecomFollow.external_userid == external_userid,
            WecomFollow.userid == staff.userid,
        )
    )
    from siyu.customers import service as customers

    # Through the identity: after an operator's merge it names the surviving fan.
    customer_id = customers.customer_by_identity(db, staff.workspace_id, "wecom", external_userid)
    if relation is None or customer_id is None:
        raise NotFound(
            "wecom-contact-not-found", title=N_("This chat's customer is not synced yet")
        )
    return int(customer_id)


@router.get("/sidebar", response_class=HTMLResponse)
@writes  # the OAuth exchange may refresh the shared access token
def sidebar(
    request: Request,
    db: DbSession,
    workspace: Slug = "",
    external_userid: ExternalId = "",
    code: Annotated[str, Query(max_length=256)] = "",
) -> Response:
    if not workspace:  # opened outside WeCom's app configuration
        return render(request, "wecom/sidebar.html", {"staff": None, "fan": None}, headers=PRIVATE)
    if code:
        return _sign_in(db, workspace, code, external_userid)
    staff = _staff(request, db, workspace)
    if not external_userid:
        return render(
            request,
            "wecom/sidebar.html",
            {"staff": staff, "fan": None, "workspace": workspace},
            headers=PRIVATE,
        )
    customer_id = _fan(db, staff, external_userid)
    context = _panel(db, staff, customer_id) | {
        "staff": staff,
        "workspace": workspace,
        "external_userid": external_userid,
        "done": done_message(request.query_params.get("done")),
    }
    return render(request, "wecom/sidebar.html", context, headers=PRIVATE)


def _sign_in(db: Session, slug: str, code: str, external_userid: str) -> Response:
    workspace = workspace_service.get_workspace_by_slug(db, slug)
    client = client_for(db, workspace.id)
    try:
        userid = str(client.get_user_info(code).get("userid") or "")
    except WecomError:
        userid = ""
    finally:
        client.close()
    if not userid:
        raise Unauthorized("wecom-sidebar-signin", title=N_("Open this page from WeCom"))
    _linked_staff(db, workspace.id, userid)
    target = "/wecom/sidebar?" + urlencode({"workspace": slug, "external_userid": external_userid})
    response = RedirectResponse(target, status_code=303, headers=PRIVATE)
    secure = get_settings().env == "production"
    token = _serializer().dumps([workspace.id, userid])
    response.set_cookie(
        COOKIE,
        token,
        max_age=COOKIE_SECONDS,
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/wecom",
    )
    return response


def _panel(db: Session, staff: Staff, customer_id: int) -> dict[str, Any]:
    from siyu.analytics import service as analytics
    from siyu.coupons import service as coupons
    from siyu.customers import service as customers
    from siyu.customers.figures import fan_labels
    from siyu.loyalty import service as loyalty
    from siyu.orders.figures import gmv_by_customer, recent_orders

    ws = staff.workspace_id
    spend = gmv_by_customer(db, ws, [customer_id], utcnow() - timedelta(days=365)).get(
        customer_id, (0, 0)
    )
    metrics = analytics.metrics_of(db, ws, customer_id)
    campaigns, _ = coupons.list_campaigns(db, ws, channel="manual", limit=20)
    return {
        "fan": fan_labels(db, ws, [customer_id]).get(customer_id),
        "customer_id": customer_id,
        "spend_fen": spend[0],
        "paid_orders": spend[1],
        "orders": recent_orders(db, ws, customer_id),
        "points": loyalty.summary(db, ws, customer_id),
        "coupons": coupons.coupons_of(db, ws, customer_id)[:10],
        "tags": customers.tags_of(db, ws, customer_id),
        "notes": customers.notes_of(db, ws, customer_id)[:5],
        "rfm": analytics.SEGMENT_LABELS.get(metrics.rfm_segment or "") if metrics else None,
        "stage": analytics.STAGE_LABELS.get(metrics.lifecycle_stage or "") if metrics else None,
        "catalog": customers.tag_catalog(db, ws),
        "campaigns": [c for c in campaigns if coupons.status_of(c, c.remaining) == "running"],
    }


def _checked(
    request: Request, db: Session, workspace: str, external_userid: str, csrf_token: str
) -> tuple[Staff, int]:
    staff = _staff(request, db, workspace)
    if not hmac.compare_digest(staff.csrf, csrf_token):
        raise Forbidden("csrf-failed", title=N_("The form expired; reload the page"))
    return staff, _fan(db, staff, external_userid)


def _back(workspace: str, external_userid: str, done: str) -> Response:
    query = urlencode({"workspace": workspace, "external_userid": external_userid, "done": done})
    return RedirectResponse(f"/wecom/sidebar?{query}", status_code=303, headers=PRIVATE)


@router.post("/sidebar/tag", response_class=HTMLResponse)
def tag_fan(
    request: Request,
    db: DbSession,
    workspace: FormText,
    external_userid: FormText,
    csrf_token: FormText,
    tag_id: FormText,
) -> Response:
    from siyu.customers import service as customers

    staff, customer_id = _checked(request, db, workspace, external_userid, csrf_token)
    if not tag_id.isdigit() or len(tag_id) > 12:
        raise NotFound("tag-not-found", title=N_("Tag not found"))
    customers.tag_customer(db, staff.workspace_id, customer_id, int(tag_id), staff.actor)
    client = client_for(db, staff.workspace_id)
    try:
        push_tags(db, staff.workspace_id, client, [customer_id])  # mark it in WeCom too
    except WecomError:
        pass  # the periodic reconciliation pushes it later; the error is counted
    finally:
        client.close()
    return _back(workspace, external_userid, "tag")


@router.post("/sidebar/note", response_class=HTMLResponse)
def note_fan(
    request: Request,
    db: DbSession,
    workspace: FormText,
    external_userid: FormText,
    csrf_token: FormText,
    body: FormText,
) -> Response:
    from siyu.customers import service as customers

    staff, customer_id = _checked(request, db, workspace, external_userid, csrf_token)
    customers.add_note(db, staff.workspace_id, customer_id, body, staff.actor)
    return _back(workspace, external_userid, "note")


@router.post("/sidebar/coupon", response_class=HTMLResponse)
def send_coupon(
    request: Request,
    db: DbSession,
    workspace: FormText,
    external_userid: FormText,
    csrf_token: FormText,
    campaign_id: FormText,
) -> Response:
    from siyu.coupons import service as coupons

    staff, customer_id = _checked(request, db, workspace, external_userid, csrf_token)
    if not campaign_id.isdigit() or len(campaign_id) > 12:
        raise NotFound("campaign-not-found", title=N_("Campaign not found"))
    report = coupons.issue(
        db, staff.workspace_id, int(campaign_id), staff.actor, customer_ids=[customer_id]
    )
    return _back(workspace, external_userid, "coupon" if report.issued else "coupon-refused")


@router.post("/sidebar/mall-link", response_class=HTMLResponse)
def mall_link(
    request: Request,
    db: DbSession,
    workspace: FormText,
    external_userid: FormText,
    csrf_token: FormText,
) -> Response:
    """A signed link to the fan's own pages (the points mall), shown once to paste in the chat."""
    from siyu.customers.fan_links import issue_fan_link

    staff, customer_id = _checked(request, db, workspace, external_userid, csrf_token)
    link = issue_fan_link(db, staff.workspace_id, customer_id, staff.actor)
    context = _panel(db, staff, customer_id) | {
        "staff": staff,
        "workspace": workspace,
        "external_userid": external_userid,
        "mall_link": link.url,
    }
    return render(request, "wecom/sidebar.html", context, headers=PRIVATE)


DONE_MESSAGES = {
    "tag": N_("Tagged."),
    "note": N_("Note saved."),
    "coupon": N_("Coupon sent."),
    "coupon-refused": N_("The coupon could not be sent to this fan."),
}


def done_message(key: str | None) -> str | None:
    return gettext(DONE_MESSAGES[key]) if key in DONE_MESSAGES else None
