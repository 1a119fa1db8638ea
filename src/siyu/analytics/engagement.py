"""Activity and KOC scores, 0..100, from whatever data exists.

Activity is behaviour, not chat: a fan who never speaks but spent a lot this year is highly
active. A KOC (key opinion consumer) drives others: group posts, buyer shows, replies drawn,
referrals, and their own spend. Both formulas are in docs/analytics.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType

import pyarrow as pa

from siyu.analytics.engine import require_columns, run_sql
from siyu.kit.clock import DEFAULT_TIMEZONE

EVENT_COLUMNS = ("customer_id", "kind", "occurred_at")

DEFAULT_BEHAVIOUR_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {"h5_visit": 1.0, "message": 1.0, "live_view": 2.0, "points_use": 3.0, "share": 3.0}
)
DEFAULT_GROUP_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {"message": 1.0, "reply_received": 2.0, "buyer_show": 5.0}
)


@dataclass(frozen=True)
class ActivityWeights:
    """score = min(100, spend_points * min(1, spend_1y / spend_full_fen)
                        + recency_points * recency_part
                        + min(behaviour_cap, sum of event weights))

    recency_part is 1 up to ``recent_days`` since the last order, falling linearly to 0 at
    ``stale_days``. Events of kinds not listed weigh ``other_weight``. Levels: score >=
    ``high_from`` is "high", >= ``medium_from`` "medium", else "low".
    """

    spend_points: float = 50.0
    spend_full_fen: int = 500_000  # ¥5,000 in a year earns all the spend points
    recency_points: float = 30.0
    recent_days: int = 30
    stale_days: int = 365
    behaviour_cap: float = 50.0
    kinds: Mapping[str, float] = field(default_factory=lambda: DEFAULT_BEHAVIOUR_WEIGHTS)
    other_weight: float = 1.0
    high_from: int = 60
    medium_from: int = 30


def _weights_table(kinds: Mapping[str, float]) -> pa.Table:
    return pa.table(
        {"kind": pa.array(list(kinds), pa.string()), "weight": pa.array(list(kinds.values()))},
        schema=pa.schema([("kind", pa.string()), ("weight", pa.float64())]),
    )


_EMPTY_EVENTS = pa.schema(
    [("customer_id", pa.int64()), ("kind", pa.string()), ("occurred_at", pa.timestamp("us", "UTC"))]
)

# Events of the window: the ``window_days`` business days ending on as_of, or all when as_of
# is null.
_WEIGHTED_EVENTS = """
    SELECT e.customer_id, sum(coalesce(w.weight, $other_weight)) AS points
    FROM {events} e LEFT JOIN {weights} w USING (kind)
    WHERE $as_of IS NULL OR CAST(timezone($tz, e.occurred_at) AS DATE)
        BETWEEN CAST($as_of AS DATE) - ($window_days - 1) AND CAST($as_of AS DATE)
    GROUP BY e.customer_id
"""

_ACTIVITY_SQL = f"""
WITH behaviour_points AS ({_WEIGHTED_EVENTS.format(events="behaviour", weights="weights")}),
parts AS (
    SELECT
        coalesce(m.customer_id, b.customer_id) AS customer_id,
        least(1.0, coalesce(m.spend_1y_fen, 0) / $spend_full_fen) AS spend_part,
        CASE
            WHEN m.customer_id IS NULL THEN 0.0
            WHEN m.days_since_last_order <= $recent_days THEN 1.0
            ELSE greatest(0.0, 1.0 - (m.days_since_last_order - $recent_days)
                                     / ($stale_days - $recent_days))
        END AS recency_part,
        least($behaviour_cap, coalesce(b.points, 0.0)) AS behaviour_points
    FROM metrics m
    FULL OUTER JOIN behaviour_points b USING (customer_id)
),
scored AS (
    SELECT customer_id, CAST(least(100, round(
        $spend_points * spend_part + $recency_points * recency_part + behaviour_points))
        AS INTEGER) AS activity_score
    FROM parts
)
SELECT customer_id, activity_score,
    CASE WHEN activity_score >= $high_from THEN 'high'
         WHEN activity_score >= $medium_from THEN 'medium'
         ELSE 'low' END AS activity_level
FROM scored
ORDER BY customer_id
"""  # noqa: S608 -- built from module constants; values are bound


def activity_scores(
    metrics: pa.Table,
    behaviour: pa.Table | None = None,
    *,
    weights: ActivityWeights | None = None,
    as_of: date | None = None,
    tz: str = DEFAULT_TIMEZONE,
    window_days: int = 30,
) -> pa.Table:
    """``customer_id, activity_score (0..100), activity_level (high|medium|low)``.

    Covers every customer in ``metrics`` and every customer with behaviour (``customer_id,
    kind, occurred_at``: h5_visit, message, points_use, live_view, share, ...). With ``as_of``
    only events of the ``window_days`` business days ending on it count; without it, all the
    events passed in count (the caller has already chosen the window).
    """
    require_columns(metrics, "metrics", ("customer_id", "spend_1y_fen", "days_since_last_order"))
    behaviour = _EMPTY_EVENTS.empty_table() if behaviour is None else behaviour
    require_columns(behaviour, "behaviour", EVENT_COLUMNS)
    w = weights or ActivityWeights()
    if not 0 <= w.recent_days < w.stale_days or w.spend_full_fen <= 0:
        raise ValueError("activity weights need 0 <= recent_days < stale_days, spend_full_fen > 0")
    params: dict[str, object] = {
        "spend_points": w.spend_points,
        "spend_full_fen": w.spend_full_fen,
        "recency_points": w.recency_points,
        "recent_days": w.recent_days,
        "stale_days": w.stale_days,
        "behaviour_cap": w.behaviour_cap,
        "other_weight": w.other_weight,
        "high_from": w.high_from,
        "medium_from": w.medium_from,
        "as_of": as_of,
        "tz": tz,
        "window_days": window_days,
    }
    tables = {"metrics": metrics, "behaviour": behaviour, "weights": _weights_table(w.kinds)}
    return run_sql(_ACTIVITY_SQL, tables, params)


# --- KOC ---------------------------------------------------------------------------------------

# Component weights; only the components whose data was passed take part, and the weights of
# those are renormalised, so spend alone gives a spend-only score.
KOC_COMPONENT_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {"spend": 0.3, "group": 0.4, "referral": 0.3}
)

_EMPTY_REFERRALS = pa.schema([("referrer_id", pa.int64()), ("referred_id", pa.int64())])

# A component's part is 0 for a raw value of 0, else its cumulative distribution among the
# customers with a positive value (the top customer gets 1): robust to one huge outlier.
_PART = """CASE WHEN {raw} > 0 THEN cume_dist() OVER (PARTITION BY {raw} > 0 ORDER BY {raw})
    ELSE 0.0 END"""

_KOC_SQL = f"""
WITH group_points AS ({_WEIGHTED_EVENTS.format(events="group_activity", weights="weights")}),
referral_points AS (
    -- each distinct referred customer counts 1, and 1 more once they have bought
    SELECT r.referrer_id AS customer_id,
           count(DISTINCT r.referred_id) + count(DISTINCT m.customer_id) AS points
    FROM referral_pairs r LEFT JOIN metrics m ON m.customer_id = r.referred_id
    GROUP BY r.referrer_id
),
everyone AS (
    SELECT customer_id FROM metrics
    UNION SELECT customer_id FROM group_points
    UNION SELECT customer_id FROM referral_points
),
raw AS (
    SELECT e.customer_id,
           coalesce(m.spend_1y_fen, 0) AS spend,
           coalesce(g.points, 0) AS grp,
           coalesce(r.points, 0) AS referral
    FROM everyone e
    LEFT JOIN metrics m USING (customer_id)
    LEFT JOIN group_points g USING (customer_id)
    LEFT JOIN referral_points r USING (customer_id)
)
SELECT customer_id,
    CAST(round(100 * (
        $w_spend * {_PART.format(raw="spend")}
        + $w_group * {_PART.format(raw="grp")}
        + $w_referral * {_PART.format(raw="referral")}
    )) AS INTEGER) AS koc_score,
    spend AS spend_1y_fen, grp AS group_points, referral AS referral_points
FROM raw
ORDER BY customer_id
"""  # noqa: S608 -- built from module constants; values are bound


def koc_scores(
    metrics: pa.Table,
    group_activity: pa.Table | None = None,
    referrals: pa.Table | None = None,
    *,
    group_weights: Mapping[str, float] = DEFAULT_GROUP_WEIGHTS,
    as_of: date | None = None,
    tz: str = DEFAULT_TIMEZONE,
    window_days: int = 90,
) -> pa.Table:
    """``customer_id, koc_score (0..100), spend_1y_fen, group_points, referral_points``.

    ``group_activity``: ``customer_id, kind, occurred_at`` (message, buyer_show,
    reply_received, ...; other kinds weigh 1). ``referrals``: ``referrer_id, referred_id``.
    Either may be None while the features that produce them don't exist yet: the score then
    rests on what was passed, spend alone at least.
    """
    require_columns(metrics, "metrics", ("customer_id", "spend_1y_fen"))
    used = {"spend": True, "group": group_activity is not None, "referral": referrals is not None}
    group_activity = _EMPTY_EVENTS.empty_table() if group_activity is None else group_activity
    referrals = _EMPTY_REFERRALS.empty_table() if referrals is None else referrals
    require_columns(group_activity, "group_activity", EVENT_COLUMNS)
    require_columns(referrals, "referrals", ("referrer_id", "referred_id"))
    total = sum(KOC_COMPONENT_WEIGHTS[name] for name, present in used.items() if present)
    params: dict[str, object] = {
        f"w_{name}": (KOC_COMPONENT_WEIGHTS[name] / total if present else 0.0)
        for name, present in used.items()
    } | {"other_weight": 1.0, "as_of": as_of, "tz": tz, "window_days": window_days}
    tables = {
        "metrics": metrics,
        "group_activity": group_activity,
        "referral_pairs": referrals,
        "weights": _weights_table(group_weights),
    }
    return run_sql(_KOC_SQL, tables, params)
