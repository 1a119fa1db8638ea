from __future__ import annotations

from datetime import UTC, date, datetime

from siyu.kit.clock import (
    as_utc,
    business_day,
    day_bounds,
    end_of_month_after,
    month_bounds,
    parse_local,
)


def test_business_day_is_in_shanghai_time() -> None:
    # 17:30 UTC on the 10th is 01:30 on the 11th in Shanghai: Double 11 has begun.
    assert business_day(datetime(2026, 11, 10, 17, 30, tzinfo=UTC)) == date(2026, 11, 11)
    assert business_day(datetime(2026, 11, 10, 15, 59, tzinfo=UTC)) == date(2026, 11, 10)


def test_day_and_month_bounds_are_utc_instants() -> None:
    start, end = day_bounds(date(2026, 11, 11))
    assert start == datetime(2026, 11, 10, 16, 0, tzinfo=UTC)
    assert end == datetime(2026, 11, 11, 16, 0, tzinfo=UTC)
    first, following = month_bounds(date(2026, 12, 15))
    assert first == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    assert following == datetime(2026, 12, 31, 16, 0, tzinfo=UTC)


def test_end_of_twelfth_month_after_earning() -> None:
    earned = datetime(2026, 6, 18, 12, 0, tzinfo=UTC)  # 618
    expiry = end_of_month_after(earned, 12)
    assert business_day(expiry) == date(2027, 6, 30)
    assert expiry.astimezone(UTC) == datetime(2027, 6, 30, 15, 59, 59, 999999, tzinfo=UTC)


def test_naive_values() -> None:
    assert as_utc(datetime(2026, 1, 1, 8)) == datetime(2026, 1, 1, 8, tzinfo=UTC)
    assert parse_local("2019-05-23 22:02:11") == datetime(2019, 5, 23, 14, 2, 11, tzinfo=UTC)
