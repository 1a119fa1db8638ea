"""The analytics refresh: read a workspace's orders, fans and behaviour into Arrow, compute
every per-fan figure and the workspace reports with DuckDB, and write them back in bulk.

Runs nightly and on demand (`siyu analytics refresh`, the console's button, the API). Beside
live traffic it reads without the write lock and writes in short transactions
(``refresh_in_short_transactions``); inside a caller's unit of work it is one transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, cast

import numpy as np
import pyarrow as pa
from sqlalchemy import Table, delete
from sqlalchemy.orm import Session

from siyu.analytics import reports, store
from siyu.analytics.clv import expected_purchases, fit_bgnbd, lifetimes_summary, p_alive
from siyu.analytics.config import AnalyticsConfig, load_config
from siyu.analytics.engagement import activity_scores, koc_scores
from siyu.analytics.engine import run_sql
from siyu.analytics.lifecycle import lifecycle_stages
from siyu.analytics.metrics import customer_metrics
from siyu.analytics.models import AnalyticsReport, CustomerMetrics, LifecycleChange
from siyu.analytics.rfm import rfm_scores, segment_cn8, segment_standard
from siyu.db import transaction
from siyu.jobs import JOB_CHUNK_ROWS, chunk_committed
from siyu.kit.bulk import insert_rows
from siyu.kit.clock import day_bounds, today, utcnow
from siyu.workspace import service as workspace_service

log = logging.getLogger("siyu.analytics")
_METRICS_TABLE = cast(Table, CustomerMetrics.__table__)

ACTIVITY_WINDOW_DAYS = 30
KOC_WINDOW_DAYS = 90
EXPECTED_PURCHASE_DAYS = 90
# Below this many repeat buyers a BG/NBD fit says little; p_alive stays empty.
MIN_REPEAT_BUYERS_FOR_CLV = 20

_CLV_SCHEMA = pa.schema(
    [
        ("customer_id", pa.int64()),
        ("p_alive", pa.float64()),
        ("expected_purchases_90d", pa.float64()),
    ]
)

_NO_CHANGES = pa.schema(
    [("customer_id", pa.int64()), ("previous_stage", pa.string()), ("stage", pa.string())]
).empty_table()

# Every live fan gets a row; fans without a paid order keep zero counts and null scores.
_ASSEMBLE_SQL = """
SELECT
    c.customer_id,
    CAST($as_of AS DATE) AS as_of,
    coalesce(m.paid_orders, 0) AS paid_orders,
    coalesce(m.net_paid_fen, 0) AS net_paid_fen,
    m.first_paid_at,
    m.last_paid_at,
    m.days_since_last_order,
    m.days_since_first_order,
    coalesce(m.avg_order_value_fen, 0) AS avg_order_value_fen,
    coalesce(m.spend_1y_fen, 0) AS spend_1y_fen,
    CASE WHEN len(coalesce(m.platforms, [])) = 0 THEN ''
         ELSE ',' || array_to_string(m.platforms, ',') || ',' END AS platforms,
    coalesce(m.repurchase, FALSE) AS repurchase,
    coalesce(m.ltv_fen, 0) AS ltv_fen,
    s.r_score, s.f_score, s.m_score,
    std.segment AS rfm_segment,
    cn.segment AS cn8_segment,
    st.stage AS lifecycle_stage,
    coalesce(a.activity_score, 0) AS activity_score,
    coalesce(a.activity_level, 'low') AS activity_level,
    coalesce(k.koc_score, 0) AS koc_score,
    v.p_alive,
    v.expected_purchases_90d,
    CAST($now AS TIMESTAMPTZ) AS refreshed_at
FROM customers c
LEFT JOIN metrics m USING (customer_id)
LEFT JOIN scores s USING (customer_id)
LEFT JOIN standard std USING (customer_id)
LEFT JOIN cn8 cn USING (customer_id)
LEFT JOIN stages st USING (customer_id)
LEFT JOIN activity a USING (customer_id)
LEFT JOIN koc k USING (customer_id)
LEFT JOIN clv v USING (customer_id)
ORDER BY c.customer_id
"""


@dataclass(frozen=True)
class RefreshSummary:
    workspace_id: int
    as_of: date
    customers: int
    buyers: int
    lifecycle_changes: int
    clv_fitted: bool

    def __str__(self) -> str:
        return (
            f"analytics refreshed as of {self.as_of}: {self.customers} fans, {self.buyers} "
            f"buyers, {self.lifecycle_changes} life-cycle changes"
            + ("" if self.clv_fitted else " (too few repeat buyers for p_alive)")
        )


@dataclass(frozen=True)
class _Computed:
    """Everything a refresh writes, computed from one read of the store."""

    summary: RefreshSummary
    table: pa.Table
    changed: pa.Table
    payloads: dict[str, Any]


def refresh_workspace(
    session: Session, workspace_id: int, as_of: date | None = None, *, committed_only: bool = False
) -> RefreshSummary:
    """Recompute and store every fan's metrics, scores and stage, and the workspace reports,
    in the caller's unit of work (one transaction; the demo seed, tests). ``committed_only``:
    the caller has committed everything the refresh must see, so the read may go apart."""
    computed = _compute(session, workspace_id, as_of, committed_only=committed_only)
    summary = computed.summary
    store.write_metrics(session, workspace_id, computed.table)
    store.append_lifecycle_changes(session, workspace_id, computed.changed, summary.as_of)
    _write_reports(session, workspace_id, computed.payloads, summary.as_of)
    _sync_segments(session, workspace_id)
    log.info("workspace %s: %s", workspace_id, summary)
    return summary


def refresh_in_short_transactions(workspace_id: int, as_of: date | None = None) -> RefreshSummary:
    """The same refresh for background work beside live traffic (the job, the CLI): the read
    is a read-only unit of work (on SQLite it never takes the write lock), the computation
    holds no transaction, and the writes go in chunks of short transactions, so a request
    waits for the refresh at most one chunk. While the chunks land a list may show some fans'
    new figures beside others' previous ones; the reports and segments switch at the end."""
    with transaction(read_only=True) as session:
        computed = _compute(session, workspace_id, as_of, committed_only=True)
    summary = computed.summary
    with transaction() as session:
        _write_metrics_in_chunks(session, workspace_id, computed.table)
        changed = computed.changed
        for start in range(0, changed.num_rows, JOB_CHUNK_ROWS):
            chunk = changed.slice(start, JOB_CHUNK_ROWS)
            store.append_lifecycle_changes(session, workspace_id, chunk, summary.as_of)
            chunk_committed(session)
        _write_reports(session, workspace_id, computed.payloads, summary.as_of)
        chunk_committed(session)
        _sync_segments(session, workspace_id)
    log.info("workspace %s: %s", workspace_id, summary)
    return summary


def _compute(
    session: Session, workspace_id: int, as_of: date | None, *, committed_only: bool
) -> _Computed:
    tz = workspace_service.workspace_timezone(session, workspace_id)
    as_of = as_of or today(tz)
    config = load_config(session, workspace_id)
    since, _ = day_bounds(as_of - timedelta(days=ACTIVITY_WINDOW_DAYS - 1), tz)
    koc_since, _ = day_bounds(as_of - timedelta(days=KOC_WINDOW_DAYS - 1), tz)
    inputs = store.read_refresh_inputs(
        session, workspace_id, since, koc_since, committed_only=committed_only
    )
    orders, previous = inputs.orders, inputs.previous_stages
    metrics = customer_metrics(orders, as_of, tz)
    stages = lifecycle_stages(metrics, previous, config.windows)
    clv = _clv(orders, as_of, tz)
    table = _assemble(inputs, metrics, stages, clv, config, as_of, tz)
    # The first refresh classifies everyone: that is a starting point, not a week of moves.
    changed = _changes(stages, table) if previous.num_rows else _NO_CHANGES
    summary = RefreshSummary(
        workspace_id, as_of, table.num_rows, metrics.num_rows, changed.num_rows, clv.num_rows > 0
    )
    payloads = reports.workspace_reports(orders, as_of, tz)
    return _Computed(summary, table, changed, payloads)


def _write_metrics_in_chunks(session: Session, workspace_id: int, table: pa.Table) -> None:
    """Replace the metrics rows range by range of customer ids (the table is ordered by id):
    each chunk deletes the rows in its range, stale ones included, and inserts its own."""
    rows = table.select(list(store.METRIC_COLUMNS))
    ids = rows.column("customer_id")
    for start in range(0, max(rows.num_rows, 1), JOB_CHUNK_ROWS):
        chunk = rows.slice(start, JOB_CHUNK_ROWS)
        low = None if start == 0 else ids[start - 1].as_py()
        high = (
            None
            if start + JOB_CHUNK_ROWS >= rows.num_rows
            else ids[start + chunk.num_rows - 1].as_py()
        )
        doomed = delete(CustomerMetrics).where(CustomerMetrics.workspace_id == workspace_id)
        if low is not None:
            doomed = doomed.where(CustomerMetrics.customer_id > low)
        if high is not None:
            doomed = doomed.where(CustomerMetrics.customer_id <= high)
        session.execute(doomed)
        records = chunk.to_pylist()
        for record in records:
            record["workspace_id"] = workspace_id
        insert_rows(session, _METRICS_TABLE, records)
        chunk_committed(session)


def _assemble(
    inputs: store.RefreshInputs,
    metrics: pa.Table,
    stages: pa.Table,
    clv: pa.Table,
    config: AnalyticsConfig,
    as_of: date,
    tz: str,
) -> pa.Table:
    scores = rfm_scores(metrics, config.rfm_mode, config.thresholds)
    behaviour, group_activity = inputs.behaviour, inputs.group_activity
    tables = {
        "customers": inputs.customers,
        "metrics": metrics,
        "scores": scores,
        "standard": segment_standard(scores),
        "cn8": segment_cn8(metrics),
        "stages": stages,
        "activity": activity_scores(
            metrics, behaviour, as_of=as_of, tz=tz, window_days=ACTIVITY_WINDOW_DAYS
        ),
        "koc": koc_scores(metrics, group_activity, as_of=as_of, tz=tz, window_days=KOC_WINDOW_DAYS),
        "clv": clv,
    }
    return run_sql(_ASSEMBLE_SQL, tables, {"as_of": as_of, "now": utcnow()})


def _clv(orders: pa.Table, as_of: date, tz: str) -> pa.Table:
    """p_alive and expected purchases in the next 90 days from a BG/NBD fit, or an empty table
    when the workspace has too few repeat buyers for a meaningful fit."""
    summary = lifetimes_summary(orders, as_of, tz)
    repeaters = int(np.count_nonzero(summary.column("frequency").to_numpy()))
    if repeaters < MIN_REPEAT_BUYERS_FOR_CLV:
        return _CLV_SCHEMA.empty_table()
    try:
        params = fit_bgnbd(summary)
    except (ValueError, FloatingPointError, RuntimeError) as exc:
        log.warning("BG/NBD fit failed: %s", exc)
        return _CLV_SCHEMA.empty_table()
    return pa.table(
        {
            "customer_id": summary.column("customer_id"),
            "p_alive": pa.array(p_alive(params, summary), pa.float64()),
            "expected_purchases_90d": pa.array(
                expected_purchases(params, summary, EXPECTED_PURCHASE_DAYS), pa.float64()
            ),
        },
        schema=_CLV_SCHEMA,
    )


def _changes(stages: pa.Table, written: pa.Table) -> pa.Table:
    """Stage changes of fans that are still live (a merged-away fan's stage is not history)."""
    return run_sql(
        """SELECT s.customer_id, s.previous_stage, s.stage
           FROM stages s SEMI JOIN written w USING (customer_id)
           WHERE s.changed ORDER BY s.customer_id""",
        {"stages": stages, "written": written.select(["customer_id"])},
    )


def _write_reports(
    session: Session, workspace_id: int, payloads: dict[str, Any], as_of: date
) -> None:
    session.execute(delete(AnalyticsReport).where(AnalyticsReport.workspace_id == workspace_id))
    for kind, payload in payloads.items():
        session.add(
            AnalyticsReport(workspace_id=workspace_id, kind=kind, as_of=as_of, payload=payload)
        )


def _sync_segments(session: Session, workspace_id: int) -> None:
    from siyu.segments.service import refresh_segments

    refresh_segments(session, workspace_id)


def replay_lifecycle(session: Session, workspace_id: int, weeks: int, end: date) -> int:
    """Rebuild the life-cycle history week by week up to ``end`` from the orders alone (for a
    workspace whose orders were imported at once, such as the demo): the stage each fan had at
    the end of every week, and the transitions between them."""
    tz = workspace_service.workspace_timezone(session, workspace_id)
    config = load_config(session, workspace_id)
    orders = store.read_paid_orders(session, workspace_id)
    live = store.read_customers(session, workspace_id).select(["customer_id"])
    session.execute(delete(LifecycleChange).where(LifecycleChange.workspace_id == workspace_id))
    previous: pa.Table | None = None
    recorded = 0
    for week in range(weeks, -1, -1):
        as_of = end - timedelta(weeks=week)
        metrics = customer_metrics(orders, as_of, tz)
        stages = lifecycle_stages(metrics, previous, config.windows)
        if previous is not None:
            changed = _changes(stages, live)
            recorded += store.append_lifecycle_changes(session, workspace_id, changed, as_of)
        previous = stages.select(["customer_id", "stage"])
    return recorded
