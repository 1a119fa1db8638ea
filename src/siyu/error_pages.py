"""Error pages for browsers: 404, 403 and the rest, inside the console's layout when the caller
is signed in.

An exception handler runs after the request's transaction has been rolled back and its session
closed, so the console context loaded by the request is detached and expired: the layout cannot
read it. The page is rendered inside a short session of its own, with the caller's console
context loaded again from the session cookie.
"""

from __future__ import annotations

from contextlib import suppress

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from siyu.db import database
from siyu.kit.errors import Problem
from siyu.kit.i18n import N_, gettext
from siyu.kit.templating import render
from siyu.workspace.auth import SESSION_COOKIE, LoginRequired, console_context

STATUS_MESSAGES = {
    400: N_("The request could not be understood"),
    403: N_("Your role does not allow this"),
    404: N_("Page not found"),
    405: N_("This page cannot be opened this way"),
    422: N_("The request has invalid fields"),
}


async def error_page(
    request: Request,
    status: int,
    *,
    problem: Problem | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """The error page, titled by the problem or by the status, in the caller's language."""
    text = problem.title if problem else STATUS_MESSAGES.get(status)
    context: dict[str, object] = {
        "problem": problem,
        "status": status,
        "message": gettext(text or N_("Request failed")),
    }
    return await run_in_threadpool(_render, request, context, status, headers)


def validation_status(request: Request, exc: RequestValidationError) -> int:
    """On console and fan pages a malformed id in the path names no page (404); elsewhere, and
    for malformed fields, the request is unprocessable (422)."""
    if request.url.path.startswith("/api/"):
        return 422
    in_path = any(error.get("loc", ("",))[0] == "path" for error in exc.errors())
    return 404 if in_path else 422


def _render(
    request: Request, context: dict[str, object], status: int, headers: dict[str, str] | None
) -> Response:
    if hasattr(request.state, "console"):
        del request.state.console
    with database.session() as session:
        # A busy store (the reason for a 503) would keep the page waiting: show it bare.
        if status != 503 and _console_caller(request):
            with suppress(LoginRequired, OperationalError):
                console_context(request, session)  # sets request.state.console for the layout
        # Rendered while the session is open: the layout reads the operator and workspaces.
        return render(request, "error.html", context, status_code=status, headers=headers)


def _console_caller(request: Request) -> bool:
    path = request.url.path
    return bool(request.cookies.get(SESSION_COOKIE)) and not path.startswith(("/h5", "/api/"))
