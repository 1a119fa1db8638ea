"""One fan's activity across domains: each domain reads its own part (``timeline_of``) and the
fan's 360 page merges them, newest first."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from siyu.kit.clock import as_utc


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # order | points | coupon | group | note | event: the icon and the filter
    text: str  # already in the reader's language
    href: str | None = None


def merge(parts: Iterable[list[TimelineEntry]], limit: int) -> list[TimelineEntry]:
    entries = [entry for part in parts for entry in part]
    entries.sort(key=lambda entry: as_utc(entry.at), reverse=True)
    return entries[:limit]
