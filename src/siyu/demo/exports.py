"""Realistic seller order export files for the demo and the import benchmarks.

`generate_demo_exports` writes what a live-commerce seller would download from each back end
(Taobao, Douyin, Kuaishou, Xiaohongshu, Youzan) for one fan base, in each platform's real
format and with its quirks, so that the demo goes through the real importers.
`write_taobao_classic_csv` streams an arbitrarily large Taobao file for the benchmarks.

Everything is deterministic for a seed; no global random state is used.
"""

import csv
import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from siyu.demo import platforms, taobao
from siyu.demo.catalogue import build_catalogue
from siyu.demo.cells import stamp
from siyu.demo.orders import DemoOrder, OrderFactory, Timeline
from siyu.demo.people import Fan, make_fan
from siyu.demo.population import build_population, platform_orders
from siyu.demo.seasons import export_time, first_day, order_times

TAOBAO_FILE_MONTHS = 6  # sellers export Taobao history half a year at a time
_BENCHMARK_MONTHS = 12
_MAX_BENCHMARK_FANS = 50_000


@dataclass(frozen=True)
class DemoShape:
    fans: int = 20_000
    orders: int = 120_000
    months: int = 18  # ending at `until`
    seed: int = 20261111


def generate_demo_exports(
    out_dir: Path, shape: DemoShape = DemoShape(), *, until: date, now: datetime | None = None
) -> list[Path]:
    """Writes one or more files per platform in its real export format; returns their paths.
    With ``now`` (on ``until``) the files are exported at that moment: nothing later in them."""
    out_dir.mkdir(parents=True, exist_ok=True)
    population = build_population(shape.seed, shape.fans, shape.orders)
    catalogue = build_catalogue()
    start = first_day(until, shape.months)

    exported_at = min(export_time(until), now) if now else export_time(until)

    def orders_of(platform: str) -> Iterator[DemoOrder]:
        return platform_orders(
            shape.seed, platform, population, catalogue, start, until, exported_at
        )

    paths = _write_taobao_periods(out_dir, orders_of("taobao"), until, shape.months, exported_at)
    for platform in ("douyin", "kuaishou", "xiaohongshu", "youzan"):
        paths.append(platforms.write(platform, out_dir, orders_of(platform), exported_at))
    return paths


def _write_taobao_periods(
    out_dir: Path, orders: Iterator[DemoOrder], until: date, months: int, last_export: datetime
) -> list[Path]:
    """One list + detail pair per half year, exported one after another a minute apart.

    The newest period comes in the current report layout; older ones as older versions of
    the report (Excel-style dates, and for the oldest no refund columns), as a seller's
    archive of downloads looks.
    """
    starts = _periods(until, months)

    def age(order: DemoOrder) -> int:
        day = order.timeline.created_at.date()
        return next(index for index, start in enumerate(starts) if day >= start)

    paths: list[Path] = []
    for period_age, period_orders in itertools.groupby(orders, key=age):
        exported_at = last_export - timedelta(minutes=period_age)
        layout = taobao.Layout(later_columns=period_age < 2, iso_dates=period_age == 0)
        list_path = out_dir / f"ExportOrderList{stamp(exported_at)}.csv"
        detail_path = out_dir / f"ExportOrderDetailList{stamp(exported_at)}.csv"
        taobao.write_classic(list_path, detail_path, period_orders, layout)
        paths += [list_path, detail_path]
    return paths


def _periods(until: date, months: int) -> list[date]:
    """First days of the export periods, newest first."""
    starts = []
    covered = 0
    while covered < months:
        covered = min(covered + TAOBAO_FILE_MONTHS, months)
        starts.append(first_day(until, covered))
    return starts


def write_taobao_classic_csv(path: Path, rows: int, *, seed: int = 1, until: date) -> None:
    """Streams a Taobao classic ExportOrderList CSV in GB18030 with `rows` orders.

    One row per order, for the 1M-row import benchmark: bounded memory (a fixed pool of fans
    and order templates), written row by row: 1M rows took ~41 s on a shared 2-core VM.
    """
    rng = random.Random(seed)
    fans = _benchmark_fans(rng, rows)
    start = first_day(until, _BENCHMARK_MONTHS)
    orders = _BenchmarkOrders(rng, OrderFactory("taobao", build_catalogue(), export_time(until)))
    orders.prepare_templates(start)
    builder = taobao.ClassicRows(taobao.Layout(), salt=seed % 1_000)
    with path.open("w", encoding=taobao.ENCODING, newline="") as file:
        writer = csv.writer(file)
        writer.writerow(builder.layout.header)
        for seq, created_at in enumerate(order_times(rng, rows, start, until)):
            # Squaring the draw gives a heavy tail: a few fans buy very often.
            fan = fans[int(len(fans) * rng.random() ** 2)]
            writer.writerow(builder.row(orders.make(seq, fan, created_at)))


class _BenchmarkOrders:
    """Orders for the benchmark file, mostly re-timed copies of a pool of finished orders.

    Building an order from scratch costs about as much as writing it; reusing a template's
    items, amounts and outcome (shifted to the new time) halves the cost of a row. Orders too
    recent to be finished are still built from scratch, so statuses stay true to their dates.
    """

    _TEMPLATES = 4_096
    _SETTLED_AFTER = timedelta(days=15)  # every event of an order falls within this

    def __init__(self, rng: random.Random, factory: OrderFactory) -> None:
        self.rng = rng
        self.factory = factory
        self.settled_before = factory.as_of - self._SETTLED_AFTER
        self.templates: list[DemoOrder] = []

    def prepare_templates(self, start: date) -> None:
        last_settled_day = self.settled_before.date() - timedelta(days=1)
        times = order_times(self.rng, self._TEMPLATES, start, max(start, last_settled_day))
        # A template gets its real fan each time it is reused, so any fan will do here.
        placeholder = _benchmark_fans(random.Random(0), 1)[0]
        self.templates = [
            self.factory.make(self.rng, 0, placeholder, created_at) for created_at in times
        ]

    def make(self, seq: int, fan: Fan, created_at: datetime) -> DemoOrder:
        if created_at >= self.settled_before or not self.templates:
            return self.factory.make(self.rng, seq, fan, created_at)
        template = self.templates[self.rng.randrange(len(self.templates))]
        delta = created_at - template.timeline.created_at
        return template.retimed(seq, fan, _shifted(template.timeline, delta))


def _shifted(timeline: Timeline, delta: timedelta) -> Timeline:
    def shift(moment: datetime | None) -> datetime | None:
        return None if moment is None else moment + delta

    return Timeline(
        timeline.created_at + delta,
        shift(timeline.paid_at),
        shift(timeline.shipped_at),
        shift(timeline.completed_at),
        shift(timeline.refunded_at),
    )


def _benchmark_fans(rng: random.Random, rows: int) -> list[Fan]:
    """A fixed-size pool (at most 50,000) so memory does not grow with `rows`."""
    count = max(1, min(rows // 6, _MAX_BENCHMARK_FANS))
    taken: set[str] = set()
    return [make_fan(rng, number, taken) for number in range(1, count + 1)]
