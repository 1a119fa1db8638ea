"""Console pages of fan groups: the groups list with health sparklines, a group's page, live-code
families, the rule editor with its tester, the after-sales queue and moderation flags.

Changes are plain form posts answered with a redirect; the tester is an HTMX post that returns
a fragment and changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from siyu.community import health, labels, search, service
from siyu.community import moderation as community_moderation
from siyu.community import rules as community_rules
from siyu.community import tickets as community_tickets
from siyu.community.models import (
    GROUP_STATUS_LABELS,
    GROUP_STATUSES,
    GROUP_TYPE_LABELS,
    GROUP_TYPES,
    TICKET_STATUS_LABELS,
)
from siyu.customers.figures import fan_labels
from siyu.kit.bounds import INT32_MAX, INT32_MIN, Int64
from siyu.kit.errors import NotFound, Problem, Unprocessable
from siyu.kit.forms import comma_list
from siyu.kit.i18n import N_, gettext
from siyu.kit.qr import qr_png, qr_svg
from siyu.kit.templating import render
from siyu.kit.web import DbSession
from siyu.workspace.auth import Console, ConsoleContext, OperatorConsole, csrf_protect
from siyu.workspace.figures import operator_names

router = APIRouter(include_in_schema=False)
protected = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])

FormText = Annotated[str, Form()]
LABELS = {
    "MATCH_LABELS": labels.MATCH_LABELS,
    "FLAG_KIND_LABELS": labels.FLAG_KIND_LABELS,
    "notice_text": labels.notice_text,
    "GROUP_STATUS_LABELS": GROUP_STATUS_LABELS,
    "GROUP_TYPE_LABELS": GROUP_TYPE_LABELS,
    "TICKET_STATUS_LABELS": TICKET_STATUS_LABELS,
    "GROUP_STATUSES": GROUP_STATUSES,
    "GROUP_TYPES": GROUP_TYPES,
}


def _page(
    request: Request, name: str, tab: str, context: dict[str, Any], status: int = 200
) -> Response:
    return render(request, name, {"tab": tab, **LABELS, **context}, status_code=status)


def _people(db: Session, workspace_id: int, *row_lists: Iterable[Any]) -> dict[str, Any]:
    """Names of the fans and operators the rows mention (``customer_id`` and sender refs), for
    the ``_sender.html`` macro: two queries for the whole page."""
    rows = [row for rows in row_lists for row in rows]
    refs = [getattr(r, "sender_ref", None) or getattr(r, "member_ref", None) for r in rows]
    customer_ids = [getattr(r, "customer_id", None) for r in rows]
    customer_ids += [service.ref_customer_id(ref) for ref in refs]
    return {
        "fans": fan_labels(db, workspace_id, customer_ids),
        "operators": operator_names(db, [service.ref_operator_id(ref) for ref in refs]),
        "ref_customer_id": service.ref_customer_id,
        "ref_operator_id": service.ref_operator_id,
    }


@router.get("/community", response_class=HTMLResponse)
def group_list(
    request: Request, context: Console, db: DbSession, status: str = "", cursor: str | None = None
) -> Response:
    ws = context.workspace.id
    groups, next_cursor = service.list_groups(
        db, ws, status=status if status in GROUP_STATUSES else None, cursor=cursor, limit=100
    )
    return _page(
        request,
        "community/groups.html",
        "groups",
        {
            "groups": groups,
            "status": status,
            "sparks": health.sparklines(db, ws),
            "open_tickets": community_tickets.open_ticket_count(db, ws),
            "notifications": community_tickets.list_notifications(
                db, ws, context.operator.id, limit=8
            ),
            "next_url": f"/community?status={status}&cursor={next_cursor}" if next_cursor else None,
        },
    )


@router.get("/community/groups/{group_id}", response_class=HTMLResponse)
def group_page(
    group_id: Int64, request: Request, context: Console, db: DbSession, q: str = ""
) -> Response:
    return _group_page(group_id, request, context, db, q)


def _group_page(
    group_id: int,
    request: Request,
    context: ConsoleContext,
    db: Session,
    q: str = "",
    status: int = 200,
    **extra: Any,
) -> Response:
    ws = context.workspace.id
    group = service.get_group(db, ws, group_id)
    series = health.health_series(db, ws, group_id, 60)
    members, _ = service.list_members(db, ws, group_id, limit=50)
    messages, _ = search.search_messages(db, ws, group_id=group_id, q=q or None, limit=30)
    gmv = health.gmv_guided(db, ws, [group_id])
    kocs = health.kocs_of(db, ws, group_id)
    return _page(
        request,
        "community/group.html",
        "groups",
        {
            "group": group,
            "series": series,
            "labels": [str(row.day) for row in series],
            "fan_values": [row.fan_messages for row in series],
            "staff_values": [row.staff_messages for row in series],
            "score_values": [row.score for row in series],
            "members": members,
            "kocs": kocs,
            "messages": messages,
            "q": q,
            "gmv": gmv[0] if gmv else None,
            **_people(db, ws, members, kocs, messages),
            **extra,
        },
        status,
    )


@router.get("/community/families", response_class=HTMLResponse)
def family_list(request: Request, context: Console, db: DbSession) -> Response:
    return _families_page(request, context, db)


def _families_page(
    request: Request,
    context: ConsoleContext,
    db: Session,
    *,
    error: str | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    ws = context.workspace.id
    families = service.list_families(db, ws)
    return _page(
        request,
        "community/families.html",
        "families",
        {
            "families": families,
            "counts": service.family_group_counts(db, ws),
            "codes": {f.id: service.live_code_url(f) for f in families},
            "error": error,
            "form": form or {},
        },
        status=422 if error else 200,
    )


def _whole(text: str, default: int | None) -> int | None:
    """A whole-number form field; blank is ``default``."""
    text = text.strip()
    if not text:
        return default
    if not text.lstrip("-").isdigit() or not INT32_MIN <= int(text) <= INT32_MAX:
        raise Unprocessable("not-a-number", title=N_("Enter a whole number"), detail=text)
    return int(text)


@protected.post("/community/families", response_class=HTMLResponse)
def create_family(
    request: Request,
    context: OperatorConsole,
    db: DbSession,
    name: FormText,
    slug: FormText,
    group_type: FormText = "general",
    group_capacity: FormText = "200",
    min_paid_orders: FormText = "",
    max_groups: FormText = "",
    match_region: FormText = "",
) -> Response:
    form = {
        "name": name,
        "slug": slug,
        "group_type": group_type,
        "group_capacity": group_capacity,
        "min_paid_orders": min_paid_orders,
        "max_groups": max_groups,
        "match_region": match_region,
    }
    try:
        service.create_family(
            db,
            context.workspace.id,
            context.actor(),
            name=name,
            slug=slug.strip(),
            name_base=name,
            group_type=group_type,
            group_capacity=_whole(group_capacity, 200) or 200,
            min_paid_orders=_whole(min_paid_orders, None),
            max_groups=_whole(max_groups, None),
            match_region=bool(match_region),
        )
    except Problem as problem:
        db.rollback()
        error = gettext(problem.title) + (f": {problem.detail}" if problem.detail else "")
        return _families_page(request, context, db, error=error, form=form)
    return RedirectResponse("/community/families", status_code=303)


@router.get("/community/rules", response_class=HTMLResponse)
def rule_list(request: Request, context: Console, db: DbSession) -> Response:
    rules, _ = community_rules.list_rules(db, context.workspace.id)
    return _page(
        request,
        "community/rules.html",
        "rules",
        {"rules": rules, "error": None, "form": {}},
    )


@protected.post("/community/rules")
def create_rule(
    request: Request,
    context: OperatorConsole,
    db: DbSession,
    name: FormText,
    match: FormText,
    reply: FormText,
    keywords: FormText = "",
    exclude_keywords: FormText = "",
    pattern: FormText = "",
    kind: FormText = "reply",
    priority: FormText = "0",
    cooldown_seconds: FormText = "60",
) -> Response:
    fields: dict[str, Any] = {
        "name": name,
        "match": match,
        "reply": reply,
        "keywords": comma_list(keywords),
        "exclude_keywords": comma_list(exclude_keywords),
        "pattern": pattern or None,
        "kind": kind,
        "priority": priority,
        "cooldown_seconds": cooldown_seconds,
    }
    try:
        fields["priority"] = _whole(priority, 0)
        fields["cooldown_seconds"] = _whole(cooldown_seconds, 60)
        community_rules.create_rule(db, context.workspace.id, context.actor(), fields)
    except Problem as problem:
        db.rollback()
        rules, _ = community_rules.list_rules(db, context.workspace.id)
        if isinstance(problem, community_rules.RuleRefused):
            error = problem.text()
        else:
            error = gettext(problem.title) + (f": {problem.detail}" if problem.detail else "")
        return _page(
            request,
            "community/rules.html",
            "rules",
            {"rules": rules, "error": error, "form": fields},
            status=422,
        )
    return RedirectResponse("/community/rules", status_code=303)


@protected.post("/community/rules/{rule_id}/toggle")
def toggle_rule(rule_id: Int64, context: OperatorConsole, db: DbSession) -> Response:
    rule = community_rules.get_rule(db, context.workspace.id, rule_id)
    community_rules.update_rule(
        db, context.workspace.id, rule_id, context.actor(), {"is_active": not rule.is_active}
    )
    return RedirectResponse("/community/rules", status_code=303)


@protected.post("/community/rules/{rule_id}/delete")
def delete_rule(rule_id: Int64, context: OperatorConsole, db: DbSession) -> Response:
    community_rules.delete_rule(db, context.workspace.id, rule_id, context.actor())
    return RedirectResponse("/community/rules", status_code=303)


@protected.post("/community/rules/test", response_class=HTMLResponse)
def test_rule_text(
    request: Request, context: Console, db: DbSession, text: FormText, group_id: FormText = ""
) -> Response:
    outcome = community_rules.try_text(
        db, context.workspace.id, text, group_id=int(group_id) if group_id.isdigit() else None
    )
    return render(request, "community/_test_result.html", {"outcome": outcome})


@router.get("/community/tickets", response_class=HTMLResponse)
def ticket_queue(
    request: Request, context: Console, db: DbSession, status: str = "open"
) -> Response:
    tickets, _ = community_tickets.list_tickets(
        db, context.workspace.id, status=status if status in TICKET_STATUS_LABELS else None
    )
    names = {g.id: g.name for g in service.all_groups(db, context.workspace.id)}
    return _page(
        request,
        "community/tickets.html",
        "tickets",
        {
            "tickets": tickets,
            "status": status,
            "group_names": names,
            **_people(db, context.workspace.id, tickets),
        },
    )


@protected.post("/community/tickets/{ticket_id}")
def move_ticket(
    ticket_id: Int64, context: OperatorConsole, db: DbSession, status: FormText
) -> Response:
    community_tickets.update_ticket(
        db,
        context.workspace.id,
        ticket_id,
        context.actor(),
        status=status,
        assignee_operator_id=context.operator.id,
    )
    return RedirectResponse("/community/tickets", status_code=303)


@router.get("/community/flags", response_class=HTMLResponse)
def flag_list(request: Request, context: Console, db: DbSession) -> Response:
    flags, _ = community_moderation.list_flags(db, context.workspace.id, status="open", limit=100)
    names = {g.id: g.name for g in service.all_groups(db, context.workspace.id)}
    return _page(
        request,
        "community/flags.html",
        "flags",
        {"flags": flags, "group_names": names, **_people(db, context.workspace.id, flags)},
    )


@protected.post("/community/flags/{flag_id}")
def resolve_flag(
    flag_id: Int64, context: OperatorConsole, db: DbSession, status: FormText
) -> Response:
    community_moderation.resolve_flag(db, context.workspace.id, flag_id, status, context.actor())
    return RedirectResponse("/community/flags", status_code=303)


# --- the fan's 360 page ------------------------------------------------------------------


@router.get("/community/customers/{customer_id}/panel", response_class=HTMLResponse)
def fan_panel(request: Request, context: Console, db: DbSession, customer_id: int) -> Response:
    """The groups a fan is in (and was in), for their 360 page."""
    stays = service.groups_of(db, context.workspace.id, customer_id)  # a foreign fan: 404
    return render(request, "community/_customer_panel.html", {"stays": stays, **LABELS})


# --- QR codes: live codes and groups' join codes -----------------------------------------

QR_MEDIA = {"png": "image/png", "svg": "image/svg+xml"}


def _qr_response(data: str, kind: str, filename: str, download: bool) -> Response:
    if kind not in QR_MEDIA:
        raise NotFound("qr-format-unknown", title=N_("Page not found"))
    body = qr_png(data) if kind == "png" else qr_svg(data)
    headers = {"Cache-Control": "private, max-age=300"}
    if download:
        headers["Content-Disposition"] = f'attachment; filename="{filename}.{kind}"'
    return Response(body, media_type=QR_MEDIA[kind], headers=headers)


@router.get("/community/families/{family_id}/qr.{kind}")
def family_qr(
    family_id: int, kind: str, context: Console, db: DbSession, download: bool = False
) -> Response:
    """The live code to print or post (PNG for chats and posters, SVG for print)."""
    family = service.get_family(db, context.workspace.id, family_id)
    url = service.live_code_url(family)
    return _qr_response(url, kind, f"live-code-{family.slug}", download)


@router.get("/community/groups/{group_id}/qr.{kind}")
def group_qr(
    group_id: int, kind: str, context: Console, db: DbSession, download: bool = False
) -> Response:
    group = service.get_group(db, context.workspace.id, group_id)
    if not group.join_url:
        raise NotFound("join-code-missing", title=N_("This group has no join code yet"))
    return _qr_response(group.join_url, kind, f"group-{group.id}", download)


@protected.post("/community/groups/{group_id}/join-code")
def save_join_code(
    group_id: int,
    request: Request,
    context: OperatorConsole,
    db: DbSession,
    join_url: FormText = "",
) -> Response:
    try:
        service.update_group(
            db,
            context.workspace.id,
            group_id,
            context.actor(),
            join_url=service.checked_join_url(join_url),
        )
    except Problem as problem:
        db.rollback()
        return _group_page(
            group_id,
            request,
            context,
            db,
            status=problem.status,
            join_error=gettext(problem.title),
            join_draft=join_url,
        )
    return RedirectResponse(f"/community/groups/{group_id}#join-code", status_code=303)
