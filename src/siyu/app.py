"""The application factory: REST API, operator console and fan pages in one ASGI app."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from siyu import __version__, h5
from siyu.analytics import api as analytics_api
from siyu.analytics import views as analytics_views
from siyu.channels import api as channels_api
from siyu.channels import h5 as channels_h5
from siyu.channels import views as channels_views
from siyu.community import api as community_api
from siyu.community import h5 as community_h5
from siyu.community import views as community_views
from siyu.config import Settings, get_settings
from siyu.connectors.wecom import hooks as wecom_hooks
from siyu.connectors.wecom import sidebar as wecom_sidebar
from siyu.connectors.wecom import views as wecom_views
from siyu.coupons import api as coupons_api
from siyu.coupons import h5 as coupons_h5
from siyu.coupons import views as coupons_views
from siyu.customers import api as customers_api
from siyu.customers import h5 as customers_h5
from siyu.customers import views as customers_views
from siyu.customers.fan_links import FanSessionRequired
from siyu.engagement import api as engagement_api
from siyu.engagement import h5 as engagement_h5
from siyu.engagement import views as engagement_views
from siyu.error_pages import error_page, validation_status
from siyu.kit.errors import Problem
from siyu.kit.templating import PACKAGE_DIR
from siyu.kit.web import (
    LocaleMiddleware,
    busy_problem,
    http_problem,
    no_nul_characters,
    note_store_busy,
    problem_response,
    validation_problem,
    wants_problem_json,
    widen_thread_limiter,
)
from siyu.live import api as live_api
from siyu.live import h5 as live_h5
from siyu.live import views as live_views
from siyu.loyalty import api as loyalty_api
from siyu.loyalty import h5 as loyalty_h5
from siyu.loyalty import views as loyalty_views
from siyu.orders import api as orders_api
from siyu.orders import views as orders_views
from siyu.outreach import api as outreach_api
from siyu.outreach import h5 as outreach_h5
from siyu.outreach import views as outreach_views
from siyu.referral import api as referral_api
from siyu.referral import h5 as referral_h5
from siyu.referral import views as referral_views
from siyu.segments import api as segments_api
from siyu.system import api as system_api
from siyu.system import views as system_views
from siyu.workspace import api as workspace_api
from siyu.workspace import views as workspace_views
from siyu.workspace.auth import LoginRequired, api_context

log = logging.getLogger("siyu")

API_ROUTERS: tuple[APIRouter, ...] = (
    workspace_api.router,
    system_api.router,
    customers_api.router,
    orders_api.router,
    community_api.router,
    analytics_api.router,
    segments_api.router,
    coupons_api.router,
    loyalty_api.router,
    outreach_api.router,
    channels_api.router,
    live_api.router,
    referral_api.router,
    engagement_api.router,
)
CONSOLE_ROUTERS: tuple[APIRouter, ...] = (
    workspace_views.router,
    workspace_views.protected,
    system_views.router,
    customers_views.router,
    customers_views.protected,
    orders_views.router,
    analytics_views.router,
    analytics_views.protected,
    community_views.router,
    community_views.protected,
    coupons_views.router,
    coupons_views.protected,
    loyalty_views.router,
    outreach_views.router,
    outreach_views.protected,
    channels_views.router,
    wecom_views.router,
    wecom_views.protected,
    live_views.router,
    live_views.protected,
    referral_views.router,
    referral_views.protected,
    engagement_views.router,
    engagement_views.protected,
)
FAN_ROUTERS: tuple[APIRouter, ...] = (
    h5.router,
    customers_h5.router,
    community_h5.router,
    coupons_h5.router,
    loyalty_h5.router,
    channels_h5.router,
    wecom_hooks.router,
    wecom_sidebar.router,
    live_h5.router,
    live_h5.share_router,
    referral_h5.router,
    referral_h5.links,
    engagement_h5.router,
    outreach_h5.router,
)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="Siyu API",
        version=__version__,
        description="Private-domain operations for live commerce. "
        "Authenticate with `Authorization: Bearer <workspace API token>`.",
        lifespan=_lifespan,
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.add_middleware(LocaleMiddleware)
    app.mount("/static", StaticFiles(directory=PACKAGE_DIR / "static"), name="static")
    _install_error_handlers(app)
    # The grab's claim routes first: routes are tried in order, and a live-room crowd presses
    # these. The API one authenticates by itself (``workspace.token_cache``).
    app.include_router(coupons_h5.hot_router)
    app.include_router(coupons_api.hot_router, prefix="/api/v1")
    app.include_router(system_api.health_router)
    api_v1 = APIRouter(
        prefix="/api/v1", dependencies=[Depends(api_context), Depends(no_nul_characters)]
    )
    for router in API_ROUTERS:
        api_v1.include_router(router)
    app.include_router(api_v1)
    for router in (*CONSOLE_ROUTERS, *FAN_ROUTERS):
        app.include_router(router)
    if settings.wecom_demo_fake:
        from siyu.connectors.wecom import demo as wecom_demo

        wecom_demo.mount(app)
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = get_settings()
    widen_thread_limiter()
    _recover_imports()
    scheduler: Any = None
    if settings.scheduler_enabled and not settings.broker_url and not settings.jobs_inline:
        from siyu.jobs import start_embedded_scheduler

        scheduler = start_embedded_scheduler()
    try:
        yield
    finally:
        if scheduler is not None:
            from siyu.jobs import release_scheduler_lock

            scheduler.shutdown(wait=False)
            release_scheduler_lock()


def _recover_imports() -> None:
    """Take back imports a dead process left half-applied, before serving their orders."""
    from sqlalchemy.exc import SQLAlchemyError

    from siyu.db import transaction
    from siyu.orders.service import recover_interrupted_imports

    try:
        with transaction() as session:
            recovered = recover_interrupted_imports(session)
    except SQLAlchemyError as exc:  # an unmigrated store: `siyu db upgrade` comes first
        log.warning("could not look for interrupted imports: %s", exc)
        return
    if recovered:
        log.warning("took back interrupted import runs %s", recovered)


def _install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(FanSessionRequired, customers_h5.fan_session_required)

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> Response:
        if wants_problem_json(request) or request.headers.get("hx-request"):
            return problem_response(exc, request)
        return await error_page(request, exc.status, problem=exc, headers=exc.headers)

    async def _store_busy(request: Request, exc: Exception) -> Response:
        """A lock or pool wait that ran out is 503 with Retry-After, never a 500."""
        problem = busy_problem(exc)
        if problem is None:
            raise exc
        log.warning("%s %s: store busy: %s", request.method, request.url.path, exc)
        note_store_busy(exc)
        return await _problem(request, problem)

    app.add_exception_handler(OperationalError, _store_busy)
    app.add_exception_handler(PoolTimeout, _store_busy)

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired) -> Response:
        target = "/login" if exc.next_url in ("", "/") else f"/login?next={quote(exc.next_url)}"
        if request.headers.get("hx-request"):
            return Response(status_code=204, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        status = validation_status(request, exc)
        if status == 404:
            return await _http(request, StarletteHTTPException(404))
        if wants_problem_json(request):
            return validation_problem(exc, request)
        return await error_page(request, status)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if wants_problem_json(request):
            return http_problem(exc, request)
        return await error_page(request, exc.status_code, headers=dict(exc.headers or {}))
