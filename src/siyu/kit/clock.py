"""Time: UTC in the store, the workspace's time zone for business days."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_TIMEZONE = "Asia/Shanghai"


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """Aware UTC; naive values are taken to be UTC already (SQLite returns them naive)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def business_day(moment: datetime, tz: str = DEFAULT_TIMEZONE) -> date:
    """The calendar day a moment falls on in the workspace's time zone."""
    return as_utc(moment).astimezone(ZoneInfo(tz)).date()


def today(tz: str = DEFAULT_TIMEZONE) -> date:
    return business_day(utcnow(), tz)


def day_bounds(day: date, tz: str = DEFAULT_TIMEZONE) -> tuple[datetime, datetime]:
    """[start, end) of a business day, as UTC instants."""
    zone = ZoneInfo(tz)
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def month_bounds(day: date, tz: str = DEFAULT_TIMEZONE) -> tuple[datetime, datetime]:
    """[first instant, first instant of next month) of the business month containing ``day``."""
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return day_bounds(first, tz)[0], day_bounds(following, tz)[0]


def end_of_month_after(moment: datetime, months: int, tz: str = DEFAULT_TIMEZONE) -> datetime:
    """The last instant of the ``months``-th business month after ``moment`` (points expiry)."""
    day = business_day(moment, tz)
    month_index = day.year * 12 + day.month - 1 + months
    last_month_first = date(month_index // 12, month_index % 12 + 1, 1)
    return month_bounds(last_month_first, tz)[1] - timedelta(microseconds=1)


def parse_local(text: str, tz: str = DEFAULT_TIMEZONE) -> datetime:
    """An ISO date-time; a naive value is read in the workspace's time zone."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(tz))
    return moment.astimezone(UTC)
