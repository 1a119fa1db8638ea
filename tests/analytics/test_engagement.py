from __future__ import annotations

from datetime import UTC, date, datetime

import pyarrow as pa

from siyu.analytics.engagement import activity_scores, koc_scores


def metrics(rows: list[tuple[int, int, int]]) -> pa.Table:
    """(customer_id, spend_1y_fen, days_since_last_order)"""
    ids, spend, days = zip(*rows, strict=True)
    return pa.table(
        {
            "customer_id": pa.array(ids, pa.int64()),
            "spend_1y_fen": pa.array(spend, pa.int64()),
            "days_since_last_order": pa.array(days, pa.int64()),
        }
    )


def events(rows: list[tuple[int, str, datetime]]) -> pa.Table:
    ids, kinds, times = zip(*rows, strict=True)
    return pa.table(
        {
            "customer_id": pa.array(ids, pa.int64()),
            "kind": pa.array(kinds, pa.string()),
            "occurred_at": pa.array(times, pa.timestamp("us", tz="UTC")),
        }
    )


def by_customer(table: pa.Table) -> dict[int, dict[str, object]]:
    return {row["customer_id"]: row for row in table.to_pylist()}


NOW = datetime(2026, 11, 10, 4, tzinfo=UTC)


def test_a_silent_fan_with_a_big_year_is_highly_active() -> None:
    # ¥30,000 this year, last order 3 months ago, never a message or a visit.
    chatty = [(2, "message", NOW)] * 10 + [(2, "h5_visit", NOW)] * 5
    result = by_customer(
        activity_scores(metrics([(1, 3_000_000, 90), (2, 0, 400)]), events(chatty))
    )
    assert result[1]["activity_level"] == "high"
    assert result[1]["activity_score"] > result[2]["activity_score"]


def test_behaviour_counts_by_weight_and_window() -> None:
    old = datetime(2026, 9, 1, tzinfo=UTC)
    behaviour = events(
        [(1, "share", NOW), (1, "points_use", NOW), (1, "unknown_kind", NOW), (1, "share", old)]
    )
    recent_only = by_customer(
        activity_scores(metrics([(1, 0, 400)]), behaviour, as_of=date(2026, 11, 10))
    )
    assert recent_only[1]["activity_score"] == 3 + 3 + 1
    everything = by_customer(activity_scores(metrics([(1, 0, 400)]), behaviour))
    assert everything[1]["activity_score"] == 10


def test_fans_with_behaviour_but_no_orders_are_scored() -> None:
    result = by_customer(activity_scores(metrics([(1, 0, 10)]), events([(7, "live_view", NOW)])))
    assert set(result) == {1, 7}
    assert result[7]["activity_score"] == 2
    assert result[1]["activity_score"] == 30  # recency only


def test_koc_from_spend_alone_when_nothing_else_exists() -> None:
    result = by_customer(koc_scores(metrics([(1, 0, 1), (2, 100, 1), (3, 900, 1)])))
    assert [result[c]["koc_score"] for c in (1, 2, 3)] == [0, 50, 100]


def test_koc_takes_group_activity_and_referrals_as_they_arrive() -> None:
    group = events([(1, "buyer_show", NOW), (1, "reply_received", NOW), (2, "message", NOW)])
    referrals = pa.table({"referrer_id": [1, 1, 4], "referred_id": [2, 9, 2]})
    result = by_customer(koc_scores(metrics([(1, 100, 1), (2, 900, 1)]), group, referrals))
    assert result[1]["group_points"] == 7.0
    # 1 referred customers 2 (who bought: counts twice) and 9 (no order yet)
    assert result[1]["referral_points"] == 3
    assert result[1]["koc_score"] > result[2]["koc_score"]
    assert set(result) == {1, 2, 4}
