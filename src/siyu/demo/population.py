"""Who buys how often, and where: the fan base behind the demo exports."""

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from siyu.demo.catalogue import Catalogue
from siyu.demo.orders import DemoOrder, OrderFactory, Promoter
from siyu.demo.people import Fan, make_fan
from siyu.demo.seasons import export_time, order_times

# Share of orders per platform.
PLATFORM_SHARES = {"taobao": 45, "douyin": 25, "kuaishou": 10, "xiaohongshu": 10, "youzan": 10}
PLATFORMS = tuple(PLATFORM_SHARES)
MULTI_PLATFORM_SHARE = 0.08  # fans who buy on 2-3 platforms with the same phone
ONE_TIME_SHARE = 0.55
LOYAL_SHARE = 0.05  # the core who buy 10-40 times
MAX_ORDERS_PER_FAN = 40


@dataclass(frozen=True)
class Population:
    fans: tuple[Fan, ...]
    # For each platform, the buying fan's index once per order that fan placed there.
    buyers: dict[str, list[int]]
    distributors: tuple[Promoter, ...]


def build_population(seed: int, fan_count: int, order_count: int) -> Population:
    if not fan_count <= order_count <= fan_count * MAX_ORDERS_PER_FAN:
        raise ValueError("orders must be between fans and 40 x fans")
    rng = random.Random(seed)
    taken: set[str] = set()
    fans = tuple(make_fan(rng, number, taken) for number in range(1, fan_count + 1))
    counts = order_counts(rng, fan_count, order_count)
    platforms = [_platforms_of(rng, fan, count) for fan, count in zip(fans, counts, strict=True)]
    buyers: dict[str, list[int]] = {platform: [] for platform in PLATFORMS}
    for index, (fan_platforms, count) in enumerate(zip(platforms, counts, strict=True)):
        for platform in _spread(rng, fan_platforms, count):
            buyers[platform].append(index)
    return Population(fans, buyers, _distributors(fans, counts))


def order_counts(rng: random.Random, fan_count: int, order_count: int) -> list[int]:
    """Orders per fan: most buy once, a loyal core buys 10-40 times, the sum is exact."""
    counts = [1] * fan_count
    loyal = rng.sample(range(fan_count), round(fan_count * LOYAL_SHARE))
    for index in loyal:
        counts[index] = round(rng.triangular(10, MAX_ORDERS_PER_FAN, 25))
    loyal_set = set(loyal)
    others = [index for index in range(fan_count) if index not in loyal_set]
    repeat = rng.sample(others, round(fan_count * (1 - ONE_TIME_SHARE - LOYAL_SHARE)))
    # Repeat buyers get a geometric-like tail whose mean makes the total come out right.
    mean_extra = max(0.1, (order_count - sum(counts) - len(repeat)) / max(len(repeat), 1))
    for index in repeat:
        counts[index] = _repeat_count(rng, mean_extra)
    _fit_total(rng, counts, repeat or list(range(fan_count)), order_count)
    return counts


def _repeat_count(rng: random.Random, mean_extra: float) -> int:
    """2 plus an exponential tail, redrawn rather than capped so no pile-up forms at 40."""
    while True:
        count = 2 + int(rng.expovariate(1 / mean_extra))
        if count <= MAX_ORDERS_PER_FAN:
            return count


def _fit_total(rng: random.Random, counts: list[int], adjustable: list[int], target: int) -> None:
    """Nudges counts one order at a time until they sum to `target`."""
    floor = 2 if min(counts[index] for index in adjustable) >= 2 else 1
    room_down = sum(counts[index] - floor for index in adjustable)
    room_up = sum(MAX_ORDERS_PER_FAN - counts[index] for index in adjustable)
    gap = target - sum(counts)
    if not -room_down <= gap <= room_up:
        # Shapes far from the defaults: let every fan absorb the difference.
        adjustable, floor = list(range(len(counts))), 1
    step = 1 if gap > 0 else -1
    while gap:
        index = rng.choice(adjustable)
        if floor <= counts[index] + step <= MAX_ORDERS_PER_FAN:
            counts[index] += step
            gap -= step


def _platforms_of(rng: random.Random, fan: Fan, order_count: int) -> tuple[str, ...]:
    shares = list(PLATFORM_SHARES.values())
    primary = rng.choices(PLATFORMS, shares)[0]
    if fan.mobile is None:
        return ("taobao",)  # only Taobao's export keeps a landline-only buyer
    # Only repeat buyers can show up on a second platform; the draw is scaled so that
    # about 8% of all fans end up on two or three.
    repeat_share = 1 - ONE_TIME_SHARE
    if order_count < 2 or rng.random() >= MULTI_PLATFORM_SHARE / repeat_share:
        return (primary,)
    wanted = min(order_count, 2 if rng.random() < 0.7 else 3)
    chosen = [primary]
    while len(chosen) < wanted:
        extra = rng.choices(PLATFORMS, shares)[0]
        if extra not in chosen:
            chosen.append(extra)
    return tuple(chosen)


def _spread(rng: random.Random, platforms: tuple[str, ...], count: int) -> list[str]:
    """One platform per order: each of the fan's platforms gets at least one."""
    rest = rng.choices(platforms, k=count - len(platforms))
    return list(platforms) + rest


def _distributors(fans: tuple[Fan, ...], counts: list[int]) -> tuple[Promoter, ...]:
    """Youzan distributors (分销员) are loyal fans who share the shop with friends."""
    loyal = [fan for fan, count in zip(fans, counts, strict=True) if count >= 10 and fan.mobile]
    return tuple(
        Promoter(fan.nick_on("youzan"), fan.receiver, fan.mobile or "") for fan in loyal[:8]
    )


def platform_orders(
    seed: int,
    platform: str,
    population: Population,
    catalogue: Catalogue,
    start: date,
    until: date,
    exported_at: datetime | None = None,
) -> Iterator[DemoOrder]:
    """The platform's orders, oldest first. ``exported_at`` (default: the end of ``until``)
    may fall inside ``until``: that day's orders are then spread over the hours before it, so
    no order lies in the future."""
    rng = random.Random(f"{seed}/{platform}")
    buyers = list(population.buyers[platform])
    rng.shuffle(buyers)
    as_of = exported_at or export_time(until)
    factory = OrderFactory(platform, catalogue, as_of, population.distributors)
    times = order_times(rng, len(buyers), start, until)
    for seq, (fan_index, created_at) in enumerate(zip(buyers, times, strict=True)):
        yield factory.make(rng, seq, population.fans[fan_index], _before(created_at, as_of))


def _before(moment: datetime, as_of: datetime) -> datetime:
    """``moment`` scaled into [midnight, as_of) when it falls on as_of's day and after it."""
    if moment < as_of:
        return moment
    midnight = as_of.replace(hour=0, minute=0, second=0, microsecond=0)
    day = timedelta(days=1)
    return midnight + (moment - midnight) * ((as_of - midnight) / day) - timedelta(seconds=1)
