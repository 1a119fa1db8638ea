"""Visits through share links: the hot path of a shared live (``GET /s/{code}``).

A visitor is a browser's cookie (not the address alone: many fans share one carrier NAT). In
server mode the event loop answers a repeat visit from Redis alone — a set of the link's
visitors says whether this one is new — and only a first visit goes to a worker thread to be
written to the store (where a unique constraint keeps it once even if Redis lost the set).
Embedded mode writes every visit as ``INSERT … ON CONFLICT DO NOTHING`` in a worker thread.
"""

from __future__ import annotations

import re
import secrets

from redis.exceptions import RedisError
from starlette.concurrency import run_in_threadpool

from siyu.db import transaction
from siyu.kit.redis import get_async_redis
from siyu.kit.web import admitted
from siyu.live import service

VISITOR_COOKIE = "siyu_lv"
VISITOR_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")
CODE_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,16}")
SEEN_DAYS = 120  # a link's visitor set outlives any live's campaign


def new_visitor() -> str:
    return secrets.token_urlsafe(16)


def visitor_of(cookie: str | None) -> str | None:
    return cookie if cookie and VISITOR_PATTERN.fullmatch(cookie) else None


def _code_key(code: str) -> str:
    return f"siyu:live:code:{code}"


def _seen_key(live_id: int, share_id: int) -> str:
    return f"siyu:live:{{{live_id}}}:seen:{share_id}"


async def count_visit(code: str, visitor: str) -> int | None:
    """Record the visit (once per visitor and link); the live it leads to, or None for an
    unknown code."""
    if not CODE_PATTERN.fullmatch(code):
        return None
    client = get_async_redis()
    if client is None:
        async with admitted(writes=True):
            return await run_in_threadpool(_visit_committed, code, visitor)
    try:
        target = await client.get(_code_key(code))
        if target is None:
            async with admitted(writes=False):
                found = await run_in_threadpool(_resolve, code)
            if found is None:
                return None
            target = f"{found[0]}:{found[1]}".encode()
            await client.set(_code_key(code), target)
        text = target.decode() if isinstance(target, bytes) else str(target)
        live_id, share_id = (int(part) for part in text.split(":"))
        seen = _seen_key(live_id, share_id)
        pipe = client.pipeline(transaction=False)
        pipe.sadd(seen, visitor)
        pipe.expire(seen, SEEN_DAYS * 86400)
        added, _ = await pipe.execute()
    except RedisError:  # the store alone still counts exactly
        async with admitted(writes=True):
            return await run_in_threadpool(_visit_committed, code, visitor)
    if added:
        try:
            async with admitted(writes=True):
                await run_in_threadpool(_visit_committed, code, visitor)
        except BaseException:
            await client.srem(seen, visitor)  # not written: the next visit tries again
            raise
    return live_id


def _resolve(code: str) -> tuple[int, int] | None:
    with transaction(read_only=True) as session:
        share = service.share_by_code(session, code)
        return (share.live_id, share.id) if share else None


def _visit_committed(code: str, visitor: str) -> int | None:
    with transaction() as session:
        share = service.share_by_code(session, code)
        if share is None:
            return None
        service.record_visit(session, share, visitor)
        return share.live_id
