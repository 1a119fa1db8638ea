"""Analytics over the API: refresh, dashboard, funnel, settings, one fan's metrics; and the
store's figures agree with the engine run on the same orders."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.analytics import store
from siyu.analytics.metrics import customer_metrics
from siyu.analytics.models import CustomerMetrics
from siyu.analytics.refresh import refresh_workspace
from siyu.analytics.rfm import rfm_scores, segment_cn8, segment_standard
from siyu.system.models import JobRun
from siyu.workspace.models import Workspace

from .store_data import AS_OF, seed_history


def test_store_figures_equal_the_engine(session: Session, workspace: Workspace) -> None:
    seed_history(session, workspace.id)
    refresh_workspace(session, workspace.id, AS_OF)
    orders = store.read_paid_orders(session, workspace.id)
    metrics = customer_metrics(orders, AS_OF, workspace.timezone)
    standard = dict(
        zip(
            *segment_standard(rfm_scores(metrics))
            .select(["customer_id", "segment"])
            .to_pydict()
            .values(),
            strict=True,
        )
    )
    cn8 = dict(
        zip(
            *segment_cn8(metrics).select(["customer_id", "segment"]).to_pydict().values(),
            strict=True,
        )
    )
    rows = session.scalars(select(CustomerMetrics).where(CustomerMetrics.paid_orders > 0)).all()
    assert {r.customer_id: r.rfm_segment for r in rows} == standard
    assert {r.customer_id: r.cn8_segment for r in rows} == cn8


def test_refresh_is_queued(api: TestClient, session: Session, workspace: Workspace) -> None:
    response = api.post("/api/v1/analytics/refresh", json={"as_of": "2026-11-20"})
    assert response.status_code == 202
    run = session.get(JobRun, response.json()["job_id"])
    assert run is not None and run.name == "analytics.refresh"
    assert run.payload == {"workspace_id": workspace.id, "as_of": "2026-11-20"}
    assert api.post("/api/v1/analytics/refresh", json={"as_of": "yesterday"}).status_code == 422


def test_dashboard_metrics_and_funnel(
    api: TestClient, session: Session, workspace: Workspace
) -> None:
    ids = seed_history(session, workspace.id)
    refresh_workspace(session, workspace.id, AS_OF)
    board = api.get("/api/v1/analytics/dashboard").json()
    assert (
        board["refreshed"] and board["overview"]["buyers"] == 5 and board["overview"]["fans"] == 6
    )
    assert sum(s["customers"] for s in board["segments"]) == 5
    whale = api.get(f"/api/v1/customers/{ids['whale']}/metrics").json()
    assert whale["paid_orders"] == 3 and whale["platforms"] == ["douyin"]
    assert api.get("/api/v1/customers/999999/metrics").status_code == 404
    steps = api.post(
        "/api/v1/analytics/funnel",
        json={"steps": ["first_order", "repeat_order"], "window_days": 365},
    )
    assert steps.status_code == 200, steps.text
    assert [s["customers"] for s in steps.json()] == [5, 3]
    too_short = api.post("/api/v1/analytics/funnel", json={"steps": ["first_order"]})
    assert too_short.status_code == 422


def test_settings_round_trip_and_validation(api: TestClient) -> None:
    assert api.get("/api/v1/analytics/settings").json()["rfm_mode"] == "quintile"
    bad = api.put(
        "/api/v1/analytics/settings",
        json={"rfm_mode": "thresholds", "thresholds": {"recency_days": [90, 30, 60, 180]}},
    )
    assert (
        bad.status_code == 422
        and bad.json()["type"] == "urn:siyu:problem:invalid-analytics-settings"
    )
    bad_windows = api.put("/api/v1/analytics/settings", json={"windows": {"active_days": 500}})
    assert bad_windows.status_code == 422
    ok = api.put(
        "/api/v1/analytics/settings",
        json={
            "rfm_mode": "thresholds",
            "scheme": "cn8",
            "thresholds": {"recency_days": [7, 14, 30, 90]},
        },
    )
    assert ok.status_code == 200 and ok.json()["thresholds"]["recency_days"] == [7, 14, 30, 90]
