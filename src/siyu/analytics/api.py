"""REST endpoints of analytics: refresh, dashboard figures, funnels, one fan's metrics."""

from __future__ import annotations

from fastapi import APIRouter

from siyu.analytics import service
from siyu.analytics.config import config_from_json, load_config, save_config
from siyu.analytics.schemas import (
    DashboardOut,
    FunnelIn,
    FunnelStepOut,
    MetricsOut,
    RefreshIn,
    RefreshOut,
    SettingsBody,
)
from siyu.analytics.tasks import REFRESH_JOB
from siyu.jobs import enqueue
from siyu.kit.bounds import Int64
from siyu.kit.errors import NotFound
from siyu.kit.i18n import N_
from siyu.kit.web import DbSession
from siyu.workspace.auth import Api, needs
from siyu.workspace.roles import Scope

router = APIRouter(tags=["analytics"])


@router.post("/analytics/refresh", response_model=RefreshOut, status_code=202)
def refresh(body: RefreshIn, api: Api, db: DbSession) -> RefreshOut:
    """Queue a refresh of every fan's metrics and the dashboard reports."""
    payload = {"workspace_id": api.workspace_id}
    if body.as_of:
        payload["as_of"] = body.as_of.isoformat()  # type: ignore[assignment]
    run = enqueue(db, REFRESH_JOB, payload, workspace_id=api.workspace_id)
    return RefreshOut(job_id=run.id, status=run.status)


@router.get("/analytics/dashboard", response_model=DashboardOut)
def dashboard(api: Api, db: DbSession) -> DashboardOut:
    return DashboardOut(**service.dashboard(db, api.workspace_id))


@router.post("/analytics/funnel", response_model=list[FunnelStepOut])
def funnel(body: FunnelIn, api: Api, db: DbSession) -> list[FunnelStepOut]:
    steps = service.run_funnel(db, api.workspace_id, body.steps, body.window_days)
    return [FunnelStepOut(**step.__dict__) for step in steps]


@router.get("/analytics/settings", response_model=SettingsBody)
def get_settings(api: Api, db: DbSession) -> SettingsBody:
    return SettingsBody(**load_config(db, api.workspace_id).as_json())


@router.put("/analytics/settings", response_model=SettingsBody, openapi_extra=needs(Scope.admin))
def put_settings(body: SettingsBody, api: Api, db: DbSession) -> SettingsBody:
    """Applies at the next refresh."""
    config = config_from_json(body.model_dump())
    save_config(db, api.workspace_id, config, api.actor())
    return SettingsBody(**config.as_json())


@router.get("/customers/{customer_id}/metrics", response_model=MetricsOut)
def customer_metrics(customer_id: Int64, api: Api, db: DbSession) -> MetricsOut:
    row = service.metrics_of(db, api.workspace_id, customer_id)
    if row is None:
        raise NotFound(
            "metrics-not-computed",
            title=N_("No metrics for this fan yet"),
            detail=N_("Run an analytics refresh first."),
        )
    return MetricsOut.model_validate(
        {
            **{c: getattr(row, c) for c in MetricsOut.model_fields if c != "platforms"},
            "platforms": [p for p in row.platforms.split(",") if p],
        }
    )
