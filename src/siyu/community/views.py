"""Console pages of fan groups: the groups list with health sparklines, a group's page, live-code
families, the rule editor with its tester, the after-sales queue and moderation flags.

Changes are plain form posts answered with a redirect; the tester is an HTMX post that returns
a fragment and changes nothing.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from siyu.community import bot, health, service
from siyu.community.models import (
    GROUP_STATUS_LABELS,
    GROUP_STATUSES,
    GROUP_TYPE_LABELS,
    GROUP_TYPES,
    TICKET_STATUS_LABELS,
)
from siyu.config import get_settings
from siyu.kit.bounds import INT32_MAX, INT32_MIN, Int64
from siyu.kit.errors import Problem
from siyu.kit.i18n import gettext
from siyu.kit.templating import render
from siyu.kit.web import DbSession
from siyu.workspace.auth import Console, OperatorConsole, csrf_protect

router = APIRouter(include_in_schema=False)
protected = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])

FormText = Annotated[str, Form()]
LABELS = {
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


def _words(text: str) -> list[str]:
    return [w.strip() for w in text.replace("，", ",").replace("\n", ",").split(",") if w.strip()]


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
            "open_tickets": bot.open_ticket_count(db, ws),
            "notifications": bot.list_notifications(db, ws, context.operator.id, limit=8),
            "next_url": f"/community?status={status}&cursor={next_cursor}" if next_cursor else None,
        },
    )


@router.get("/community/groups/{group_id}", response_class=HTMLResponse)
def group_page(
    group_id: Int64, request: Request, context: Console, db: DbSession, q: str = ""
) -> Response:
    ws = context.workspace.id
    group = service.get_group(db, ws, group_id)
    series = health.health_series(db, ws, group_id, 60)
    members, _ = service.list_members(db, ws, group_id, limit=50)
    messages, _ = bot.search_messages(db, ws, group_id=group_id, q=q or None, limit=30)
    gmv = health.gmv_guided(db, ws, [group_id])
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
            "kocs": health.kocs_of(db, ws, group_id),
            "messages": messages,
            "q": q,
            "gmv": gmv[0] if gmv else None,
        },
    )


@router.get("/community/families", response_class=HTMLResponse)
def family_list(request: Request, context: Console, db: DbSession) -> Response:
    ws = context.workspace.id
    base = get_settings().public_base_url.rstrip("/")
    return _page(
        request,
        "community/families.html",
        "families",
        {
            "families": service.list_families(db, ws),
            "counts": service.family_group_counts(db, ws),
            "base": base,
            "error": request.query_params.get("error"),
        },
    )


@protected.post("/community/families")
def create_family(
    context: OperatorConsole,
    db: DbSession,
    name: FormText,
    slug: FormText,
    group_type: FormText = "general",
    group_capacity: Annotated[int, Form(le=INT32_MAX, ge=INT32_MIN)] = 200,
    min_paid_orders: FormText = "",
    max_groups: FormText = "",
    match_region: FormText = "",
) -> Response:
    try:
        service.create_family(
            db,
            context.workspace.id,
            context.actor(),
            name=name,
            slug=slug.strip(),
            name_base=name,
            group_type=group_type,
            group_capacity=group_capacity,
            min_paid_orders=int(min_paid_orders) if min_paid_orders.strip() else None,
            max_groups=int(max_groups) if max_groups.strip() else None,
            match_region=bool(match_region),
        )
    except (Problem, ValueError) as problem:
        db.rollback()
        message = gettext(problem.title) if isinstance(problem, Problem) else str(problem)
        return RedirectResponse(f"/community/families?error={message}", status_code=303)
    return RedirectResponse("/community/families", status_code=303)


@router.get("/community/rules", response_class=HTMLResponse)
def rule_list(request: Request, context: Console, db: DbSession) -> Response:
    rules, _ = bot.list_rules(db, context.workspace.id)
    return _page(
        request,
        "community/rules.html",
        "rules",
        {"rules": rules, "error": request.query_params.get("error"), "form": {}},
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
    priority: Annotated[int, Form(le=INT32_MAX, ge=INT32_MIN)] = 0,
    cooldown_seconds: Annotated[int, Form(le=INT32_MAX, ge=INT32_MIN)] = 60,
) -> Response:
    fields = {
        "name": name,
        "match": match,
        "reply": reply,
        "keywords": _words(keywords),
        "exclude_keywords": _words(exclude_keywords),
        "pattern": pattern or None,
        "kind": kind,
        "priority": priority,
        "cooldown_seconds": cooldown_seconds,
    }
    try:
        bot.create_rule(db, context.workspace.id, context.actor(), fields)
    except Problem as problem:
        db.rollback()
        rules, _ = bot.list_rules(db, context.workspace.id)
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
    rule = bot.get_rule(db, context.workspace.id, rule_id)
    bot.update_rule(
        db, context.workspace.id, rule_id, context.actor(), {"is_active": not rule.is_active}
    )
    return RedirectResponse("/community/rules", status_code=303)


@protected.post("/community/rules/{rule_id}/delete")
def delete_rule(rule_id: Int64, context: OperatorConsole, db: DbSession) -> Response:
    bot.delete_rule(db, context.workspace.id, rule_id, context.actor())
    return RedirectResponse("/community/rules", status_code=303)


@protected.post("/community/rules/test", response_class=HTMLResponse)
def test_rule_text(
    request: Request, context: Console, db: DbSession, text: FormText, group_id: FormText = ""
) -> Response:
    outcome = bot.try_text(
        db, context.workspace.id, text, group_id=int(group_id) if group_id.isdigit() else None
    )
    return render(request, "community/_test_result.html", {"outcome": outcome})


@router.get("/community/tickets", response_class=HTMLResponse)
def ticket_queue(
    request: Request, context: Console, db: DbSession, status: str = "open"
) -> Response:
    tickets, _ = bot.list_tickets(
        db, context.workspace.id, status=status if status in TICKET_STATUS_LABELS else None
    )
    names = {g.id: g.name for g in service.all_groups(db, context.workspace.id)}
    return _page(
        request,
        "community/tickets.html",
        "tickets",
        {"tickets": tickets, "status": status, "group_names": names},
    )


@protected.post("/community/tickets/{ticket_id}")
def move_ticket(
    ticket_id: Int64, context: OperatorConsole, db: DbSession, status: FormText
) -> Response:
    bot.update_ticket(
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
    flags, _ = bot.list_flags(db, context.workspace.id, status="open", limit=100)
    names = {g.id: g.name for g in service.all_groups(db, context.workspace.id)}
    return _page(request, "community/flags.html", "flags", {"flags": flags, "group_names": names})


@protected.post("/community/flags/{flag_id}")
def resolve_flag(
    flag_id: Int64, context: OperatorConsole, db: DbSession, status: FormText
) -> Response:
    bot.resolve_flag(db, context.workspace.id, flag_id, status, context.actor())
    return RedirectResponse("/community/flags", status_code=303)
