"""Life-cycle stages: new, active, about to sleep, sleeping, lost, and returned.

Stages come from days since the last (and first) order, with windows configurable per
workspace. "returned" needs the previous refresh's stage: the caller passes the stages it kept,
gets back which customers changed, and appends those rows to its transition history.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from siyu.analytics.engine import require_columns, run_sql

STAGES = ("new", "active", "about_to_sleep", "sleeping", "lost", "returned")


@dataclass(frozen=True)
class LifecycleWindows:
    """Windows in business days (inclusive upper bounds).

    new: at most ``new_max_orders`` paid orders, the first at most ``new_days`` ago.
    active / about_to_sleep / sleeping: last order at most that many days ago; beyond
    ``sleeping_days`` the customer is lost.
    """

    new_days: int = 30
    new_max_orders: int = 1
    active_days: int = 60
    about_to_sleep_days: int = 120
    sleeping_days: int = 365

    def __post_init__(self) -> None:
        if not 0 <= self.active_days < self.about_to_sleep_days < self.sleeping_days:
            raise ValueError("windows must satisfy 0 <= active < about_to_sleep < sleeping")
        if self.new_days < 0 or self.new_max_orders < 1:
            raise ValueError("new_days must be >= 0 and new_max_orders >= 1")


# First matching rule wins: new, then returned (a fan whose previous stage was sleeping or lost
# and whose last order is inside the active window), then the recency windows. "returned" is
# the stage of the refresh that first sees the comeback; the next refresh files the customer by
# the windows again, so the history keeps the comeback as a transition, not as a state.
_STAGES_SQL = """
WITH staged AS (
    SELECT
        m.customer_id,
        p.stage AS previous_stage,
        CASE
            WHEN m.paid_orders <= $new_max_orders AND m.days_since_first_order <= $new_days
                THEN 'new'
            WHEN p.stage IN ('sleeping', 'lost') AND m.days_since_last_order <= $active_days
                THEN 'returned'
            WHEN m.days_since_last_order <= $active_days THEN 'active'
            WHEN m.days_since_last_order <= $about_to_sleep_days THEN 'about_to_sleep'
            WHEN m.days_since_last_order <= $sleeping_days THEN 'sleeping'
            ELSE 'lost'
        END AS stage
    FROM metrics m
    LEFT JOIN previous p USING (customer_id)
)
SELECT customer_id, stage, previous_stage, previous_stage IS DISTINCT FROM stage AS changed
FROM staged
ORDER BY customer_id
"""

_EMPTY_PREVIOUS = pa.schema([("customer_id", pa.int64()), ("stage", pa.string())])


def lifecycle_stages(
    metrics: pa.Table,
    previous_stages: pa.Table | None = None,
    windows: LifecycleWindows | None = None,
) -> pa.Table:
    """``customer_id, stage, previous_stage, changed`` for every row of ``metrics``.

    ``previous_stages`` (``customer_id, stage``) is the last refresh's result, or None on the
    first run. ``changed`` is true when the stage differs from the previous one, including a
    customer seen for the first time (previous_stage null).
    """
    require_columns(
        metrics,
        "metrics",
        ("customer_id", "paid_orders", "days_since_last_order", "days_since_first_order"),
    )
    if previous_stages is None:
        previous_stages = _EMPTY_PREVIOUS.empty_table()
    require_columns(previous_stages, "previous_stages", ("customer_id", "stage"))
    w = windows or LifecycleWindows()
    params = {
        "new_days": w.new_days,
        "new_max_orders": w.new_max_orders,
        "active_days": w.active_days,
        "about_to_sleep_days": w.about_to_sleep_days,
        "sleeping_days": w.sleeping_days,
    }
    return run_sql(_STAGES_SQL, {"metrics": metrics, "previous": previous_stages}, params)
