from __future__ import annotations

import pyarrow as pa
import pytest

from siyu.analytics.lifecycle import LifecycleWindows, lifecycle_stages


def metrics(rows: list[tuple[int, int, int, int]]) -> pa.Table:
    """(customer_id, paid_orders, days_since_last_order, days_since_first_order)"""
    ids, orders, last, first = zip(*rows, strict=True)
    return pa.table(
        {
            "customer_id": pa.array(ids, pa.int64()),
            "paid_orders": pa.array(orders, pa.int64()),
            "days_since_last_order": pa.array(last, pa.int64()),
            "days_since_first_order": pa.array(first, pa.int64()),
        }
    )


def stages(table: pa.Table) -> dict[int, str]:
    return dict(zip(table["customer_id"].to_pylist(), table["stage"].to_pylist(), strict=True))


def test_default_windows_with_inclusive_bounds() -> None:
    result = lifecycle_stages(
        metrics(
            [
                (1, 1, 30, 30),  # one order, 30 days ago: still new
                (2, 1, 31, 31),  # one order, 31 days ago: active
                (3, 2, 5, 10),  # two orders: never new
                (4, 3, 60, 400),
                (5, 3, 61, 400),
                (6, 3, 120, 400),
                (7, 3, 121, 400),
                (8, 3, 365, 400),
                (9, 3, 366, 400),
            ]
        )
    )
    assert stages(result) == {
        1: "new",
        2: "active",
        3: "active",
        4: "active",
        5: "about_to_sleep",
        6: "about_to_sleep",
        7: "sleeping",
        8: "sleeping",
        9: "lost",
    }
    assert all(result["changed"].to_pylist()), "first run: everyone enters a stage"


def test_sleeping_or_lost_fans_who_buy_again_are_returned_once() -> None:
    now = metrics([(1, 4, 3, 500), (2, 4, 3, 500), (3, 4, 3, 500), (4, 4, 90, 500)])
    previous = pa.table(
        {"customer_id": [1, 2, 3, 4], "stage": ["sleeping", "lost", "active", "lost"]}
    )
    first = lifecycle_stages(now, previous)
    # 4 bought again but outside the active window (90 > 60): filed by the windows.
    assert stages(first) == {1: "returned", 2: "returned", 3: "active", 4: "about_to_sleep"}
    assert first["changed"].to_pylist() == [True, True, False, True]
    # The next refresh files them by the windows again; the history keeps the comeback.
    second = lifecycle_stages(now, first.select(["customer_id", "stage"]))
    assert stages(second)[1] == "active"
    assert second["previous_stage"].to_pylist()[0] == "returned"


def test_windows_are_configurable_and_validated() -> None:
    windows = LifecycleWindows(new_days=7, active_days=14, about_to_sleep_days=30, sleeping_days=90)
    result = lifecycle_stages(
        metrics([(1, 1, 8, 8), (2, 2, 20, 50), (3, 2, 91, 100)]), None, windows
    )
    assert stages(result) == {1: "active", 2: "about_to_sleep", 3: "lost"}
    with pytest.raises(ValueError, match="windows"):
        LifecycleWindows(active_days=200)
