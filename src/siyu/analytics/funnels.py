"""Funnels from behaviour events and orders, with a conversion window.

Steps are event kinds (``live_view``, ``wecom_added``, ``group_joined``, any kind pushed to
``/api/v1/events:batch``) or the order steps ``first_order`` and ``repeat_order``. A fan reaches
step k when it happened at or after the moment they reached step k-1 and within
``window_days`` of reaching step 1. The whole funnel is one DuckDB query.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from siyu.analytics.engine import run_sql

ORDER_STEPS = ("first_order", "repeat_order")
DEFAULT_STEPS = ("live_view", "wecom_added", "group_joined", "first_order", "repeat_order")
MAX_STEPS = 8

# The n-th paid order of each fan becomes an event: 1st → first_order, 2nd → repeat_order.
_ORDER_EVENTS = """
SELECT customer_id,
       CASE rn WHEN 1 THEN 'first_order' ELSE 'repeat_order' END AS kind,
       paid_at AS occurred_at
FROM (SELECT customer_id, paid_at,
             row_number() OVER (PARTITION BY customer_id ORDER BY paid_at) AS rn
      FROM orders)
WHERE rn <= 2
"""


@dataclass(frozen=True)
class FunnelStep:
    kind: str
    customers: int
    conversion: float  # from the previous step
    overall: float  # from the first step


def _step_sql(index: int) -> str:
    if index == 1:
        return """s1 AS (SELECT customer_id, min(occurred_at) AS at, min(occurred_at) AS start
                  FROM events WHERE kind = $k1 GROUP BY customer_id)"""
    prev = f"s{index - 1}"
    return f"""s{index} AS (
        SELECT e.customer_id, min(e.occurred_at) AS at, any_value(p.start) AS start
        FROM events e JOIN {prev} p USING (customer_id)
        WHERE e.kind = $k{index} AND e.occurred_at >= p.at
          AND e.occurred_at <= p.start + to_days(CAST($window AS INTEGER))
        GROUP BY e.customer_id)"""  # noqa: S608 -- step numbers only; kinds are bound


def funnel(
    events: pa.Table, orders: pa.Table, steps: list[str], window_days: int
) -> list[FunnelStep]:
    """Fans reaching each step. ``events``: customer_id, kind, occurred_at; ``orders``:
    customer_id, paid_at (paid orders only)."""
    if not 2 <= len(steps) <= MAX_STEPS:
        raise ValueError(f"a funnel needs 2 to {MAX_STEPS} steps")
    if window_days < 1:
        raise ValueError("the conversion window must be at least one day")
    ctes = ",\n".join(_step_sql(i) for i in range(1, len(steps) + 1))
    counts = " UNION ALL ".join(
        f"SELECT {i} AS step, count(*) AS customers FROM s{i}"  # noqa: S608 -- step numbers
        for i in range(1, len(steps) + 1)
    )
    sql = f"""
    WITH events AS (
        SELECT customer_id, kind, occurred_at FROM behaviour
        UNION ALL {_ORDER_EVENTS}
    ),
    {ctes}
    {counts} ORDER BY step"""  # noqa: S608 -- structure from constants; kinds are bound
    params: dict[str, object] = {f"k{i}": kind for i, kind in enumerate(steps, start=1)}
    params["window"] = window_days
    rows = run_sql(
        sql, {"behaviour": events, "orders": orders.select(["customer_id", "paid_at"])}, params
    )
    counts_by_step = [row["customers"] for row in rows.to_pylist()]
    first = counts_by_step[0]
    result = []
    for index, (kind, count) in enumerate(zip(steps, counts_by_step, strict=True)):
        previous = counts_by_step[index - 1] if index else count
        result.append(
            FunnelStep(
                kind,
                count,
                round(count / previous, 4) if previous else 0.0,
                round(count / first, 4) if first else 0.0,
            )
        )
    return result
