from __future__ import annotations

from datetime import UTC, date, datetime

import pyarrow as pa

from siyu.analytics.metrics import customer_metrics
from tests.analytics import make_orders

AS_OF = date(2026, 11, 11)


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def by_customer(table: pa.Table) -> dict[int, dict[str, object]]:
    return {row["customer_id"]: row for row in table.to_pylist()}


def test_business_day_is_in_the_workspace_time_zone() -> None:
    # 17:30 UTC on the 10th is 01:30 on the 11th in Shanghai: the as-of day, so it counts.
    orders = make_orders([(1, at(2026, 11, 10, 17, 30), 100, 0, "douyin")])
    shanghai = by_customer(customer_metrics(orders, date(2026, 11, 11)))
    assert shanghai[1]["days_since_last_order"] == 0
    assert customer_metrics(orders, date(2026, 11, 10)).num_rows == 0
    in_utc = by_customer(customer_metrics(orders, date(2026, 11, 11), tz="UTC"))
    assert in_utc[1]["days_since_last_order"] == 1


def test_as_of_is_inclusive_and_later_or_unpaid_orders_are_ignored() -> None:
    orders = make_orders(
        [
            (1, at(2026, 11, 11, 15, 59), 100, 0, "taobao"),  # 23:59 on the 11th in Shanghai
            (1, at(2026, 11, 11, 16, 0), 999, 0, "taobao"),  # 00:00 on the 12th: too late
            (1, None, 5000, 0, "taobao"),  # unpaid
            (2, None, 5000, 0, "taobao"),  # never paid: no row at all
        ]
    )
    metrics = by_customer(customer_metrics(orders, AS_OF))
    assert list(metrics) == [1]
    assert metrics[1]["paid_orders"] == 1
    assert metrics[1]["net_paid_fen"] == 100


def test_money_is_net_of_refunds_and_average_rounds_half_up() -> None:
    orders = make_orders(
        [
            (1, at(2026, 1, 1), 1000, 0, "douyin"),
            (1, at(2026, 2, 1), 1000, 999, "douyin"),  # 1 fen net
            (2, at(2026, 3, 1), 2, 0, "kuaishou"),
            (2, at(2026, 3, 2), 1, 0, "kuaishou"),  # 3 fen over 2 orders = 1.5 -> 2
            (3, at(2026, 3, 2), 10, None, "kuaishou"),  # type: ignore[list-item]
        ]
    )
    metrics = by_customer(customer_metrics(orders, AS_OF))
    assert metrics[1]["net_paid_fen"] == 1001
    assert metrics[1]["ltv_fen"] == 1001
    assert metrics[1]["avg_order_value_fen"] == 501  # 500.5 rounds up
    assert metrics[2]["avg_order_value_fen"] == 2
    assert metrics[3]["net_paid_fen"] == 10  # a null refund is no refund


def test_one_year_spend_is_the_365_days_ending_on_as_of() -> None:
    # Business days in Shanghai; noon UTC is 20:00 the same day there.
    orders = make_orders(
        [
            (1, at(2025, 11, 12, 12), 100, 0, "douyin"),  # as_of - 364 days: inside
            (1, at(2025, 11, 11, 12), 10, 0, "douyin"),  # as_of - 365 days: outside
        ]
    )
    metrics = by_customer(customer_metrics(orders, AS_OF))
    assert metrics[1]["spend_1y_fen"] == 100
    assert metrics[1]["net_paid_fen"] == 110
    assert metrics[1]["days_since_first_order"] == 365
    assert metrics[1]["days_since_last_order"] == 364


def test_platforms_repurchase_and_first_last() -> None:
    orders = make_orders(
        [
            (1, at(2026, 5, 1), 100, 0, "xiaohongshu"),
            (1, at(2026, 4, 1), 100, 0, "douyin"),
            (1, at(2026, 6, 1), 100, 0, "douyin"),
            (1, at(2026, 6, 2), 100, 0, None),
            (2, at(2026, 6, 1), 100, 0, "taobao"),
        ]
    )
    metrics = by_customer(customer_metrics(orders, AS_OF))
    assert metrics[1]["platforms"] == ["douyin", "xiaohongshu"]
    assert metrics[1]["repurchase"] is True
    assert metrics[2]["repurchase"] is False
    assert metrics[1]["first_paid_at"] == at(2026, 4, 1)
    assert metrics[1]["last_paid_at"] == at(2026, 6, 2)


def test_column_types_keep_money_in_integer_fen() -> None:
    orders = make_orders([(1, at(2026, 6, 1), 100, 0, "taobao")])
    schema = customer_metrics(orders, AS_OF).schema
    for name in ("paid_orders", "net_paid_fen", "avg_order_value_fen", "spend_1y_fen", "ltv_fen"):
        assert schema.field(name).type == pa.int64(), name
    assert schema.field("last_paid_at").type == pa.timestamp("us", tz="UTC")
    assert schema.field("repurchase").type == pa.bool_()


def test_no_orders_gives_an_empty_table() -> None:
    assert customer_metrics(make_orders([]), AS_OF).num_rows == 0
