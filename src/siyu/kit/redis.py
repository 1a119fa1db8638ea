"""The process's Redis clients, when ``SIYU_REDIS_URL`` is set: a blocking one for threads and
jobs, and an asyncio one for hot paths answered on the event loop."""

from __future__ import annotations

import asyncio
from functools import lru_cache
from weakref import WeakKeyDictionary

from redis import Redis
from redis.asyncio import BlockingConnectionPool
from redis.asyncio import Redis as AsyncRedis

from siyu.config import get_settings

# Connections one process's event loop may hold; a request beyond them waits up to
# ASYNC_POOL_WAIT_SECONDS for a free one (then a RedisError, which hot paths answer with 503).
ASYNC_POOL_CONNECTIONS = 32
ASYNC_POOL_WAIT_SECONDS = 2


@lru_cache(maxsize=1)
def _client(url: str) -> Redis:
    return Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2, health_check_interval=30)


def get_redis() -> Redis | None:
    url = get_settings().redis_url
    return _client(url) if url else None


# An asyncio client belongs to the loop that made it: one per loop (uvicorn runs one per
# process; the test client one per test).
_async_clients: WeakKeyDictionary[asyncio.AbstractEventLoop, tuple[str, AsyncRedis]] = (
    WeakKeyDictionary()
)


def get_async_redis() -> AsyncRedis | None:
    """The running loop's asyncio client, or None in embedded mode."""
    url = get_settings().redis_url
    if not url:
        return None
    loop = asyncio.get_running_loop()
    found = _async_clients.get(loop)
    if found is not None and found[0] == url:
        return found[1]
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=ASYNC_POOL_CONNECTIONS,
        timeout=ASYNC_POOL_WAIT_SECONDS,
        socket_timeout=2,
        socket_connect_timeout=2,
        health_check_interval=30,
    )
    client = AsyncRedis(connection_pool=pool)
    _async_clients[loop] = (url, client)
    return client


def reset_redis() -> None:
    _client.cache_clear()
    _async_clients.clear()
