"""The live code's landing page for fans: ``/h5/groups/{slug}``.

The fan is known from their personal-link session. Opening the page routes them: it names the
group they join (or already belong to), their place on the waitlist, or, politely, why the
family's groups are not open to them yet.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from siyu.community import service
from siyu.customers.fan_links import CurrentFan
from siyu.kit.errors import NotFound
from siyu.kit.i18n import gettext
from siyu.kit.templating import render
from siyu.kit.web import DbSession, writes
from siyu.workspace.audit import Actor

router = APIRouter(prefix="/h5", include_in_schema=False)

PRIVATE = {"Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer"}


@router.get("/groups/{slug}", response_class=HTMLResponse)
@writes  # opening the live code seats the fan in a group
def live_code(slug: str, request: Request, fan: CurrentFan, db: DbSession) -> Response:
    workspace_id = fan.workspace.id
    try:
        family = service.family_by_slug(db, workspace_id, slug)
    except NotFound:
        return render(
            request,
            "community/h5_live_code.html",
            {"outcome": "unknown", "family": None, "result": None, "reasons": []},
            status_code=404,
            headers=PRIVATE,
        )
    actor = Actor("fan", fan.customer.id, fan.customer.display_name)
    result = service.route_newcomer(db, workspace_id, slug, fan.customer.id, actor)
    reasons = [gettext(service.REASONS[code]) % {"n": n} for code, n in result.reasons]
    return render(
        request,
        "community/h5_live_code.html",
        {"outcome": result.outcome, "family": family, "result": result, "reasons": reasons},
        headers=PRIVATE,
    )
