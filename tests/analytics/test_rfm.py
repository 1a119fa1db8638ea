from __future__ import annotations

import itertools
from collections import Counter

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siyu.analytics.rfm import (
    CN8_SEGMENTS,
    STANDARD_SEGMENTS,
    RfmThresholds,
    rfm_scores,
    segment_cn8,
    segment_standard,
)


def metrics_table(days: list[int], orders: list[int], net: list[int]) -> pa.Table:
    return pa.table(
        {
            "customer_id": pa.array(range(1, len(days) + 1), pa.int64()),
            "days_since_last_order": pa.array(days, pa.int64()),
            "paid_orders": pa.array(orders, pa.int64()),
            "net_paid_fen": pa.array(net, pa.int64()),
        }
    )


def test_quintiles_without_ties_are_ntile() -> None:
    values = list(range(10))
    scores = rfm_scores(metrics_table(values, [v + 1 for v in values], values))
    assert scores.column("f_score").to_pylist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert scores.column("m_score").to_pylist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    # Recency is inverted: fewer days since the last order is better.
    assert scores.column("r_score").to_pylist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]


def test_ties_share_the_score_of_their_first_position() -> None:
    # 6 of 10 customers bought once: all score F 1, never split across 1..3.
    orders = [1, 1, 1, 1, 1, 1, 2, 2, 3, 9]
    scores = rfm_scores(metrics_table([0] * 10, orders, [1] * 10))
    assert scores.column("f_score").to_pylist() == [1, 1, 1, 1, 1, 1, 4, 4, 5, 5]
    assert set(scores.column("r_score").to_pylist()) == {1}


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 20), min_size=1, max_size=60))
def test_quintile_scores_are_monotone_and_equal_for_equal_values(values: list[int]) -> None:
    scores = rfm_scores(metrics_table(values, values, values)).to_pylist()
    for one, other in itertools.combinations(zip(values, scores, strict=True), 2):
        (v1, s1), (v2, s2) = one, other
        if v1 == v2:
            assert (s1["r_score"], s1["f_score"]) == (s2["r_score"], s2["f_score"])
        elif v1 < v2:
            assert s1["f_score"] <= s2["f_score"] and s1["m_score"] <= s2["m_score"]
            assert s1["r_score"] >= s2["r_score"]
    assert all(1 <= s[k] <= 5 for s in scores for k in ("r_score", "f_score", "m_score"))


def test_threshold_boundaries_are_inclusive() -> None:
    thresholds = RfmThresholds(monetary_fen=(1000, 500, 300, 100))
    table = metrics_table(
        [30, 31, 60, 90, 180, 181], [10, 9, 5, 3, 2, 1], [1000, 999, 500, 300, 100, 99]
    )
    scores = rfm_scores(table, mode="thresholds", thresholds=thresholds)
    assert scores.column("r_score").to_pylist() == [5, 4, 4, 3, 2, 1]
    assert scores.column("f_score").to_pylist() == [5, 4, 4, 3, 2, 1]
    assert scores.column("m_score").to_pylist() == [5, 4, 4, 3, 2, 1]


def test_thresholds_must_be_ordered() -> None:
    with pytest.raises(ValueError, match="recency"):
        RfmThresholds(recency_days=(60, 30, 90, 180))
    with pytest.raises(ValueError, match="frequency"):
        RfmThresholds(frequency_orders=(2, 3, 5, 10))
    with pytest.raises(ValueError, match="unknown RFM mode"):
        rfm_scores(metrics_table([1], [1], [1]), mode="deciles")  # type: ignore[arg-type]


def all_score_combinations() -> pa.Table:
    combos = list(itertools.product(range(1, 6), repeat=3))
    return pa.table(
        {
            "customer_id": pa.array(range(len(combos)), pa.int64()),
            "r_score": [c[0] for c in combos],
            "f_score": [c[1] for c in combos],
            "m_score": [c[2] for c in combos],
        }
    )


def test_every_score_combination_lands_in_exactly_one_standard_segment() -> None:
    result = segment_standard(all_score_combinations()).to_pylist()
    assert len(result) == 125
    names = [name for name, _, _ in STANDARD_SEGMENTS]
    for row in result:
        fm = (row["f_score"] + row["m_score"] + 1) // 2
        matching = [
            name
            for name, (r_lo, r_hi), (fm_lo, fm_hi) in STANDARD_SEGMENTS
            if r_lo <= row["r_score"] <= r_hi and fm_lo <= fm <= fm_hi
        ]
        # at least one rule matches, and the segment given is the first of them
        assert matching, row
        assert row["segment"] == matching[0]
        assert row["fm_score"] == fm
    reached = Counter(row["segment"] for row in result)
    assert set(reached) == set(names), "every one of the ten segments is reachable"


@pytest.mark.parametrize(
    ("r", "f", "m", "segment"),
    [
        (5, 5, 5, "Champions"),
        (1, 1, 1, "Lost"),
        (1, 5, 5, "Can't Lose Them"),
        (5, 1, 1, "New Customers"),
        (3, 1, 1, "Promising"),
        (2, 5, 4, "Loyal Customers"),
        (1, 3, 2, "At Risk"),
        (2, 1, 1, "About To Sleep"),
        (2, 2, 2, "Need Attention"),
        (4, 2, 2, "Potential Loyalist"),
    ],
)
def test_standard_segment_examples(r: int, f: int, m: int, segment: str) -> None:
    scores = pa.table({"customer_id": [1], "r_score": [r], "f_score": [f], "m_score": [m]})
    assert segment_standard(scores).column("segment").to_pylist() == [segment]


def test_cn8_equal_to_the_average_counts_as_high() -> None:
    # averages: days 20, orders 2, net 200
    table = metrics_table([20, 10, 30], [2, 1, 3], [200, 100, 300])
    result = {row["customer_id"]: row for row in segment_cn8(table).to_pylist()}
    assert result[1]["segment"] == "重要价值客户"  # exactly average on all three
    assert result[2]["segment"] == "一般发展客户"  # recent, few orders, low spend
    assert result[3]["segment"] == "重要保持客户"  # not recent, frequent, high spend


def test_cn8_compares_exactly_without_float_rounding() -> None:
    # mean net = 1/3 fen: 0 is below, 1 above; a float mean could round either way.
    table = metrics_table([1, 1, 1], [1, 1, 1], [0, 0, 1])
    flags = segment_cn8(table).column("m_high").to_pylist()
    assert flags == [False, False, True]


def test_cn8_reaches_all_eight() -> None:
    combos = list(itertools.product([0, 10], [1, 3], [100, 300]))
    table = metrics_table([c[0] for c in combos], [c[1] for c in combos], [c[2] for c in combos])
    segments = segment_cn8(table).column("segment").to_pylist()
    assert sorted(segments) == sorted(CN8_SEGMENTS.values())
