"""Fixed-window counters for rate limits and throttles.

Embedded mode counts in the store with one atomic upsert; server mode counts in Redis. Either
way no process keeps the count in memory, so any number of API processes agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import String, case, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from siyu.db import Base
from siyu.kit.clock import utcnow
from siyu.kit.sql import insert_for


class RateCounter(Base):
    """One key's hits in its current window (infrastructure, keyed across tenants)."""

    __tablename__ = "rate_counters"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[int]
    hits: Mapped[int]
    expires_at: Mapped[datetime]


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    hits: int
    retry_after: int  # seconds until the window resets


class Counter(Protocol):
    def hit(self, key: str, limit: int, window_seconds: int) -> Verdict: ...
    def peek(self, key: str, window_seconds: int) -> int: ...
    def clear(self, key: str) -> None: ...


def _window(now: float, window_seconds: int) -> tuple[int, int]:
    start = int(now // window_seconds) * window_seconds
    return start, max(1, math.ceil(start + window_seconds - now))


class SqlCounter:
    """Counts with ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` in the caller's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def hit(self, key: str, limit: int, window_seconds: int) -> Verdict:
        now = utcnow()
        start, retry_after = _window(now.timestamp(), window_seconds)
        insert = insert_for(self.session)
        expires = datetime.fromtimestamp(start + window_seconds, tz=now.tzinfo)
        same_window = RateCounter.window_start == start
        stmt = (
            insert(RateCounter)
            .values(key=key, window_start=start, hits=1, expires_at=expires)
            .on_conflict_do_update(
                index_elements=[RateCounter.key],
                set_={
                    "hits": case((same_window, RateCounter.hits + 1), else_=1),
                    "window_start": start,
                    "expires_at": expires,
                },
            )
            .returning(RateCounter.hits)
        )
        hits = int(self.session.execute(stmt).scalar_one())
        return Verdict(hits <= limit, hits, retry_after)

    def peek(self, key: str, window_seconds: int) -> int:
        start, _ = _window(utcnow().timestamp(), window_seconds)
        row = self.session.execute(
            select(RateCounter.hits).where(
                RateCounter.key == key, RateCounter.window_start == start
            )
        ).scalar_one_or_none()
        return int(row or 0)

    def clear(self, key: str) -> None:
        self.session.execute(delete(RateCounter).where(RateCounter.key == key))


_HIT_SCRIPT = """
local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return hits
"""


class RedisCounter:
    """INCR + EXPIRE in one script, keyed per window so expiry is the reset."""

    def __init__(self, client: object) -> None:
        from redis import Redis

        assert isinstance(client, Redis)
        self.client = client
        self._hit = client.register_script(_HIT_SCRIPT)

    def _key(self, key: str, window_seconds: int) -> tuple[str, int]:
        start, retry_after = _window(utcnow().timestamp(), window_seconds)
        return f"siyu:rate:{key}:{start}", retry_after

    def hit(self, key: str, limit: int, window_seconds: int) -> Verdict:
        redis_key, retry_after = self._key(key, window_seconds)
        hits = int(self._hit(keys=[redis_key], args=[window_seconds + 1]))
        return Verdict(hits <= limit, hits, retry_after)

    def peek(self, key: str, window_seconds: int) -> int:
        redis_key, _ = self._key(key, window_seconds)
        return int(self.client.get(redis_key) or 0)

    def clear(self, key: str) -> None:
        for window_key in self.client.scan_iter(f"siyu:rate:{key}:*"):
            self.client.delete(window_key)


def counter_for(session: Session) -> Counter:
    """Redis when configured, else the store."""
    from siyu.kit.redis import get_redis

    client = get_redis()
    return RedisCounter(client) if client is not None else SqlCounter(session)
