"""The process's Redis client, when ``SIYU_REDIS_URL`` is set."""

from __future__ import annotations

from functools import lru_cache

from redis import Redis

from siyu.config import get_settings


@lru_cache(maxsize=1)
def _client(url: str) -> Redis:
    return Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2, health_check_interval=30)


def get_redis() -> Redis | None:
    url = get_settings().redis_url
    return _client(url) if url else None


def reset_redis() -> None:
    _client.cache_clear()
