"""Console pages for orders: the order list, uploading exports, and what each import did.

An upload is saved to a temporary file and imported within the request (each file in its own
savepoint, as the CLI does), so the operator sees the result at once. That suits files up to
``MAX_UPLOAD_MB``; bigger archives go through ``siyu import orders``.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from sqlalchemy.orm import Session

from siyu.customers.figures import fan_labels
from siyu.customers.platforms import PLATFORM_LABELS
from siyu.db import database
from siyu.kit.bounds import Int64
from siyu.kit.i18n import gettext
from siyu.kit.templating import render
from siyu.kit.web import DbSession, writes_in_batches
from siyu.orders import repository
from siyu.orders.importers import PLATFORMS
from siyu.orders.labels import (
    FILE_KIND_LABELS,
    ORDER_STATUS_LABELS,
    REFUND_LABELS,
    RUN_STATUS_LABELS,
)
from siyu.orders.models import ORDER_STATUSES
from siyu.orders.rejects import report_language, report_lines
from siyu.orders.service import ImportSummary, fatal_text, import_file
from siyu.workspace.auth import Console, ConsoleContext, OperatorConsole, csrf_protect
from siyu.workspace.roles import Role

router = APIRouter(include_in_schema=False)

MAX_UPLOAD_MB = 50
PAGE_SIZE = 50
REJECTS_SHOWN = 50
LABELS = {
    "PLATFORM_LABELS": PLATFORM_LABELS,
    "ORDER_STATUS_LABELS": ORDER_STATUS_LABELS,
    "REFUND_LABELS": REFUND_LABELS,
    "RUN_STATUS_LABELS": RUN_STATUS_LABELS,
    "FILE_KIND_LABELS": FILE_KIND_LABELS,
}


# --- orders -------------------------------------------------------------------------------


@router.get("/orders", response_class=HTMLResponse)
def order_list(
    request: Request,
    context: Console,
    db: DbSession,
    platform: str = "",
    status: str = "",
    q: str = "",
    cursor: str | None = None,
) -> Response:
    filters = {
        "platform": platform if platform in PLATFORMS else "",
        "status": status if status in ORDER_STATUSES else "",
        "q": q.strip()[:64],
    }
    orders, next_cursor = repository.list_orders(
        db,
        context.workspace.id,
        platform=filters["platform"] or None,
        status=filters["status"] or None,
        order_no=filters["q"] or None,
        cursor=cursor,
        limit=PAGE_SIZE,
    )
    return render(
        request,
        "orders/list.html",
        {
            "orders": orders,
            "fans": fan_labels(db, context.workspace.id, (o.customer_id for o in orders)),
            "filters": filters,
            "platforms": PLATFORMS,
            "statuses": ORDER_STATUSES,
            "next_url": _url("/orders", filters, cursor=next_cursor) if next_cursor else None,
            "first_url": _url("/orders", filters) if cursor else None,
            **LABELS,
        },
    )


# --- imports ------------------------------------------------------------------------------


@router.get("/orders/imports", response_class=HTMLResponse)
def imports_page(
    request: Request, context: Console, db: DbSession, cursor: str | None = None
) -> Response:
    return _imports_page(request, context, db, cursor=cursor)


@router.post("/orders/imports", response_class=HTMLResponse, dependencies=[Depends(csrf_protect)])
@writes_in_batches
def upload(
    request: Request,
    context: OperatorConsole,
    db: DbSession,
    files: Annotated[list[UploadFile], File()],
    platform: Annotated[str, Form()] = "auto",
) -> Response:
    chosen = platform if platform in PLATFORMS else "auto"
    uploads = [f for f in files if f.filename]
    if not uploads:
        return _imports_page(
            request, context, db, error=gettext("Choose one or more export files."), status=422
        )
    too_big = [f.filename for f in uploads if (f.size or 0) > MAX_UPLOAD_MB * 2**20]
    if too_big:
        message = gettext(
            "%(files)s is larger than %(limit)s MB. Import it with the siyu import orders command."
        ) % {"files": ", ".join(str(name) for name in too_big), "limit": MAX_UPLOAD_MB}
        return _imports_page(request, context, db, error=message, status=413)
    summaries = [_import_upload(db, context, f, chosen) for f in _item_files_last(uploads)]
    if len(summaries) == 1 and summaries[0].run_id is not None:
        return RedirectResponse(f"/orders/imports/{summaries[0].run_id}", status_code=303)
    return RedirectResponse("/orders/imports", status_code=303)


def _item_files_last(uploads: list[UploadFile]) -> list[UploadFile]:
    # Taobao's item file attaches to orders, so it follows the order lists sent with it.
    return sorted(uploads, key=lambda f: str(f.filename).lower().startswith("exportorderdetail"))


def _import_upload(
    db: Session, context: ConsoleContext, upload: UploadFile, platform: str
) -> ImportSummary:
    name = Path(str(upload.filename)).name
    with tempfile.TemporaryDirectory(prefix="siyu-upload-") as folder:
        # The file keeps its own name: the format sniffer reads a .jsonl suffix.
        path = Path(folder) / name
        with path.open("wb") as target:
            shutil.copyfileobj(upload.file, target)
        return import_file(
            db,
            context.workspace,
            path,
            platform=platform,
            actor=context.actor(),
            file_name=name,
        )


@router.get("/orders/imports/{run_id}", response_class=HTMLResponse)
def run_page(request: Request, context: Console, db: DbSession, run_id: Int64) -> Response:
    run = repository.get_run(db, context.workspace.id, run_id)
    rejects, more = repository.list_rejects(db, run, limit=REJECTS_SHOWN)
    return render(
        request,
        "orders/run.html",
        {
            "run": run,
            "run_error": fatal_text(run.error_detail) if run.error_detail else run.error,
            "rejects": rejects,
            "more_rejects": more is not None,
            **LABELS,
        },
    )


@router.get("/orders/imports/{run_id}/rejects.csv")
def rejects_csv(context: Console, db: DbSession, run_id: Int64) -> Response:
    run = repository.get_run(db, context.workspace.id, run_id)
    filename = f"{Path(run.file_name).stem}.rejects.csv"
    return StreamingResponse(
        _report(run.workspace_id, run.id),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": _attachment(filename)},
    )


def _report(workspace_id: int, run_id: int) -> Iterator[str]:
    """Streamed after the request's session has closed, so it reads with a session of its own."""
    with database.session() as session:
        run = repository.get_run(session, workspace_id, run_id)
        translate = report_language(session, workspace_id)
        yield from report_lines(repository.iter_rejects(session, run), translate)


def _imports_page(
    request: Request,
    context: ConsoleContext,
    db: Session,
    *,
    cursor: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    runs, next_cursor = repository.list_runs(
        db, context.workspace.id, cursor=cursor, limit=PAGE_SIZE
    )
    return render(
        request,
        "orders/imports.html",
        {
            "runs": runs,
            "next_url": f"/orders/imports?cursor={next_cursor}" if next_cursor else None,
            "platforms": PLATFORMS,
            "max_upload_mb": MAX_UPLOAD_MB,
            "can_import": context.can(Role.operator),
            "error": error,
            **LABELS,
        },
        status_code=status,
    )


def _url(path: str, filters: dict[str, str], **changes: str | None) -> str:
    params = {k: v for k, v in ({**filters, **changes}).items() if v}
    return path + (f"?{urlencode(params)}" if params else "")


def _attachment(filename: str) -> str:
    # RFC 6266: an ASCII fallback, and the real (often Chinese) name for browsers that read it.
    return f"attachment; filename=\"rejects.csv\"; filename*=UTF-8''{quote(filename)}"
