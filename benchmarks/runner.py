"""The benchmark runner: named benchmarks, measurements, ratios, JSON results."""

from __future__ import annotations

import json
import platform
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"


@dataclass
class Measurement:
    label: str
    operations: int
    seconds: float
    peak_memory_mb: float | None = None

    @property
    def per_second(self) -> float:
        return self.operations / self.seconds if self.seconds else float("inf")


@dataclass
class Comparison:
    """subject rate ÷ baseline rate: 1.0 means as fast as the baseline, 0.5 half as fast."""

    baseline: Measurement
    ratio: float
    aim: str


@dataclass
class Result:
    name: str
    subject: Measurement
    comparisons: list[Comparison] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def compare(self, baseline: Measurement, aim: str) -> None:
        self.comparisons.append(
            Comparison(baseline, self.subject.per_second / baseline.per_second, aim)
        )


def measure(
    label: str, operations: int, action: Callable[[], Any], *, track_memory: bool = False
) -> Measurement:
    """Time ``action`` (which performs ``operations`` operations) once."""
    if track_memory:
        tracemalloc.start()
    started = time.perf_counter()
    action()
    elapsed = time.perf_counter() - started
    peak = None
    if track_memory:
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return Measurement(label, operations, elapsed, peak)


@contextmanager
def stopwatch() -> Iterator[Callable[[], float]]:
    started = time.perf_counter()
    yield lambda: time.perf_counter() - started


def report(result: Result) -> None:
    s = result.subject
    print(f"\n{result.name}: {s.label}")
    print(
        f"  {s.per_second:>12,.0f} ops/s  ({s.operations:,} in {s.seconds:.2f} s)"
        + (f", peak {s.peak_memory_mb:.1f} MiB" if s.peak_memory_mb is not None else "")
    )
    for c in result.comparisons:
        print(
            f"  vs {c.baseline.label}: {c.baseline.per_second:,.0f} ops/s"
            f" → ratio {c.ratio:.2f}  (aim {c.aim})"
        )
    RESULTS_DIR.mkdir(exist_ok=True)
    payload = asdict(result) | {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
    }
    path = RESULTS_DIR / f"{result.name}.json"
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"  written to {path.relative_to(RESULTS_DIR.parent.parent)}")
