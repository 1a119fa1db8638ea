"""When orders happen: 618 and Double 11 peaks, live-room evenings."""

import calendar
import itertools
import random
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone

# Shanghai has had no daylight saving since 1991, so a fixed +08:00 is exact and needs no
# tz database on the machine.
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")

# Live rooms run in the evening: 19:00-23:59 carries about half of the day's orders.
_NIGHT_AND_MORNING = (0.5, 0.3, 0.15, 0.1, 0.1, 0.1, 0.2, 0.4, 0.7, 0.9, 1.0, 1.0)  # 00-11
_AFTERNOON_AND_EVENING = (1.1, 1.0, 0.9, 0.9, 0.9, 1.0, 1.3, 3.2, 4.0, 4.2, 4.0, 2.8)  # 12-23
_HOUR_WEIGHTS = (*_NIGHT_AND_MORNING, *_AFTERNOON_AND_EVENING)
_HOUR_CUM_WEIGHTS = tuple(itertools.accumulate(_HOUR_WEIGHTS))
_HOURS = tuple(range(24))


def first_day(until: date, months: int) -> date:
    """The first day of a window of `months` months that ends on `until`."""
    year, month_index = divmod(until.year * 12 + until.month - 1 - months, 12)
    month = month_index + 1
    day = min(until.day, calendar.monthrange(year, month)[1])
    return date(year, month, day) + timedelta(days=1)


def is_promotion(day: date) -> bool:
    """618 (June 1-18) or Double 11 (Oct 20 - Nov 11)."""
    month, dom = day.month, day.day
    return (month == 6 and dom <= 18) or (month == 10 and dom >= 20) or (month == 11 and dom <= 11)


def day_weight(day: date) -> float:
    """Relative order volume of a day: promotion peaks dominate the year."""
    month, dom = day.month, day.day
    if is_promotion(day):
        peak_days = {(6, 16): 5.0, (6, 17): 5.5, (6, 18): 8.0, (11, 10): 6.0, (11, 11): 10.0}
        return peak_days.get((month, dom), 2.0 if month == 6 else 1.8)
    if month == 12 and dom == 12:
        return 2.5  # 双12, a smaller echo of Double 11
    return 1.0


def order_times(rng: random.Random, total: int, start: date, until: date) -> Iterator[datetime]:
    """`total` creation times between `start` and the end of `until`, in ascending order.

    Walks the days in order and gives each its share of `total` (carrying fractions), so
    the times come out sorted with only one day's worth held in memory.
    """
    days = [start + timedelta(days=n) for n in range((until - start).days + 1)]
    weights = [day_weight(day) for day in days]
    per_weight = total / sum(weights)
    carried = 0.0
    produced = 0
    for day, weight in zip(days, weights, strict=True):
        carried += weight * per_weight
        count = total - produced if day == until else int(carried)
        carried -= count
        produced += count
        yield from _times_in_day(rng, day, count)


def _times_in_day(rng: random.Random, day: date, count: int) -> list[datetime]:
    midnight = datetime(day.year, day.month, day.day, tzinfo=SHANGHAI)
    hours = rng.choices(_HOURS, cum_weights=_HOUR_CUM_WEIGHTS, k=count)
    # Seconds stop at 23:58:59 so that an export stamped 23:59 holds the whole day.
    seconds = sorted(min(hour * 3600 + rng.randrange(3600), 86_339) for hour in hours)
    return [midnight + timedelta(seconds=second) for second in seconds]


def export_time(until: date) -> datetime:
    """The moment the seller pressed 'export': the last minute of `until`."""
    return datetime(until.year, until.month, until.day, 23, 59, tzinfo=SHANGHAI)
