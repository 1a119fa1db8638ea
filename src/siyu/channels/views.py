"""Console pages of the public channels: figures, accounts, materials and posts, the calendar,
uploading creator-centre exports, and the content → fans → GMV report.

Forms post, then redirect to a page (POST → redirect → GET); a refused form re-renders its page
with the message and a 4xx status.
"""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from sqlalchemy.orm import Session

from siyu.channels import figures, service
from siyu.channels.importer import PLATFORM_CHOICES
from siyu.channels.labels import LABELS, PLATFORM_LABELS
from siyu.channels.models import CONTENT_PLATFORMS, POST_KINDS
from siyu.db import database
from siyu.kit.bounds import Int64
from siyu.kit.clock import parse_local, today
from siyu.kit.errors import Problem
from siyu.kit.forms import comma_list
from siyu.kit.i18n import N_, gettext
from siyu.kit.money import MoneyFormatError, yuan_to_fen
from siyu.kit.tabular import formula_safe
from siyu.kit.templating import render
from siyu.kit.web import DbSession
from siyu.orders.rejects import report_language
from siyu.workspace.auth import Console, ConsoleContext, OperatorConsole, csrf_protect
from siyu.workspace.figures import operator_names
from siyu.workspace.roles import Role
from siyu.workspace.service import members_of

router = APIRouter(include_in_schema=False)
CSRF = [Depends(csrf_protect)]
MAX_UPLOAD_MB = 20
REJECTS_SHOWN = 100
DAY_CHOICES = (7, 30, 90)
PAGE_SIZE = 50


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _refused(problem: Problem) -> str:
    return gettext(problem.detail or problem.title)


# --- figures ------------------------------------------------------------------------------


@router.get("/content", response_class=HTMLResponse)
def figures_page(
    request: Request, context: Console, db: DbSession, platform: str = "", days: int = 30
) -> Response:
    tz = context.workspace.timezone
    chosen = platform if platform in CONTENT_PLATFORMS else ""
    days = days if days in DAY_CHOICES else 30
    scope = figures.Scope(chosen or None)
    chart = {
        "trend": figures.weekly_trend(db, context.workspace.id, tz, scope),
        "history": figures.plays_history(db, context.workspace.id, scope),
        "followers": [
            {
                "name": f"{gettext(PLATFORM_LABELS[row.account.platform])} · {row.account.handle}",
                "points": row.history,
            }
            for row in figures.accounts(db, context.workspace.id)
            if not chosen or row.account.platform == chosen
        ],
        "labels": _chart_labels(),
    }
    return render(
        request,
        "channels/figures.html",
        {
            "cards": figures.platform_cards(db, context.workspace.id, tz, days),
            "summary": figures.summary(
                db, context.workspace.id, tz, platform=chosen or None, days=days
            ),
            "top": figures.top_works(db, context.workspace.id, tz, scope, days),
            "chart": chart,
            "platform": chosen,
            "days": days,
            "day_choices": DAY_CHOICES,
            "platforms": CONTENT_PLATFORMS,
            **LABELS,
        },
    )


def _chart_labels() -> dict[str, str]:
    return {
        "works": gettext("Works"),
        "plays": gettext("Plays"),
        "avg_likes": gettext("Average likes per work"),
        "follower_gain": gettext("Follower gain"),
    }


# --- accounts -----------------------------------------------------------------------------


@router.get("/content/accounts", response_class=HTMLResponse)
def accounts_page(request: Request, context: Console, db: DbSession) -> Response:
    return _accounts_page(request, context, db)


def _accounts_page(
    request: Request, context: ConsoleContext, db: Session, error: str | None = None
) -> Response:
    return render(
        request,
        "channels/accounts.html",
        {
            "accounts": figures.accounts(db, context.workspace.id),
            "platforms": CONTENT_PLATFORMS,
            "today": today(context.workspace.timezone).isoformat(),
            "can_edit": context.can(Role.operator),
            "error": error,
            **LABELS,
        },
        status_code=422 if error else 200,
    )


@router.post("/content/accounts", dependencies=CSRF)
def add_account(
    request: Request,
    context: OperatorConsole,
    db: DbSession,
    platform: Annotated[str, Form()],
    handle: Annotated[str, Form()],
    url: Annotated[str, Form()] = "",
) -> Response:
    try:
        service.add_account(db, context.workspace.id, platform, handle, url)
    except Problem as problem:
        return _accounts_page(request, context, db, _refused(problem))
    return _see_other("/content/accounts")


@router.get("/content/accounts/{account_id}", response_class=HTMLResponse)
def account_page(
    request: Request, context: Console, db: DbSession, account_id: Int64, days: int = 30
) -> Response:
    """One account's figures: its works, their plays and likes, and its followers."""
    workspace_id, tz = context.workspace.id, context.workspace.timezone
    account = service.get_account(db, workspace_id, account_id)
    days = days if days in DAY_CHOICES else 30
    scope = figures.Scope(account_id=account.id)
    history = figures.follower_history(db, workspace_id, account.id)
    summary = figures.summary(db, workspace_id, tz, platform=None, days=days, account_id=account.id)
    summary["avg_shares"] = figures.avg_shares(db, workspace_id, tz, scope, days)
    return render(
        request,
        "channels/account.html",
        {
            "account": account,
            "summary": summary,
            "followers": history[-1][1] if history else None,
            "follower_gain": figures.follower_gain(history, today(tz) - timedelta(days=days)),
            "top": figures.top_works(db, workspace_id, tz, scope, days),
            "chart": _account_chart(db, context, account.handle, scope, history),
            "days": days,
            "day_choices": DAY_CHOICES,
            **LABELS,
        },
    )


def _account_chart(
    db: Session,
    context: ConsoleContext,
    handle: str,
    scope: figures.Scope,
    history: list[tuple[date, int]],
) -> dict[str, Any]:
    """The account page's charts: the same shapes the figures page draws."""
    workspace_id, tz = context.workspace.id, context.workspace.timezone
    return {
        "trend": figures.weekly_trend(db, workspace_id, tz, scope),
        "history": figures.plays_history(db, workspace_id, scope),
        "followers": [{"name": handle, "points": [(d.isoformat(), n) for d, n in history]}],
        "labels": _chart_labels(),
    }


@router.post("/content/accounts/{account_id}/followers", dependencies=CSRF)
def record_followers(
    request: Request,
    context: OperatorConsole,
    db: DbSession,
    account_id: Int64,
    followers: Annotated[int, Form(ge=0, le=10**12)],
    day: Annotated[str, Form()] = "",
) -> Response:
    service.get_account(db, context.workspace.id, account_id)
    on = _day(day) if day else today(context.workspace.timezone)
    if on is None:
        return _accounts_page(request, context, db, gettext("Give the day as YYYY-MM-DD."))
    service.record_followers(db, context.workspace.id, account_id, on, followers)
    return _see_other("/content/accounts")


# --- materials and posts ------------------------------------------------------------------


@router.get("/content/materials", response_class=HTMLResponse)
def materials_page(request: Request, context: Console, db: DbSession) -> Response:
    return _materials_page(request, context, db)


def _materials_page(
    request: Request, context: ConsoleContext, db: Session, error: str | None = None
) -> Response:
    rows = figures.materials(db, context.workspace.id)
    owners = operator_names(db, (m.owner_operator_id for m, _posts, _plays in rows))
    return render(
        request,
        "channels/materials.html",
        {
            "rows": rows,
            "owners": owners,
            "members": _members(db, context.workspace.id),
            "can_edit": context.can(Role.operator),
            "error": error,
            **LABELS,
        },
        status_code=422 if error else 200,
    )


def _members(db: Session, workspace_id: int) -> list[tuple[int, str]]:
    ids = [membership.operator_id for membership in members_of(db, workspace_id)]
    names = operator_names(db, ids)
    return [(operator_id, names.get(operator_id, "")) for operator_id in ids]


@router.post("/content/materials", dependencies=CSRF)
def create_material(
    request: Request,
    context: OperatorConsole,
    db: DbSession,
    title: Annotated[str, Form()],
    copy_text: Annotated[str, Form()] = "",
    media_ref: Annotated[str, Form()] = "",
    tags: Annotated[str, Form()] = "",
    owner_operator_id: Annotated[str, Form()] = "",
    spend: Annotated[str, Form()] = "",
) -> Response:
    try:
        material = service.create_material(
            db,
            context.workspace.id,
            service.MaterialIn(
                title=title,
                copy_text=copy_text,
                media_ref=media_ref,
                tags=comma_list(tags),
                owner_operator_id=_int_or_none(
                    owner_operator_id,
                    "owner_operator_id",
                    N_("Choose an operator of this workspace."),
                ),
                spend_fen=_fen(spend),
            ),
        )
    except Problem as problem:
        return _materials_page(request, context, db, _refused(problem))
    return _see_other(f"/content/materials/{material.id}")


def _int_or_none(text: str, field: str, message: str) -> int | None:
    """A chosen id from a form's select: empty for none; anything else not an id is refused."""
    text = text.strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 18:
        raise service.invalid_field(field, message)
    return int(text)


def _fen(text: str) -> int:
    if not text.strip():
        return 0
    try:
        return yuan_to_fen(text.strip())
    except (MoneyFormatError, ValueError):
        raise service.invalid_field(
            "spend_fen", N_("Give the spend in yuan, e.g. 300 or 299.50.")
        ) from None


@router.get("/content/materials/{material_id}", response_class=HTMLResponse)
def material_page(
    request: Request, context: Console, db: DbSession, material_id: Int64
) -> Response:
    return _material_page(request, context, db, material_id)


def _material_page(
    request: Request,
    context: ConsoleContext,
    db: Session,
    material_id: int,
    error: str | None = None,
) -> Response:
    material = service.get_material(db, context.workspace.id, material_id)
    posts, _more = figures.list_posts(db, context.workspace.id, material_id=material.id, limit=200)
    return render(
        request,
        "channels/material.html",
        {
            "material": material,
            "owner": operator_names(db, [material.owner_operator_id]).get(
                material.owner_operator_id or 0
            ),
            "posts": posts,
            "platforms": CONTENT_PLATFORMS,
            "kinds": POST_KINDS,
            "link_base": str(request.base_url).rstrip("/"),
            "can_edit": context.can(Role.operator),
            "wecom_ready": service.wecom_connected(db, context.workspace.id),
            "error": error,
            **LABELS,
        },
        status_code=422 if error else 200,
    )


@router.post("/content/materials/{material_id}/posts", dependencies=CSRF)
def add_post(
    request: Request,
    context: OperatorConsole,
    db: DbSession,
    material_id: Int64,
    platform: Annotated[str, Form()],
    title: Annotated[str, Form()],
    kind: Annotated[str, Form()] = "video",
    platform_post_id: Annotated[str, Form()] = "",
    url: Annotated[str, Form()] = "",
    published_at: Annotated[str, Form()] = "",
) -> Response:
    service.get_material(db, context.workspace.id, material_id)
    try:
        moment = parse_local(published_at, context.workspace.timezone) if published_at else None
        service.add_post(
            db,
            context.workspace.id,
            service.PostIn(
                platform=platform,
                title=title,
                material_id=material_id,
                kind=kind,
                platform_post_id=platform_post_id,
                url=url,
                published_at=moment,
            ),
        )
    except ValueError:
        message = gettext("Give the publish time as YYYY-MM-DD HH:MM.")
        return _material_page(request, context, db, material_id, message)
    except Problem as problem:
        return _material_page(request, context, db, material_id, _refused(problem))
    return _see_other(f"/content/materials/{material_id}")


@router.get("/content/posts", response_class=HTMLResponse)
def posts_page(
    request: Request,
    context: Console,
    db: DbSession,
    platform: str = "",
    cursor: str | None = None,
) -> Response:
    return _posts_page(request, context, db, platform, cursor)


def _posts_page(
    request: Request,
    context: ConsoleContext,
    db: Session,
    platform: str = "",
    cursor: str | None = None,
    error: str | None = None,
) -> Response:
    chosen = platform if platform in CONTENT_PLATFORMS else ""
    posts, next_cursor = figures.list_posts(
        db, context.workspace.id, platform=chosen or None, cursor=cursor, limit=PAGE_SIZE
    )
    materials = [
        (m.id, m.title) for m, _posts, _plays in figures.materials(db, context.workspace.id)
    ]
    query = f"platform={chosen}&" if chosen else ""
    return render(
        request,
        "channels/posts.html",
        {
            "posts": posts,
            "materials": materials,
            "material_titles": dict(materials),
            "platform": chosen,
            "platforms": CONTENT_PLATFORMS,
            "next_url": f"/content/posts?{query}cursor={next_cursor}" if next_cursor else None,
            "link_base": str(request.base_url).rstrip("/"),
            "can_edit": context.can(Role.operator),
            "wecom_ready": service.wecom_connected(db, context.workspace.id),
            "error": error,
            **LABELS,
        },
        status_code=422 if error else 200,
    )


@router.post("/content/posts/{post_id}/live-code", dependencies=CSRF)
def make_live_code(
    request: Request,
    context: OperatorConsole,
    db: DbSession,
    post_id: Int64,
    back: Annotated[str, Form()] = "",
) -> Response:
    service.get_post(db, context.workspace.id, post_id)
    if not service.wecom_connected(db, context.workspace.id):
        message = gettext("Connect WeCom first: live codes are made there.")
        return _posts_page(request, context, db, error=message)
    try:
        service.make_live_code(db, context.workspace.id, post_id, context.actor())
    except Problem as problem:
        return _posts_page(request, context, db, error=_refused(problem))
    return _see_other(_back(back, "/content/posts"))


@router.post("/content/posts/{post_id}/material", dependencies=CSRF)
def attach_post(
    context: OperatorConsole,
    db: DbSession,
    post_id: Int64,
    material_id: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "",
) -> Response:
    chosen = _int_or_none(material_id, "material_id", N_("Choose a material."))
    service.attach_post(db, context.workspace.id, post_id, chosen)
    return _see_other(_back(back, "/content/posts"))


@router.post("/content/posts/{post_id}/link", dependencies=CSRF)
def make_link(
    context: OperatorConsole,
    db: DbSession,
    post_id: Int64,
    back: Annotated[str, Form()] = "",
) -> Response:
    service.ensure_link(db, context.workspace.id, post_id)
    return _see_other(_back(back, "/content/posts"))


def _back(url: str, default: str) -> str:
    """Only a console path of this domain: never an open redirect."""
    return url if url.startswith("/content") and "//" not in url else default


# --- calendar -----------------------------------------------------------------------------


@router.get("/content/calendar", response_class=HTMLResponse)
def calendar_page(
    request: Request, context: Console, db: DbSession, view: str = "week", day: str = ""
) -> Response:
    return _calendar_page(request, context, db, view, day)


def _calendar_page(
    request: Request,
    context: ConsoleContext,
    db: Session,
    view: str,
    day: str,
    error: str | None = None,
) -> Response:
    tz = context.workspace.timezone
    anchor = _day(day) or today(tz)
    chosen_view = "month" if view == "month" else "week"
    cal = figures.calendar(db, context.workspace.id, tz, chosen_view, anchor)
    step = 31 if chosen_view == "month" else 7
    return render(
        request,
        "channels/calendar.html",
        {
            "cal": cal,
            "today": today(tz),
            "previous": (
                cal.first - timedelta(days=1 if chosen_view == "month" else step)
            ).isoformat(),
            "following": (cal.last + timedelta(days=1)).isoformat(),
            "cadences": figures.cadences(db, context.workspace.id),
            "platforms": CONTENT_PLATFORMS,
            "kinds": POST_KINDS,
            "materials": [
                (m.id, m.title) for m, _p, _pl in figures.materials(db, context.workspace.id)
            ],
            "can_edit": context.can(Role.operator),
            "error": error,
            **LABELS,
        },
        status_code=422 if error else 200,
    )


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


@router.post("/content/calendar", dependencies=CSRF)
def plan_post(
    request: Request,
    context: OperatorConsole,
    db: DbSession,
    platform: Annotated[str, Form()],
    day: Annotated[date, Form()],
    title: Annotated[str, Form()],
    kind: Annotated[str, Form()] = "video",
    material_id: Annotated[str, Form()] = "",
    view: Annotated[str, Form()] = "week",
) -> Response:
    try:
        service.plan_post(
            db,
            context.workspace.id,
            platform=platform,
            kind=kind,
            day=day,
            title=title,
            material_id=_int_or_none(material_id, "material_id", N_("Choose a material.")),
        )
    except Problem as problem:
        return _calendar_page(request, context, db, view, day.isoformat(), _refused(problem))
    return _see_other(f"/content/calendar?view={'month' if view == 'month' else 'week'}&day={day}")


@router.post("/content/calendar/cadence", dependencies=CSRF)
def set_cadence(
    request: Request,
    context: OperatorConsole,
    db: DbSession,
    platform: Annotated[str, Form()],
    per_week: Annotated[str, Form()],
) -> Response:
    try:
        service.set_cadence(db, context.workspace.id, platform, per_week)
    except Problem as problem:
        return _calendar_page(request, context, db, "week", "", _refused(problem))
    return _see_other("/content/calendar")


@router.post("/content/calendar/{plan_id}/delete", dependencies=CSRF)
def remove_plan(context: OperatorConsole, db: DbSession, plan_id: Int64) -> Response:
    service.remove_plan(db, context.workspace.id, plan_id)
    return _see_other("/content/calendar")


# --- imports ------------------------------------------------------------------------------


@router.get("/content/imports", response_class=HTMLResponse)
def imports_page(
    request: Request, context: Console, db: DbSession, cursor: str | None = None
) -> Response:
    return _imports_page(request, context, db, cursor=cursor)


def _imports_page(
    request: Request,
    context: ConsoleContext,
    db: Session,
    *,
    cursor: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    runs, next_cursor = figures.uploads(db, context.workspace.id, cursor=cursor)
    return render(
        request,
        "channels/imports.html",
        {
            "runs": runs,
            "next_url": f"/content/imports?cursor={next_cursor}" if next_cursor else None,
            "platforms": PLATFORM_CHOICES[1:],
            "accounts": [row.account for row in figures.accounts(db, context.workspace.id)],
            "max_upload_mb": MAX_UPLOAD_MB,
            "can_import": context.can(Role.operator),
            "error": error,
            **LABELS,
        },
        status_code=status,
    )


@router.post("/content/imports", dependencies=CSRF)
def upload(
    request: Request,
    context: OperatorConsole,
    db: DbSession,
    files: Annotated[list[UploadFile], File()],
    platform: Annotated[str, Form()] = "auto",
    account_id: Annotated[str, Form()] = "",
) -> Response:
    chosen = platform if platform in PLATFORM_CHOICES else "auto"
    try:
        account = _int_or_none(account_id, "account_id", N_("Choose an account."))
    except Problem as problem:
        return _imports_page(request, context, db, error=_refused(problem), status=422)
    if account is not None:
        service.get_account(db, context.workspace.id, account)
    uploads = [f for f in files if f.filename]
    if not uploads:
        message = gettext("Choose one or more export files.")
        return _imports_page(request, context, db, error=message, status=422)
    if any((f.size or 0) > MAX_UPLOAD_MB * 2**20 for f in uploads):
        message = gettext("A file is larger than %(limit)s MB.") % {"limit": MAX_UPLOAD_MB}
        return _imports_page(request, context, db, error=message, status=413)
    ids = [_import_upload(db, context, f, chosen, account) for f in uploads]
    if len(ids) == 1 and ids[0] is not None:
        return _see_other(f"/content/imports/{ids[0]}")
    return _see_other("/content/imports")


def _import_upload(
    db: Session, context: ConsoleContext, upload: UploadFile, platform: str, account: int | None
) -> int | None:
    name = Path(str(upload.filename)).name
    with tempfile.TemporaryDirectory(prefix="siyu-content-") as folder:
        path = Path(folder) / name
        with path.open("wb") as target:
            shutil.copyfileobj(upload.file, target)
        summary = service.import_export(
            db,
            context.workspace,
            path,
            platform=platform,
            account=account,
            actor=context.actor(),
            file_name=name,
        )
    return summary.upload_id


@router.get("/content/imports/{upload_id}", response_class=HTMLResponse)
def upload_page(request: Request, context: Console, db: DbSession, upload_id: Int64) -> Response:
    run = figures.get_upload(db, context.workspace.id, upload_id)
    rejects = list(figures.rejects_of(db, run))
    return render(
        request,
        "channels/upload.html",
        {
            "run": run,
            "rejects": rejects[:REJECTS_SHOWN],
            "more_rejects": len(rejects) > REJECTS_SHOWN,
            **LABELS,
        },
    )


@router.get("/content/imports/{upload_id}/rejects.csv")
def rejects_csv(context: Console, db: DbSession, upload_id: Int64) -> Response:
    run = figures.get_upload(db, context.workspace.id, upload_id)
    filename = f"{Path(run.file_name).stem}.rejects.csv"
    return StreamingResponse(
        _report_lines(run.workspace_id, run.id),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": _attachment(filename)},
    )


def _attachment(filename: str) -> str:
    # RFC 6266: an ASCII fallback, and the real (often Chinese) name for browsers that read it.
    return f"attachment; filename=\"rejects.csv\"; filename*=UTF-8''{quote(filename)}"


def _report_lines(workspace_id: int, upload_id: int) -> Iterator[str]:
    """Streamed after the request's session has closed, so it reads with a session of its own."""
    with database.session() as session:
        run = figures.get_upload(session, workspace_id, upload_id)
        translate: Callable[[str], str] = report_language(session, workspace_id)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        buffer.write("\ufeff")
        writer.writerow([translate(t) for t in ("Row", "Column", "Value", "Reason")])
        for reject in figures.rejects_of(session, run):
            writer.writerow(
                [
                    reject.row_number,
                    formula_safe(reject.column_name or ""),
                    formula_safe(reject.value or ""),
                    formula_safe(translate(reject.reason)),
                ]
            )
        yield buffer.getvalue()


# --- report -------------------------------------------------------------------------------


@router.get("/content/report", response_class=HTMLResponse)
def report_page(request: Request, context: Console, db: DbSession) -> Response:
    data = figures.report(db, context.workspace.id)
    total = data.total
    steps = [
        (gettext("Plays"), total.plays),
        (gettext("Link visitors"), total.visitors),
        (gettext("Fans added"), total.fans),
        (gettext("Buyers"), total.buyers),
    ]
    return render(
        request,
        "channels/report.html",
        {
            "report": data,
            "steps": steps,
            "chart": {
                "platforms": _platform_chart(data),
                "labels": {"fans": gettext("Fans added"), "gmv": gettext("GMV (yuan)")},
            },
            **LABELS,
        },
    )


def _platform_chart(data: figures.Report) -> list[dict[str, Any]]:
    return [
        {
            "name": gettext(PLATFORM_LABELS.get(row.key, row.key)),
            "plays": row.plays,
            "fans": row.fans,
            "gmv": row.gmv_fen / 100,
        }
        for row in data.platforms
    ]
