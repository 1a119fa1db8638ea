"""Reading analytics back for the dashboard, the API and the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

import pyarrow as pa
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.analytics import store
from siyu.analytics.clv import fit_bgnbd, lifetimes_summary, p_alive
from siyu.analytics.config import load_config
from siyu.analytics.engine import run_sql
from siyu.analytics.funnels import FunnelStep, funnel
from siyu.analytics.lifecycle import STAGES
from siyu.analytics.metrics import customer_metrics
from siyu.analytics.models import AnalyticsReport, CustomerMetrics, LifecycleChange
from siyu.analytics.rfm import (
    CN8_SEGMENTS,
    STANDARD_SEGMENTS,
    rfm_scores,
    segment_cn8,
    segment_standard,
)
from siyu.customers import service as customers
from siyu.kit.clock import day_bounds, today
from siyu.kit.errors import Unprocessable
from siyu.kit.i18n import N_, gettext
from siyu.workspace import service as workspace_service

LIFECYCLE_WEEKS = 26
FUNNEL_LOOKBACK_DAYS = 365
RfmExportMode = Literal["standard", "cn8", "lifetimes"]
RFM_EXPORT_MODES: tuple[RfmExportMode, ...] = ("standard", "cn8", "lifetimes")

STANDARD_NAMES = tuple(name for name, _r, _fm in STANDARD_SEGMENTS)
CN8_NAMES = tuple(CN8_SEGMENTS.values())
SEGMENT_LABELS = {
    "Champions": N_("Champions"),
    "Loyal Customers": N_("Loyal Customers"),
    "New Customers": N_("New Customers"),
    "Promising": N_("Promising"),
    "Potential Loyalist": N_("Potential Loyalist"),
    "Need Attention": N_("Need Attention"),
    "About To Sleep": N_("About To Sleep"),
    "Can't Lose Them": N_("Can't Lose Them"),
    "At Risk": N_("At Risk"),
    "Lost": N_("Lost"),
}
STAGE_LABELS = {
    "new": N_("New buyer"),
    "active": N_("Active buyer"),
    "about_to_sleep": N_("About to sleep"),
    "sleeping": N_("Sleeping"),
    "lost": N_("Lost"),
    "returned": N_("Returned"),
}
assert set(STAGE_LABELS) == set(STAGES)
FUNNEL_STEP_LABELS = {
    "live_view": N_("Watched a live"),
    "wecom_added": N_("Added on WeCom"),
    "group_joined": N_("Joined a fan group"),
    "first_order": N_("First order"),
    "repeat_order": N_("Repeat order"),
    "h5_visit": N_("Opened a fan page"),
    "share": N_("Shared"),
}


def reports_of(session: Session, workspace_id: int) -> dict[str, AnalyticsReport]:
    rows = session.scalars(
        select(AnalyticsReport).where(AnalyticsReport.workspace_id == workspace_id)
    )
    return {row.kind: row for row in rows}


def segment_grid(session: Session, workspace_id: int, scheme: str) -> list[dict[str, Any]]:
    """Fans and GMV per segment of the scheme, every segment listed (zeros included)."""
    column = CustomerMetrics.rfm_segment if scheme == "standard" else CustomerMetrics.cn8_segment
    rows = session.execute(
        select(
            column,
            func.count(),
            func.coalesce(func.sum(CustomerMetrics.net_paid_fen), 0),
            func.coalesce(func.sum(CustomerMetrics.spend_1y_fen), 0),
        )
        .where(CustomerMetrics.workspace_id == workspace_id, column.is_not(None))
        .group_by(column)
    ).all()
    found = {name: (count, gmv, spend) for name, count, gmv, spend in rows}
    names = STANDARD_NAMES if scheme == "standard" else CN8_NAMES
    total = sum(count for count, _g, _s in found.values()) or 1
    return [
        {
            "segment": name,
            "customers": found.get(name, (0, 0, 0))[0],
            "share": round(found.get(name, (0, 0, 0))[0] / total, 4),
            "gmv_fen": int(found.get(name, (0, 0, 0))[1]),
            "spend_1y_fen": int(found.get(name, (0, 0, 0))[2]),
        }
        for name in names
    ]


def stage_counts(session: Session, workspace_id: int) -> dict[str, int]:
    rows = session.execute(
        select(CustomerMetrics.lifecycle_stage, func.count())
        .where(CustomerMetrics.workspace_id == workspace_id)
        .group_by(CustomerMetrics.lifecycle_stage)
    ).all()
    found = {stage: count for stage, count in rows if stage is not None}
    return {stage: found.get(stage, 0) for stage in STAGES}


def weekly_moves(
    session: Session, workspace_id: int, weeks: int = LIFECYCLE_WEEKS
) -> dict[str, Any]:
    """Fans moving into each stage per refresh day over the last ``weeks`` weeks."""
    since = today() - timedelta(weeks=weeks)
    rows = session.execute(
        select(LifecycleChange.changed_on, LifecycleChange.to_stage, func.count())
        .where(LifecycleChange.workspace_id == workspace_id, LifecycleChange.changed_on >= since)
        .group_by(LifecycleChange.changed_on, LifecycleChange.to_stage)
        .order_by(LifecycleChange.changed_on)
    ).all()
    days = sorted({day for day, _stage, _count in rows})
    series = {stage: [0] * len(days) for stage in STAGES}
    position = {day: i for i, day in enumerate(days)}
    for day, stage, count in rows:
        series[stage][position[day]] = count
    return {"days": [day.isoformat() for day in days], "series": series}


def fan_counts(session: Session, workspace_id: int) -> dict[str, int]:
    return {"fans": customers.count_live_customers(session, workspace_id)}


def dashboard(session: Session, workspace_id: int) -> dict[str, Any]:
    config = load_config(session, workspace_id)
    reports = reports_of(session, workspace_id)
    overview = reports.get("overview")
    return {
        "refreshed": overview is not None,
        "as_of": overview.as_of.isoformat() if overview else None,
        "refreshed_at": overview.refreshed_at if overview else None,
        "scheme": config.scheme,
        "overview": {**(overview.payload if overview else {}), **fan_counts(session, workspace_id)},
        "segments": segment_grid(session, workspace_id, config.scheme),
        "stages": stage_counts(session, workspace_id),
        "moves": weekly_moves(session, workspace_id),
        "cohorts": reports["cohorts"].payload["rows"] if "cohorts" in reports else [],
        "gmv": reports["gmv"].payload["rows"] if "gmv" in reports else [],
        "channels": reports["channels"].payload if "channels" in reports else {"rows": []},
    }


def metrics_of(session: Session, workspace_id: int, customer_id: int) -> CustomerMetrics | None:
    """The fan's stored metrics (None before a refresh computed them); 404 for a fan the
    workspace does not have."""
    customers.require_customer(session, workspace_id, customer_id)
    row = session.get(CustomerMetrics, customer_id)
    return row if row is not None and row.workspace_id == workspace_id else None


def metrics_for(
    session: Session, workspace_id: int, customer_ids: list[int]
) -> dict[int, CustomerMetrics]:
    """The stored metrics of these fans (those without any are left out)."""
    if not customer_ids:
        return {}
    rows = session.scalars(
        select(CustomerMetrics).where(
            CustomerMetrics.workspace_id == workspace_id,
            CustomerMetrics.customer_id.in_(customer_ids),
        )
    )
    return {row.customer_id: row for row in rows}


def run_funnel(
    session: Session, workspace_id: int, steps: list[str], window_days: int
) -> list[FunnelStep]:
    """A funnel over the last year of behaviour and all paid orders."""
    since, _ = day_bounds(today() - timedelta(days=FUNNEL_LOOKBACK_DAYS))
    events = store.read_events(session, workspace_id, since)
    orders = store.read_paid_orders(session, workspace_id)
    try:
        return funnel(events, orders, steps, window_days)
    except ValueError as exc:
        raise Unprocessable(
            "invalid-funnel", title=N_("The funnel is not valid"), detail=str(exc)
        ) from exc


# --- the RFM file for analysts -----------------------------------------------------------------

_IDENTITY_SCHEMA = pa.schema([("customer_id", pa.int64()), ("identity", pa.string())])

_RFM_FILE_SQL = {
    "standard": """
        SELECT m.customer_id, coalesce(i.identities, '') AS identities,
               m.days_since_last_order AS recency_days, m.paid_orders AS frequency,
               CAST(m.net_paid_fen AS DECIMAL(18, 2)) / 100 AS monetary,
               s.r_score, s.f_score, s.m_score, s.fm_score, s.segment
        FROM metrics m JOIN standard s USING (customer_id)
        LEFT JOIN identities i USING (customer_id)
        ORDER BY m.customer_id""",
    "cn8": """
        SELECT m.customer_id, coalesce(i.identities, '') AS identities,
               m.days_since_last_order AS recency_days, m.paid_orders AS frequency,
               CAST(m.net_paid_fen AS DECIMAL(18, 2)) / 100 AS monetary,
               CASE WHEN s.r_high THEN 'high' ELSE 'low' END AS r_level,
               CASE WHEN s.f_high THEN 'high' ELSE 'low' END AS f_level,
               CASE WHEN s.m_high THEN 'high' ELSE 'low' END AS m_level,
               s.segment
        FROM metrics m JOIN cn8 s USING (customer_id) LEFT JOIN identities i USING (customer_id)
        ORDER BY m.customer_id""",
    "lifetimes": """
        SELECT s.customer_id, coalesce(i.identities, '') AS identities,
               s.frequency, s.recency, s."T", s.monetary_value, v.p_alive
        FROM summary s JOIN alive v USING (customer_id) LEFT JOIN identities i USING (customer_id)
        ORDER BY s.customer_id""",
}

_IDENTITIES_SQL = """
SELECT customer_id, string_agg(identity, ';' ORDER BY identity) AS identities
FROM identity_rows GROUP BY customer_id
"""


@dataclass(frozen=True)
class RfmFile:
    table: pa.Table
    as_of: date
    mode: RfmExportMode


def rfm_file(
    session: Session, workspace_id: int, mode: RfmExportMode, as_of: date | None = None
) -> RfmFile:
    """One row per fan with a paid order up to ``as_of`` (inclusive), computed from the orders
    now in the store, with the workspace's RFM settings."""
    if mode not in RFM_EXPORT_MODES:
        raise ValueError(f"mode must be one of {', '.join(RFM_EXPORT_MODES)}")
    tz = workspace_service.workspace_timezone(session, workspace_id)
    as_of = as_of or today(tz)
    orders = store.read_paid_orders(session, workspace_id)
    identities = run_sql(_IDENTITIES_SQL, {"identity_rows": _identity_rows(session, workspace_id)})
    tables: dict[str, pa.Table] = {"identities": identities}
    if mode == "lifetimes":
        summary = lifetimes_summary(orders, as_of, tz)
        tables["summary"] = summary
        tables["alive"] = _alive(summary)
    else:
        config = load_config(session, workspace_id)
        metrics = customer_metrics(orders, as_of, tz)
        tables["metrics"] = metrics
        if mode == "standard":
            tables["standard"] = segment_standard(
                rfm_scores(metrics, config.rfm_mode, config.thresholds)
            )
        else:
            tables["cn8"] = segment_cn8(metrics)
    table = run_sql(_RFM_FILE_SQL[mode], tables)
    if mode == "standard":
        labels = [gettext(SEGMENT_LABELS[name]) for name in table.column("segment").to_pylist()]
        table = table.append_column("segment_label", pa.array(labels, pa.string()))
    return RfmFile(table, as_of, mode)


def _identity_rows(session: Session, workspace_id: int) -> pa.Table:
    return store.read_table(
        session,
        """SELECT customer_id, platform || ':' || external_id FROM customer_identities
           WHERE workspace_id = :ws""",
        _IDENTITY_SCHEMA,
        ws=workspace_id,
    )


def _alive(summary: pa.Table) -> pa.Table:
    ids = summary.column("customer_id")
    try:
        values = pa.array(p_alive(fit_bgnbd(summary), summary), pa.float64())
    except (ValueError, FloatingPointError, RuntimeError):
        values = pa.nulls(len(ids), pa.float64())
    return pa.table({"customer_id": ids, "p_alive": values})
