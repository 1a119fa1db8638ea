"""Workspace reports computed at refresh: KPIs, first-order cohorts, GMV by platform and month,
and the channel mix of every shop. Each is one DuckDB query over the paid orders; the results
are small and kept as JSON for the dashboard.

Channels (of an order, first rule wins): ``live`` when the traffic source names the live room
(直播); ``content`` for short video and notes (短视频, 视频, 笔记, 图文); ``affiliate`` for
creator and alliance traffic (达人, 联盟, CPS, 分销, 推广) or any order that carries a streamer
who is not the live room; ``shelf`` for the rest (商品卡, 搜索, shop pages, no source).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pyarrow as pa

from siyu.analytics.engine import run_sql
from siyu.analytics.metrics import paid_orders_sql

COHORT_MONTHS = 12
GMV_MONTHS = 12
CHANNEL_WINDOW_DAYS = 90
# A shop with more than this share of GMV from live or affiliate traffic is at risk of being
# labelled a live/affiliate shop by the platform and losing organic traffic.
CHANNEL_WARNING_SHARE = 0.5
CHANNELS = ("live", "affiliate", "content", "shelf")

_PAID = paid_orders_sql("shop", "traffic_source", "streamer_id")

_OVERVIEW_SQL = f"""
WITH paid AS ({_PAID})
SELECT
    count(DISTINCT customer_id) AS buyers,
    count(DISTINCT customer_id) FILTER (WHERE customer_id IN (
        SELECT customer_id FROM paid GROUP BY customer_id HAVING count(*) >= 2)) AS repeat_buyers,
    count(*) AS paid_orders,
    CAST(coalesce(sum(net_fen), 0) AS BIGINT) AS gmv_fen,
    CAST(coalesce(sum(net_fen) FILTER (WHERE paid_day > CAST($as_of AS DATE) - 30), 0) AS BIGINT)
        AS gmv_30d_fen,
    CAST(coalesce(sum(net_fen) FILTER (WHERE paid_day <= CAST($as_of AS DATE) - 30
        AND paid_day > CAST($as_of AS DATE) - 60), 0) AS BIGINT) AS gmv_prev_30d_fen,
    count(*) FILTER (WHERE paid_day > CAST($as_of AS DATE) - 30) AS orders_30d
FROM paid
"""  # noqa: S608 -- built from module constants; values are bound

_COHORTS_SQL = f"""
WITH paid AS ({_PAID}),
monthly AS (
    SELECT customer_id, CAST(date_trunc('month', paid_day) AS DATE) AS month, net_fen FROM paid
),
firsts AS (SELECT customer_id, min(month) AS cohort FROM monthly GROUP BY customer_id)
SELECT
    f.cohort,
    CAST(datediff('month', f.cohort, m.month) AS INTEGER) AS month_offset,
    count(DISTINCT m.customer_id) AS customers,
    CAST(sum(m.net_fen) AS BIGINT) AS revenue_fen
FROM monthly m JOIN firsts f USING (customer_id)
WHERE f.cohort > CAST(date_trunc('month', CAST($as_of AS DATE)) AS DATE)
    - INTERVAL {COHORT_MONTHS} MONTH
GROUP BY 1, 2
ORDER BY 1, 2
"""  # noqa: S608 -- built from module constants; values are bound

_GMV_SQL = f"""
WITH paid AS ({_PAID})
SELECT
    strftime(date_trunc('month', paid_day), '%Y-%m') AS month,
    platform,
    CAST(sum(net_fen) AS BIGINT) AS gmv_fen,
    count(*) AS orders
FROM paid
WHERE paid_day > CAST(date_trunc('month', CAST($as_of AS DATE)) AS DATE)
    - INTERVAL {GMV_MONTHS} MONTH
GROUP BY 1, 2
ORDER BY 1, 2
"""  # noqa: S608 -- built from module constants; values are bound

_CHANNEL_CASE = """
CASE
    WHEN traffic_source LIKE '%直播%' THEN 'live'
    WHEN regexp_matches(coalesce(traffic_source, ''), '短视频|视频|笔记|图文') THEN 'content'
    WHEN regexp_matches(coalesce(traffic_source, ''), '达人|联盟|CPS|分销|推广')
        OR coalesce(streamer_id, '') <> '' THEN 'affiliate'
    ELSE 'shelf'
END"""

_CHANNEL_SQL = f"""
WITH paid AS ({_PAID})
SELECT
    platform,
    coalesce(nullif(shop, ''), platform) AS shop,
    {_CHANNEL_CASE} AS channel,
    CAST(sum(net_fen) AS BIGINT) AS gmv_fen
FROM paid
WHERE paid_day > CAST($as_of AS DATE) - {CHANNEL_WINDOW_DAYS}
GROUP BY 1, 2, 3
ORDER BY 1, 2, 3
"""  # noqa: S608 -- built from module constants; values are bound


def workspace_reports(orders: pa.Table, as_of: date, tz: str) -> dict[str, dict[str, Any]]:
    """Every report kind → its JSON payload."""
    params = {"as_of": as_of, "tz": tz}
    tables = {"orders": orders}
    return {
        "overview": _overview(run_sql(_OVERVIEW_SQL, tables, params), as_of),
        "cohorts": _cohorts(run_sql(_COHORTS_SQL, tables, params)),
        "gmv": {"rows": run_sql(_GMV_SQL, tables, params).to_pylist()},
        "channels": _channels(run_sql(_CHANNEL_SQL, tables, params)),
    }


def _overview(table: pa.Table, as_of: date) -> dict[str, Any]:
    row: dict[str, Any] = table.to_pylist()[0]
    buyers = row["buyers"]
    row["repurchase_rate"] = round(row["repeat_buyers"] / buyers, 4) if buyers else 0.0
    row["avg_order_value_fen"] = (
        (row["gmv_fen"] * 2 + row["paid_orders"]) // (2 * row["paid_orders"])
        if row["paid_orders"]
        else 0
    )
    previous = row["gmv_prev_30d_fen"]
    # Change of the last 30 days against the 30 before, as a fraction; none without a base.
    row["gmv_30d_change"] = (
        round((row["gmv_30d_fen"] - previous) / previous, 4) if previous > 0 else None
    )
    row["as_of"] = as_of.isoformat()
    return row


def _cohorts(table: pa.Table) -> dict[str, Any]:
    """Rows of ``{cohort, size, revenue_fen, retention: [...], revenue_retention: [...]}``,
    offsets 0.. up to the as-of month; month 0 is 100% by definition."""
    cohorts: dict[str, dict[str, Any]] = {}
    for row in table.to_pylist():
        key = row["cohort"].strftime("%Y-%m")
        entry = cohorts.setdefault(key, {"cohort": key, "customers": {}, "revenue": {}})
        entry["customers"][row["month_offset"]] = row["customers"]
        entry["revenue"][row["month_offset"]] = row["revenue_fen"]
    result = []
    for entry in cohorts.values():
        size = entry["customers"].get(0, 0)
        base_revenue = entry["revenue"].get(0, 0)
        last = max(entry["customers"])
        result.append(
            {
                "cohort": entry["cohort"],
                "size": size,
                "revenue_fen": base_revenue,
                "retention": [
                    round(entry["customers"].get(k, 0) / size, 4) if size else 0.0
                    for k in range(last + 1)
                ],
                "revenue_retention": [
                    round(entry["revenue"].get(k, 0) / base_revenue, 4) if base_revenue else 0.0
                    for k in range(last + 1)
                ],
            }
        )
    return {"rows": result}


def _channels(table: pa.Table) -> dict[str, Any]:
    shops: dict[tuple[str, str], dict[str, int]] = {}
    for row in table.to_pylist():
        shops.setdefault((row["platform"], row["shop"]), {})[row["channel"]] = row["gmv_fen"]
    rows = []
    for (platform, shop), by_channel in shops.items():
        total = sum(by_channel.values())
        shares = {c: round(by_channel.get(c, 0) / total, 4) if total else 0.0 for c in CHANNELS}
        rows.append(
            {
                "platform": platform,
                "shop": shop,
                "gmv_fen": total,
                "gmv_by_channel_fen": {c: by_channel.get(c, 0) for c in CHANNELS},
                "shares": shares,
                "warning": shares["live"] > CHANNEL_WARNING_SHARE
                or shares["affiliate"] > CHANNEL_WARNING_SHARE,
            }
        )
    rows.sort(key=lambda r: -int(r["gmv_fen"]))  # type: ignore[call-overload]
    return {"window_days": CHANNEL_WINDOW_DAYS, "rows": rows}
