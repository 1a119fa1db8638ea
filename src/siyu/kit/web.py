"""HTTP plumbing shared by every domain: the request transaction, the caller's locale and
address, and problem+json rendering."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Annotated, Any, TypeVar

import anyio.to_thread
from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from siyu.config import get_settings
from siyu.db import database, is_store_busy
from siyu.kit.errors import Problem, ServiceUnavailable, Unprocessable
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


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
THREAD_HEADROOM = 8  # worker threads beyond the request slots, for work that needs no store


class _Gates:
    """One event loop's admission: slots for requests that use the store (never more than the
    pool can serve, so no thread waits for a connection), and on SQLite the writers' turn (one
    writing request at a time per process, so no thread waits for the write lock while another
    holds it and waits for a thread). Both queue fairly (FIFO) on the event loop."""

    def __init__(self, slots: int) -> None:
        self.slots = asyncio.Semaphore(slots)
        self.write_turn = asyncio.Lock()
        # When a writer's wait for SQLite's lock ran out (a long import holds it), the writers
        # queued behind it are answered 503 at once until then, instead of each waiting in turn.
        self.writes_refused_until = 0.0


_gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Gates] = weakref.WeakKeyDictionary()


def _loop_gates() -> _Gates:
    loop = asyncio.get_running_loop()
    gates = _gates.get(loop)
    if gates is None:
        gates = _gates[loop] = _Gates(get_settings().request_slots)
    return gates


def store_busy() -> ServiceUnavailable:
    """503 with Retry-After: the store could not serve this request within the stated limits."""
    return ServiceUnavailable(
        "store-busy",
        title=N_("Siyu is busy right now. Please try again in a moment."),
        headers={"Retry-After": str(get_settings().retry_after_seconds)},
    )


@asynccontextmanager
async def admitted(*, writes: bool) -> AsyncIterator[None]:
    """Wait (on the event loop, at most ``request_queue_seconds``) for a store slot, and on
    SQLite for the writers' turn first when the unit of work writes; else 503."""
    settings = get_settings()
    gates = _loop_gates()
    async with AsyncExitStack() as held:
        sqlite_writer = writes and settings.is_sqlite
        try:
            async with asyncio.timeout(settings.request_queue_seconds):
                if sqlite_writer:
                    _refuse_while_locked(gates)
                    await gates.write_turn.acquire()
                    held.callback(gates.write_turn.release)
                    _refuse_while_locked(gates)
                await gates.slots.acquire()
                held.callback(gates.slots.release)
        except TimeoutError:
            raise store_busy() from None
        yield


def _refuse_while_locked(gates: _Gates) -> None:
    if asyncio.get_running_loop().time() < gates.writes_refused_until:
        raise store_busy()


def note_store_busy(exc: Exception) -> None:
    """A request's wait for SQLite's write lock ran out: refuse this process's queued writers
    for ``retry_after_seconds`` (then one tries again)."""
    if "locked" in str(exc).lower():
        gates = _loop_gates()
        loop_now = asyncio.get_running_loop().time()
        gates.writes_refused_until = loop_now + get_settings().retry_after_seconds


EndpointT = TypeVar("EndpointT", bound=Callable[..., Any])
_WRITES_MARK = "__siyu_writes__"


def writes(endpoint: EndpointT) -> EndpointT:
    """Mark a GET endpoint whose answer is a write (opening a live code seats the fan): it gets
    a unit of work that may write, as unsafe methods do. Audit entries of reads and touches
    need no mark: they go beside the read (``db.write_beside``)."""
    setattr(endpoint, _WRITES_MARK, True)
    return endpoint


_BATCHES_MARK = "__siyu_writes_in_batches__"


def writes_in_batches(endpoint: EndpointT) -> EndpointT:
    """Mark an endpoint that does a job's work in the request (a console upload's import): it
    commits short transactions of its own, each waiting for the write lock as a job does, so
    it does not take the writers' turn, which it would hold for its whole run."""
    setattr(endpoint, _BATCHES_MARK, True)
    return endpoint


def _request_writes(request: Request) -> bool:
    if request.method not in SAFE_METHODS:
        return True
    return bool(getattr(request.scope.get("endpoint"), _WRITES_MARK, False))


async def request_session(request: Request) -> AsyncIterator[Session]:
    """One transaction per request, committed before the response is sent.

    Safe methods (GET, HEAD) get a read-only unit of work: on SQLite a deferred transaction
    that never takes the write lock. Other methods, and GET endpoints marked ``@writes``, may
    write and take their turn first.
    Opening the session costs no thread hop; the commit and close run together in one worker
    thread. The session is used by one thread at a time.
    """
    may_write = _request_writes(request)
    in_batches = bool(getattr(request.scope.get("endpoint"), _BATCHES_MARK, False))
    async with admitted(writes=may_write and not in_batches):
        session = database.session(read_only=not may_write)
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


def widen_thread_limiter() -> None:
    """Enough worker threads that a request holding a store slot never waits for one."""
    limiter = anyio.to_thread.current_default_thread_limiter()
    limiter.total_tokens = max(limiter.total_tokens, get_settings().request_slots + THREAD_HEADROOM)


def busy_problem(exc: Exception) -> ServiceUnavailable | None:
    """A store error that means "busy, try again" (a lock or pool wait ran out) as a 503."""
    return store_busy() if is_store_busy(exc) else None


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
