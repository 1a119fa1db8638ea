"""RFM scores (quintiles or operator thresholds) and the two segment schemes.

R is ``days_since_last_order`` (fewer days = better), F is ``paid_orders``, M is
``net_paid_fen``. Scores are integers 1..5, 5 best. The rules are in docs/analytics.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pyarrow as pa

from siyu.analytics.engine import require_columns, run_sql

RFM_INPUT_COLUMNS = ("customer_id", "days_since_last_order", "paid_orders", "net_paid_fen")

# Quintile score: 1 + floor(5 * worse / n), where worse = customers with a strictly worse value
# = RANK() - 1 (ties share the lowest rank of their group). Without ties this is exactly
# NTILE(5); with ties every customer holding the same value gets the same score, the one of the
# group's first position, so a tie never lifts anyone above a customer with a better value.
# R ranks the most days first so that the most recent customers score highest.
_QUINTILE = "CAST(1 + (5 * (rank() OVER (ORDER BY {order}) - 1)) // count(*) OVER () AS INTEGER)"

_QUINTILE_SQL = f"""
SELECT
    customer_id,
    {_QUINTILE.format(order="days_since_last_order DESC")} AS r_score,
    {_QUINTILE.format(order="paid_orders")} AS f_score,
    {_QUINTILE.format(order="net_paid_fen")} AS m_score
FROM metrics
ORDER BY customer_id
"""  # noqa: S608 -- built from module constants; values are bound


@dataclass(frozen=True)
class RfmThresholds:
    """Operator-set cut points, best first: the first cut a value meets gives 5, then 4, 3, 2;
    a value meeting none scores 1.

    ``recency_days``: days since the last order at most each cut (increasing).
    ``frequency_orders``: paid orders at least each cut (decreasing).
    ``monetary_fen``: net paid fen at least each cut (decreasing).
    """

    recency_days: tuple[int, int, int, int] = (30, 60, 90, 180)
    frequency_orders: tuple[int, int, int, int] = (10, 5, 3, 2)
    monetary_fen: tuple[int, int, int, int] = (500_000, 200_000, 100_000, 30_000)

    def __post_init__(self) -> None:
        if list(self.recency_days) != sorted(set(self.recency_days)):
            raise ValueError("recency cut points must be strictly increasing")
        for name, cuts in (("frequency", self.frequency_orders), ("monetary", self.monetary_fen)):
            if list(cuts) != sorted(set(cuts), reverse=True):
                raise ValueError(f"{name} cut points must be strictly decreasing")


def _threshold_case(column: str, comparison: str, prefix: str) -> str:
    arms = " ".join(f"WHEN {column} {comparison} ${prefix}{i} THEN {5 - i}" for i in range(4))
    return f"CAST(CASE {arms} ELSE 1 END AS INTEGER)"


_THRESHOLD_SQL = f"""
SELECT
    customer_id,
    {_threshold_case("days_since_last_order", "<=", "r")} AS r_score,
    {_threshold_case("paid_orders", ">=", "f")} AS f_score,
    {_threshold_case("net_paid_fen", ">=", "m")} AS m_score
FROM metrics
ORDER BY customer_id
"""  # noqa: S608 -- built from module constants; values are bound


def _threshold_params(thresholds: RfmThresholds) -> dict[str, object]:
    params: dict[str, object] = {}
    for prefix, cuts in (
        ("r", thresholds.recency_days),
        ("f", thresholds.frequency_orders),
        ("m", thresholds.monetary_fen),
    ):
        params.update({f"{prefix}{i}": cut for i, cut in enumerate(cuts)})
    return params


def rfm_scores(
    metrics: pa.Table,
    mode: Literal["quintile", "thresholds"] = "quintile",
    thresholds: RfmThresholds | None = None,
) -> pa.Table:
    """``customer_id, r_score, f_score, m_score`` (int32, 1..5) for every row of ``metrics``.

    ``quintile``: scores by rank within the workspace, equal values always sharing a score
    (see ``_QUINTILE``). ``thresholds``: fixed cut points (defaults: :class:`RfmThresholds`).
    """
    require_columns(metrics, "metrics", RFM_INPUT_COLUMNS)
    if mode == "quintile":
        return run_sql(_QUINTILE_SQL, {"metrics": metrics})
    if mode == "thresholds":
        params = _threshold_params(thresholds or RfmThresholds())
        return run_sql(_THRESHOLD_SQL, {"metrics": metrics}, params)
    raise ValueError(f"unknown RFM mode {mode!r}: use 'quintile' or 'thresholds'")


# --- the standard ten -------------------------------------------------------------------------

# The commonly published table scores R and a combined FM = (F + M) / 2, here rounded half up
# to a whole score. Its ranges overlap, so the first matching rule wins, in the published
# order with two moves that keep every segment reachable: the one-purchase segments (New
# Customers, Promising) come before Potential Loyalist, and Can't Lose Them before At Risk,
# because the later, wider range would otherwise swallow them. Lost closes the list and is left
# exactly R 1, FM 1. A test proves all 125 R x F x M combinations land in exactly one segment
# and every segment is reachable.
STANDARD_SEGMENTS: tuple[tuple[str, tuple[int, int], tuple[int, int]], ...] = (
    # name, (R low, R high), (FM low, FM high), inclusive
    ("Champions", (4, 5), (4, 5)),
    ("Loyal Customers", (2, 5), (3, 5)),
    ("New Customers", (4, 5), (1, 1)),
    ("Promising", (3, 4), (1, 1)),
    ("Potential Loyalist", (3, 5), (1, 3)),
    ("Need Attention", (2, 3), (2, 3)),
    ("About To Sleep", (2, 3), (1, 2)),
    ("Can't Lose Them", (1, 1), (4, 5)),
    ("At Risk", (1, 2), (2, 5)),
    ("Lost", (1, 2), (1, 2)),
)


def _standard_case() -> str:
    # Segment names and bounds are constants of this module, bound as parameters anyway so the
    # SQL text carries no literals at all.
    arms = " ".join(
        f"WHEN r_score BETWEEN $r_lo{i} AND $r_hi{i} AND fm_score BETWEEN $fm_lo{i} AND $fm_hi{i}"
        f" THEN $name{i}"
        for i in range(len(STANDARD_SEGMENTS))
    )
    return f"CASE {arms} END"


def _standard_params() -> dict[str, object]:
    params: dict[str, object] = {}
    for i, (name, (r_lo, r_hi), (fm_lo, fm_hi)) in enumerate(STANDARD_SEGMENTS):
        params |= {
            f"name{i}": name,
            f"r_lo{i}": r_lo,
            f"r_hi{i}": r_hi,
            f"fm_lo{i}": fm_lo,
            f"fm_hi{i}": fm_hi,
        }
    return params


_STANDARD_SQL = f"""
WITH scored AS (
    SELECT customer_id, r_score, f_score, m_score,
           CAST((f_score + m_score + 1) // 2 AS INTEGER) AS fm_score
    FROM scores
)
SELECT customer_id, r_score, f_score, m_score, fm_score, {_standard_case()} AS segment
FROM scored
ORDER BY customer_id
"""  # noqa: S608 -- built from module constants; values are bound


def segment_standard(scores: pa.Table) -> pa.Table:
    """The standard ten segments from RFM scores.

    Returns ``customer_id, r_score, f_score, m_score, fm_score, segment`` where ``fm_score`` =
    (F + M) / 2 rounded half up and ``segment`` is the stable English name of the first
    matching rule in :data:`STANDARD_SEGMENTS`.
    """
    require_columns(scores, "scores", ("customer_id", "r_score", "f_score", "m_score"))
    return run_sql(_STANDARD_SQL, {"scores": scores}, _standard_params())


# --- the Chinese eight ------------------------------------------------------------------------

# (R high, F high, M high) -> stable name.
CN8_SEGMENTS: dict[tuple[bool, bool, bool], str] = {
    (True, True, True): "重要价值客户",
    (True, False, True): "重要发展客户",
    (False, True, True): "重要保持客户",
    (False, False, True): "重要挽留客户",
    (True, True, False): "一般价值客户",
    (True, False, False): "一般发展客户",
    (False, True, False): "一般保持客户",
    (False, False, False): "一般挽留客户",
}

# High/low against the workspace average, compared exactly in integers (value * n vs sum)
# rather than against a rounded float average. Equal to the average counts as high: for R
# that means days since the last order at most the average.
_CN8_SQL = """
WITH flagged AS (
    SELECT
        customer_id,
        CAST(days_since_last_order AS HUGEINT) * count(*) OVER ()
            <= sum(days_since_last_order) OVER () AS r_high,
        CAST(paid_orders AS HUGEINT) * count(*) OVER () >= sum(paid_orders) OVER () AS f_high,
        CAST(net_paid_fen AS HUGEINT) * count(*) OVER () >= sum(net_paid_fen) OVER () AS m_high
    FROM metrics
)
SELECT f.customer_id, f.r_high, f.f_high, f.m_high, n.segment
FROM flagged f
JOIN names n USING (r_high, f_high, m_high)
ORDER BY f.customer_id
"""


def _cn8_names() -> pa.Table:
    keys = list(CN8_SEGMENTS)
    return pa.table(
        {
            "r_high": [k[0] for k in keys],
            "f_high": [k[1] for k in keys],
            "m_high": [k[2] for k in keys],
            "segment": list(CN8_SEGMENTS.values()),
        }
    )


def segment_cn8(metrics: pa.Table) -> pa.Table:
    """The Chinese eight (RFM 八类客户): R, F, M each high or low against the workspace mean.

    Returns ``customer_id, r_high, f_high, m_high, segment`` (stable Chinese names). A value
    equal to the mean counts as high; for recency "high" means at most the mean days.
    """
    require_columns(metrics, "metrics", RFM_INPUT_COLUMNS)
    return run_sql(_CN8_SQL, {"metrics": metrics, "names": _cn8_names()})
