"""The grab answered on the event loop: the hot path of a live-room drop (fan page and API).

Server mode: the same claim script as ``siyu.coupons.stream``, run through the loop's asyncio
Redis client, so an open grab is answered without a worker thread or the store. Only what the
script cannot settle goes to a worker thread and the synchronous engine: a campaign not armed
yet, rules only the store knows (share, audience, channel), and an API claim for a customer
missing from the campaign's fan bitmap (a fan added after the campaign was armed: checked in the
store once, then remembered in the bitmap). Embedded mode (no Redis): the SQL engine in one
worker thread, as before.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from weakref import WeakKeyDictionary

from redis.asyncio import Redis as AsyncRedis
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError
from starlette.concurrency import run_in_threadpool

from siyu.config import get_settings
from siyu.coupons import engine as grab_engine
from siyu.coupons import grab, stream
from siyu.customers.service import require_customer
from siyu.db import database, transaction
from siyu.kit.redis import get_async_redis
from siyu.kit.web import admitted

log = logging.getLogger("siyu.coupons")


async def claim(attempt: grab.Attempt) -> grab.Claimed:
    """One attempt, with the same answers as ``grab.claim``; committed before it returns."""
    client = get_async_redis()
    if client is None:  # embedded: the SQL engine (and its sold-out memory) in a worker thread
        return await _claim_in_store(attempt)
    try:
        answer = await _run_script(client, attempt)
        if stream.verdict_of(answer) == "unknown-fan":
            await _learn_fan(client, attempt)
            answer = await _run_script(client, replace(attempt, ip=None), fan_checked=True)
    except RedisError as exc:
        log.warning("coupon grab refused, Redis unavailable: %s", exc)
        raise grab.grab_unavailable() from exc
    verdict = stream.verdict_of(answer)
    if verdict == "claimed":
        return stream.claimed_answer(attempt, answer)
    refusal = stream.store_free_refusal(attempt, verdict)
    if refusal is not None:
        raise refusal
    if verdict == "not-started":
        raise grab.not_started(await _starts_at(client, attempt.campaign_id))
    # unarmed, or rules only the store knows: the script changed nothing, the synchronous
    # engine runs the attempt again (the address was already counted above)
    return await _claim_in_store(replace(attempt, ip=None))


async def _claim_in_store(attempt: grab.Attempt) -> grab.Claimed:
    """The synchronous engine, admitted like any writing request (on SQLite: the writers'
    turn), so a crowd queues on the event loop rather than on the write lock."""
    async with admitted(writes=True):
        return await run_in_threadpool(claim_committed, attempt)


async def _run_script(
    client: AsyncRedis, attempt: grab.Attempt, fan_checked: bool = False
) -> list[Any]:
    limit = get_settings().grab_ip_attempts_per_second
    if attempt.ip and limit:
        await _limit_ip(client, attempt.ip, limit)
    keys, args = stream.claim_call(attempt, store_checked=False, fan_checked=fan_checked)
    return list(await _claim_script(client)(keys=keys, args=args))


async def _limit_ip(client: AsyncRedis, ip: str, limit: int) -> None:
    key = stream.ip_rate_key(ip)
    pipe = client.pipeline(transaction=False)
    pipe.incr(key)
    pipe.expire(key, 2)
    hits, _ = await pipe.execute()
    if int(hits) > limit:
        raise grab.rate_limited()


async def _learn_fan(client: AsyncRedis, attempt: grab.Attempt) -> None:
    """A customer the fan bitmap lacks: 404 unless the store knows them as the workspace's fan,
    who is then remembered (customers are never deleted, so the bit never goes stale)."""
    await run_in_threadpool(_check_fan, attempt.workspace_id, attempt.customer_id)
    if attempt.customer_id < stream.FAN_BITMAP_IDS:
        await client.setbit(stream.fans_key(attempt.campaign_id), attempt.customer_id, 1)


def _check_fan(workspace_id: int, customer_id: int) -> None:
    with transaction(read_only=True) as session:
        require_customer(session, workspace_id, customer_id)


async def _starts_at(client: AsyncRedis, campaign_id: int) -> datetime:
    starts_ms = await client.hget(stream.key(campaign_id, "meta"), "starts")
    return datetime.fromtimestamp(int(starts_ms or 0) / 1000, UTC)


_scripts: WeakKeyDictionary[AsyncRedis, AsyncScript] = WeakKeyDictionary()


def _claim_script(client: AsyncRedis) -> AsyncScript:
    script = _scripts.get(client)
    if script is None:
        script = _scripts[client] = client.register_script(stream.CLAIM_SCRIPT)
    return script


def claim_committed(attempt: grab.Attempt) -> grab.Claimed:
    """One transaction for the attempt, committed before the fan is told "claimed"."""
    with database.session() as session:
        try:
            claimed = grab_engine.claim(session, attempt)
            session.commit()
            return claimed
        except BaseException:
            session.rollback()
            raise
