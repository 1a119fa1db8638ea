"""HTTP plumbing shared by every domain: the request transaction, the caller's locale and
address, and problem+json rendering."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from siyu.db import database
from siyu.kit.errors import Problem, Unprocessable
from siyu.kit.i18n import (
    DEFAULT_LOCALE,
    N_,
    current_locale,
    gettext,
    locale_from_accept_language,
    normalise_locale,
)

LOCALE_COOKIE = "siyu_lang"
PROBLEM_JSON = "application/problem+json"


async def request_session() -> AsyncIterator[Session]:
    """One transaction per request, committed before the response is sent.

    Async so that opening the session (no I/O yet) costs no thread hop; the commit and close
    run together in one worker thread. The session is used by one thread at a time.
    """
    session = database.session()
    try:
        yield session
    except BaseException:
        await run_in_threadpool(_finish, session, commit=False)
        raise
    await run_in_threadpool(_finish, session, commit=True)


def _finish(session: Session, *, commit: bool) -> None:
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()


DbSession = Annotated[Session, Depends(request_session, scope="function")]


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


class LocaleMiddleware:
    """Sets the request's locale: the language cookie, then Accept-Language on the API and
    fan pages, then the default (Chinese)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = current_locale.set(_locale_of(scope))
        try:
            await self.app(scope, receive, send)
        finally:
            current_locale.reset(token)


def _locale_of(scope: Scope) -> str:
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
    for part in headers.get("cookie", "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == LOCALE_COOKIE and normalise_locale(value):
            return normalise_locale(value) or DEFAULT_LOCALE
    if str(scope.get("path", "")).startswith("/api/"):
        return locale_from_accept_language(headers.get("accept-language")) or DEFAULT_LOCALE
    return DEFAULT_LOCALE


def problem_response(problem: Problem, request: Request) -> JSONResponse:
    return JSONResponse(
        problem.body(gettext, instance=request.url.path),
        status_code=problem.status,
        media_type=PROBLEM_JSON,
        headers=problem.headers,
    )


def validation_problem(exc: RequestValidationError, request: Request) -> JSONResponse:
    errors = [
        {
            "field": ".".join(str(part) for part in error["loc"] if part != "body"),
            "message": error["msg"],
            "code": error["type"],
        }
        for error in exc.errors()
    ]
    problem = Problem(
        "validation-error", status=422, title=N_("The request has invalid fields"), errors=errors
    )
    return problem_response(problem, request)


def http_problem(exc: StarletteHTTPException, request: Request) -> JSONResponse:
    slugs = {404: "not-found", 405: "method-not-allowed", 401: "unauthorized", 403: "forbidden"}
    titles = {
        404: N_("Not found"),
        405: N_("Method not allowed"),
        401: N_("Authentication required"),
        403: N_("Not allowed"),
    }
    problem = Problem(
        slugs.get(exc.status_code, "http-error"),
        status=exc.status_code,
        title=titles.get(exc.status_code, N_("Request failed")),
        headers=dict(exc.headers or {}),
    )
    return problem_response(problem, request)


def wants_problem_json(request: Request) -> bool:
    """API callers get problem+json; browsers on the console and fan pages get HTML."""
    return request.url.path.startswith("/api/") or "text/html" not in request.headers.get(
        "accept", ""
    )


async def no_nul_characters(request: Request) -> None:
    """A NUL character in a JSON body or the query is refused (422): PostgreSQL text cannot
    hold one, and no name, order number or note needs it."""
    body = await request.body()
    query = request.query_params.values()
    if b"\\u0000" in body.lower() or any("\x00" in value for value in query):
        raise Unprocessable("nul-character", title=N_("The request has invalid fields"))
