"""Console pages for fans: the searchable list and the 360 view operators keep beside a chat.

Every change is a plain form post answered with a redirect (so a reload never repeats it); when
the service refuses, the page is rendered again with the reason and the operator's input kept.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from siyu.customers import fan_links, service
from siyu.customers.figures import fan_labels
from siyu.customers.models import Customer
from siyu.customers.platforms import IDENTITY_PLATFORMS, PLATFORM_LABELS
from siyu.kit.bounds import INT32_MAX, INT32_MIN, Int64
from siyu.kit.errors import Conflict, NotFound, Problem, Unprocessable
from siyu.kit.i18n import N_, gettext
from siyu.kit.qr import qr_png_data_uri
from siyu.kit.templating import render
from siyu.kit.timeline import TimelineEntry
from siyu.kit.timeline import merge as merge_timeline
from siyu.kit.web import DbSession
from siyu.orders import ownership
from siyu.orders.labels import ORDER_STATUS_LABELS, REFUND_LABELS
from siyu.workspace import service as workspace_service
from siyu.workspace.auth import AdminConsole, Console, ConsoleContext, OperatorConsole, csrf_protect
from siyu.workspace.roles import Role

router = APIRouter(include_in_schema=False)
protected = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])

PAGE_SIZE = 50
RECENT_ORDERS = 30

# Shown after a redirect; keyed by a code so the address bar can't inject text into the page.
NOTICES = {
    "linked": N_("Identity linked."),
    "split": N_("Identity split off into a new fan."),
    "merged": N_("Merged. Everything the other fan had is now here; you can undo it below."),
    "unmerged": N_("Merge undone: the other fan is on their own again."),
    "erased": N_("Personal data erased. Orders stay, anonymous, for the books."),
}
EVENT_LABELS = {
    "live_view": N_("Watched a live"),
    "h5_visit": N_("Opened a fan page"),
    "share": N_("Shared"),
    "message": N_("Sent a message"),
}
TAG_SEPARATORS = ("/", "／")

FormText = Annotated[str, Form()]


# --- the list ---------------------------------------------------------------------------


@router.get("/customers", response_class=HTMLResponse)
def customer_list(
    request: Request,
    context: Console,
    db: DbSession,
    q: str = "",
    platform: str = "",
    tag: str = "",
    cursor: str | None = None,
) -> Response:
    workspace_id = context.workspace.id
    filters = {
        "q": q.strip(),
        "platform": platform if platform in IDENTITY_PLATFORMS else "",
        "tag": tag if tag.isdigit() else "",
    }
    error = None
    try:
        customers, next_cursor = _search(db, workspace_id, filters, cursor)
    except Problem as problem:
        customers, next_cursor, error = [], None, _message(problem)
    return render(
        request,
        "customers/list.html",
        {
            "customers": customers,
            "fans": fan_labels(db, workspace_id, (c.id for c in customers)),
            "identities": service.identities_for(db, workspace_id, [c.id for c in customers]),
            "total": service.count_customers(db, workspace_id),
            "filters": filters,
            "catalog": service.tag_catalog(db, workspace_id),
            "platform_chips": _platform_chips(filters),
            "next_url": _list_url(filters, cursor=next_cursor) if next_cursor else None,
            "first_url": _list_url(filters) if cursor else None,
            "error": error,
            "PLATFORM_LABELS": PLATFORM_LABELS,
            "as_filter": None if filters["q"] else _as_filter(db, workspace_id, filters),
        },
        status_code=422 if error else 200,
    )


def _as_filter(db: Session, workspace_id: int, filters: dict[str, str]) -> str:
    """The list's platform and tag choice in the segment language, for exports and the
    segment builder (a text search has no equivalent there)."""
    parts = []
    if filters["platform"]:
        parts.append(f'platform = "{filters["platform"]}"')
    if filters["tag"]:
        name = service.get_tag(db, workspace_id, int(filters["tag"])).name
        parts.append('tag = "' + name.replace("\\", "\\\\").replace('"', '\\"') + '"')
    return " and ".join(parts)


def _search(
    db: Session, workspace_id: int, filters: dict[str, str], cursor: str | None
) -> tuple[list[Customer], str | None]:
    q = filters["q"]
    # "taobao:小鹿" in the search box means exactly that identity.
    as_identity = q.partition(":")[0] in IDENTITY_PLATFORMS and ":" in q
    return service.search_customers(
        db,
        workspace_id,
        q=None if as_identity else q or None,
        identity=q if as_identity else None,
        platform=filters["platform"] or None,
        tag_id=int(filters["tag"]) if filters["tag"] else None,
        cursor=cursor,
        limit=PAGE_SIZE,
    )


def _list_url(filters: dict[str, str], **changes: str | None) -> str:
    params = {k: v for k, v in ({**filters, **changes}).items() if v}
    return "/customers" + (f"?{urlencode(params)}" if params else "")


def _platform_chips(filters: dict[str, str]) -> list[tuple[str, str, bool]]:
    chips = [(N_("All platforms"), _list_url(filters, platform=None), not filters["platform"])]
    for key in IDENTITY_PLATFORMS:
        chips.append(
            (PLATFORM_LABELS[key], _list_url(filters, platform=key), filters["platform"] == key)
        )
    return chips


# --- the 360 page -----------------------------------------------------------------------


@router.get("/customers/{customer_id}", response_class=HTMLResponse)
def customer_page(
    request: Request,
    context: Console,
    db: DbSession,
    customer_id: Int64,
    notice: str = "",
    other: Int64 | None = None,
) -> Response:
    return _profile_page(request, context, db, customer_id, notice=NOTICES.get(notice), other=other)


def _profile_page(
    request: Request,
    context: ConsoleContext,
    db: Session,
    customer_id: int,
    *,
    status: int = 200,
    **extra: Any,
) -> Response:
    return render(
        request,
        "customers/profile.html",
        {**_profile(db, context.workspace.id, customer_id), **extra},
        status_code=status,
    )


def _profile(db: Session, workspace_id: int, customer_id: int) -> dict[str, Any]:
    customer = service.get_customer(db, workspace_id, customer_id)
    merges = service.merges_into(db, workspace_id, customer_id)
    return {
        "customer": customer,
        "pii": service.masked_pii(customer),
        "merged_into": _merged_into(db, customer),
        "identities": service.identities_of(db, workspace_id, customer_id),
        "tags": service.tags_of(db, workspace_id, customer_id),
        "catalog": service.tag_catalog(db, workspace_id),
        "stats": ownership.fan_order_stats(db, workspace_id, customer_id),
        "intimacy": service.intimacy_of(db, workspace_id, customer_id),
        "orders": ownership.recent_orders(db, workspace_id, customer_id, RECENT_ORDERS),
        "notes": service.notes_of(db, workspace_id, customer_id),
        "authors": _operator_names(db, workspace_id),
        "merges": merges,
        "fans": fan_labels(
            db,
            workspace_id,
            [customer_id, customer.merged_into_id, *(m.source_id for m in merges)],
        ),
        "PLATFORM_LABELS": PLATFORM_LABELS,
        "IDENTITY_PLATFORMS": IDENTITY_PLATFORMS,
        "ORDER_STATUS_LABELS": ORDER_STATUS_LABELS,
        "REFUND_LABELS": REFUND_LABELS,
        "EVENT_LABELS": EVENT_LABELS,
    }


def _merged_into(db: Session, customer: Customer) -> Customer | None:
    if customer.merged_into_id is None:
        return None
    return service.get_customer(db, customer.workspace_id, customer.merged_into_id)


def _operator_names(db: Session, workspace_id: int) -> dict[int, str]:
    return {
        m.operator_id: m.operator.display_name
        for m in workspace_service.members_of(db, workspace_id)
    }


def _message(problem: Problem) -> str:
    title = gettext(problem.title)
    return f"{title} {gettext(problem.detail)}" if problem.detail else title


def _act(
    request: Request,
    context: ConsoleContext,
    db: Session,
    customer_id: int,
    action: Callable[[], str],
    form: dict[str, str] | None = None,
) -> Response:
    """Run one change; on success redirect where ``action`` says, on a refusal show the 360
    page again with the reason and the submitted values (the transaction is rolled back)."""
    try:
        target = action()
    except Problem as problem:
        db.rollback()
        return _profile_page(
            request,
            context,
            db,
            customer_id,
            status=problem.status,
            error=_message(problem),
            merge_hint=problem.extra.get("other_customer_id"),
            form=form or {},
        )
    return RedirectResponse(target, status_code=303)


def _back(customer_id: int, anchor: str = "", **params: object) -> str:
    query = f"?{urlencode(params)}" if params else ""
    return f"/customers/{customer_id}{query}{'#' + anchor if anchor else ''}"


# --- personal data ----------------------------------------------------------------------


@protected.post("/customers/{customer_id}/pii", response_class=HTMLResponse)
def reveal_pii(
    request: Request, context: OperatorConsole, db: DbSession, customer_id: Int64
) -> Response:
    """Audited: the entry records who looked, when, from where."""
    clear = service.reveal_pii(
        db, context.workspace.id, customer_id, context.actor(), reason="console"
    )
    if request.headers.get("hx-request"):
        return render(request, "customers/_pii.html", {"clear": clear})
    return _profile_page(request, context, db, customer_id, clear=clear)


# --- the fan link ----------------------------------------------------------------------


@router.get("/customers/{customer_id}/link", response_class=HTMLResponse)
def fan_link_panel(request: Request, context: Console, db: DbSession, customer_id: int) -> Response:
    customer = service.get_customer(db, context.workspace.id, customer_id)
    return _fan_link_panel(request, context, customer)


def _fan_link_panel(
    request: Request, context: ConsoleContext, customer: Customer, **extra: Any
) -> Response:
    live = customer.merged_into_id is None and customer.erased_at is None
    return render(
        request,
        "customers/_fan_link.html",
        {
            "customer_id": customer.id,
            "can_issue": live and context.can(Role.operator),
            "link": None,
            **extra,
        },
    )


@protected.post("/customers/{customer_id}/link", response_class=HTMLResponse)
def issue_fan_link(
    request: Request,
    context: OperatorConsole,
    db: DbSession,
    customer_id: int,
    ttl_days: Annotated[int, Form(ge=1, le=90)] = 7,
) -> Response:
    """Audited; the panel shows the link once, with its QR code (a reload doesn't repeat it)."""
    customer = service.get_customer(db, context.workspace.id, customer_id)
    try:
        link = fan_links.issue_fan_link(
            db, context.workspace.id, customer_id, context.actor(), ttl_seconds=ttl_days * 86400
        )
    except Problem as problem:
        db.rollback()
        return _fan_link_panel(request, context, customer, link_error=_message(problem))
    panel = {"link": link, "link_qr": qr_png_data_uri(link.url)}
    if request.headers.get("hx-request"):
        return _fan_link_panel(request, context, customer, **panel)
    return _profile_page(request, context, db, customer_id, fan_link=panel)


# --- the activity timeline --------------------------------------------------------------

TIMELINE_SIZE = 40


@router.get("/customers/{customer_id}/timeline", response_class=HTMLResponse)
def timeline(request: Request, context: Console, db: DbSession, customer_id: int) -> Response:
    """Orders, points, coupons, group joins, notes and events, merged newest first."""
    from siyu.community import service as community
    from siyu.coupons import service as coupons
    from siyu.loyalty import reports as loyalty_reports

    ws = context.workspace.id
    service.get_customer(db, ws, customer_id)
    parts = [
        ownership.timeline_of(db, ws, customer_id, TIMELINE_SIZE),
        loyalty_reports.timeline_of(db, ws, customer_id, TIMELINE_SIZE),
        coupons.timeline_of(db, ws, customer_id, TIMELINE_SIZE),
        community.timeline_of(db, ws, customer_id, TIMELINE_SIZE),
        _own_timeline(db, ws, customer_id),
    ]
    return render(
        request,
        "customers/_timeline.html",
        {"entries": merge_timeline(parts, TIMELINE_SIZE)},
    )


def _own_timeline(db: Session, workspace_id: int, customer_id: int) -> list[TimelineEntry]:
    names = _operator_names(db, workspace_id)
    notes = [
        TimelineEntry(
            note.created_at,
            "note",
            gettext("Note by %(who)s: %(text)s")
            % {"who": names.get(note.operator_id or 0, gettext("System")), "text": note.body},
        )
        for note in service.notes_of(db, workspace_id, customer_id)[:TIMELINE_SIZE]
    ]
    events = [
        TimelineEntry(
            event.occurred_at,
            "event",
            gettext(EVENT_LABELS[event.kind]) if event.kind in EVENT_LABELS else event.kind,
        )
        for event in service.recent_events(db, workspace_id, customer_id, TIMELINE_SIZE)
    ]
    return notes + events


# --- tags and notes ---------------------------------------------------------------------


@protected.post("/customers/{customer_id}/tags")
def add_tag(
    request: Request,
    context: OperatorConsole,
    db: DbSession,
    customer_id: Int64,
    tag_id: FormText = "",
    new_tag: FormText = "",
) -> Response:
    def act() -> str:
        chosen = _chosen_tag(db, context, tag_id, new_tag)
        service.tag_customer(db, context.workspace.id, customer_id, chosen, context.actor())
        return _back(customer_id, "tags")

    return _act(request, context, db, customer_id, act, {"new_tag": new_tag})


def _chosen_tag(db: Session, context: ConsoleContext, tag_id: str, new_tag: str) -> int:
    """A tag picked from the catalog, or a new one written as "group / tag"."""
    text = new_tag.strip()
    if text:
        for separator in TAG_SEPARATORS:
            group, found, name = text.partition(separator)
            if found:
                return service.ensure_tag(db, context.workspace.id, group, name, context.actor()).id
        raise Unprocessable(
            "invalid-tag", title=N_("Write a new tag as group / tag, e.g. Skin / Dry skin.")
        )
    if tag_id.isdigit():
        return int(tag_id)
    raise Unprocessable("invalid-tag", title=N_("Choose a tag or write a new one."))


@protected.post("/customers/{customer_id}/tags/{tag_id}/remove")
def remove_tag(
    request: Request, context: OperatorConsole, db: DbSession, customer_id: Int64, tag_id: Int64
) -> Response:
    def act() -> str:
        service.untag_customer(db, context.workspace.id, customer_id, tag_id, context.actor())
        return _back(customer_id, "tags")

    return _act(request, context, db, customer_id, act)


@protected.post("/customers/{customer_id}/consent")
def set_consent(
    request: Request,
    context: OperatorConsole,
    db: DbSession,
    customer_id: Int64,
    marketing: FormText = "",
) -> Response:
    def act() -> str:
        consent = marketing == "yes"
        service.set_marketing_consent(
            db, context.workspace.id, customer_id, consent, context.actor()
        )
        return _back(customer_id, "consent")

    return _act(request, context, db, customer_id, act)


@protected.post("/customers/{customer_id}/notes")
def add_note(
    request: Request,
    context: OperatorConsole,
    db: DbSession,
    customer_id: Int64,
    body: FormText = "",
) -> Response:
    def act() -> str:
        service.add_note(db, context.workspace.id, customer_id, body, context.actor())
        return _back(customer_id, "notes")

    return _act(request, context, db, customer_id, act, {"body": body})


# --- identities, merge and split --------------------------------------------------------


@protected.post("/customers/{customer_id}/identities")
def link_identity(
    request: Request,
    context: OperatorConsole,
    db: DbSession,
    customer_id: Int64,
    platform: FormText = "",
    external_id: FormText = "",
    nickname: FormText = "",
) -> Response:
    def act() -> str:
        service.link_identity(
            db,
            context.workspace.id,
            customer_id,
            platform,
            external_id,
            context.actor(),
            nickname=nickname.strip() or None,
        )
        return _back(customer_id, "identities", notice="linked")

    form = {"platform": platform, "external_id": external_id, "nickname": nickname}
    return _act(request, context, db, customer_id, act, form)


@protected.post("/customers/{customer_id}/identities/{identity_id}/split")
def split_identity(
    request: Request,
    context: OperatorConsole,
    db: DbSession,
    customer_id: Int64,
    identity_id: Int64,
) -> Response:
    def act() -> str:
        fresh = service.split_identity(
            db, context.workspace.id, customer_id, identity_id, context.actor()
        )
        return _back(customer_id, "identities", notice="split", other=fresh.id)

    return _act(request, context, db, customer_id, act)


@router.get("/customers/{customer_id}/merge", response_class=HTMLResponse)
def merge_preview(
    request: Request,
    context: OperatorConsole,
    db: DbSession,
    customer_id: Int64,
    source: str = "",
) -> Response:
    """Show both fans side by side before anything moves."""
    workspace_id = context.workspace.id
    try:
        other = _find_fan(db, workspace_id, source)
        _check_mergeable(db, workspace_id, customer_id, other)
    except Problem as problem:
        return _profile_page(
            request,
            context,
            db,
            customer_id,
            status=problem.status,
            error=_message(problem),
            form={"source": source},
        )
    return render(
        request,
        "customers/merge_confirm.html",
        {
            "target": _summary(
                db, workspace_id, service.get_customer(db, workspace_id, customer_id)
            ),
            "source": _summary(db, workspace_id, other),
            "fans": fan_labels(db, workspace_id, [customer_id, other.id]),
            "PLATFORM_LABELS": PLATFORM_LABELS,
        },
    )


def _find_fan(db: Session, workspace_id: int, text: str) -> Customer:
    """The other fan, by number, by ``platform:id``, or by exact phone."""
    text = text.strip().lstrip("#")
    if text.isdigit() and service.normalise_phone(text) is None:
        return service.get_customer(db, workspace_id, int(text))
    if ":" in text:
        found, _ = service.search_customers(db, workspace_id, identity=text, limit=1)
    elif service.normalise_phone(text):
        found, _ = service.search_customers(db, workspace_id, q=text, limit=1)
    else:
        raise Unprocessable(
            "invalid-merge-source",
            title=N_("Enter the other fan's number, phone, or an identity like taobao:小鹿爱吃糖."),
        )
    if not found:
        raise NotFound("customer-not-found", title=N_("Fan not found"))
    return found[0]


def _check_mergeable(db: Session, workspace_id: int, target_id: int, source: Customer) -> None:
    """Fail at the preview rather than after the operator confirmed."""
    target = service.get_customer(db, workspace_id, target_id)
    if source.id == target.id:
        raise Unprocessable("merge-self", title=N_("A fan cannot be merged into itself"))
    if source.merged_into_id or target.merged_into_id:
        raise Conflict("customer-merged", title=N_("This fan was merged into another"))


def _summary(db: Session, workspace_id: int, customer: Customer) -> dict[str, Any]:
    return {
        "customer": customer,
        "pii": service.masked_pii(customer),
        "identities": service.identities_of(db, workspace_id, customer.id),
        "stats": ownership.fan_order_stats(db, workspace_id, customer.id),
    }


@protected.post("/customers/{customer_id}/merge")
def merge(
    request: Request,
    context: OperatorConsole,
    db: DbSession,
    customer_id: Int64,
    source_id: Annotated[int, Form(le=INT32_MAX, ge=INT32_MIN)],
) -> Response:
    def act() -> str:
        service.merge_customers(db, context.workspace.id, customer_id, source_id, context.actor())
        return _back(customer_id, "merges", notice="merged")

    return _act(request, context, db, customer_id, act, {"source": str(source_id)})


@protected.post("/customers/{customer_id}/merges/{merge_id}/undo")
def undo_merge(
    request: Request, context: OperatorConsole, db: DbSession, customer_id: Int64, merge_id: Int64
) -> Response:
    def act() -> str:
        undone = service.undo_merge(db, context.workspace.id, merge_id, context.actor())
        return _back(customer_id, "merges", notice="unmerged", other=undone.source_id)

    return _act(request, context, db, customer_id, act)


# --- export and erasure (admins) --------------------------------------------------------


@protected.post("/customers/{customer_id}/export")
def export(context: AdminConsole, db: DbSession, customer_id: Int64) -> Response:
    """Everything held about the fan, in clear: an audited read, downloaded as a file."""
    data = service.export_customer(db, context.workspace.id, customer_id, context.actor())
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2, default=str),
        media_type="application/json; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="fan-{customer_id}.json"',
            "Cache-Control": "no-store",
        },
    )


@protected.post("/customers/{customer_id}/erase")
def erase(
    request: Request,
    context: AdminConsole,
    db: DbSession,
    customer_id: Int64,
    confirm: FormText = "",
) -> Response:
    def act() -> str:
        # Typing the fan's number proves the admin is erasing the fan they mean to.
        if confirm.strip().lstrip("#") != str(customer_id):
            raise Unprocessable(
                "erase-unconfirmed", title=N_("Type the fan's number to confirm the erasure.")
            )
        service.erase_customer(db, context.workspace.id, customer_id, context.actor())
        return _back(customer_id, notice="erased")

    return _act(request, context, db, customer_id, act, {"confirm": confirm})
