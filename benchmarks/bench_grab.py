"""The flash grab (全员抢券) in server mode: many fans press at once for limited coupons.

Subject: ``POST /h5/coupons/{id}/claim`` (the fan page's button, JSON answers) on a real
``siyu serve --workers N`` with Redis, over loopback HTTP from keep-alive connections, while
``siyu coupons consume`` persists claims to the store. Every fan attempts twice (an honest retry
after the answer), in a shuffled order.

Baselines in the same run:
* the same server's ``/healthz`` under the same load (HTTP + framework floor; aim >= 0.7);
* the claim Lua script alone, driven by ``redis-benchmark`` (EVALSHA with random customers),
  against ``redis-benchmark`` running a minimal EVALSHA (one DECR) (aim >= 0.5).

The same run checks the outcome: exactly Q answers "claimed", exactly Q claims in the store, to
Q distinct fans, the same fans that were told "claimed".

Size: ``SIYU_BENCH_GRAB_FANS`` (default 100,000), attempts = 2 x fans, coupons = fans / 10.
The per-address limit is switched off for the run: every request comes from 127.0.0.1, where a
real deployment sees the fans' own addresses.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from benchmarks.grab_setup import grab_scene
from benchmarks.runner import Measurement, Result
from benchmarks.server import scratch_env, serving

FANS = int(os.environ.get("SIYU_BENCH_GRAB_FANS", "100000"))
ATTEMPTS = 2 * FANS
COUPONS = FANS // 10
CONNECTIONS = int(os.environ.get("SIYU_BENCH_GRAB_CONNECTIONS", "64"))
WORKERS = int(os.environ.get("SIYU_BENCH_GRAB_WORKERS", "2"))
REDIS_URL = os.environ.get("SIYU_BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
LUA_REQUESTS = 200_000
ROUNDS = 10  # grab and no-op slices, alternated


# --- a small keep-alive HTTP/1.1 load generator -----------------------------------------------


@dataclass
class Load:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    claimed_by: list[int] = field(default_factory=list)  # fan index told "claimed"
    seconds: float = 0.0
    started: float = 0.0
    last_claim: float = 0.0  # when the last "claimed" answer arrived


async def _one_connection(port: int, queue: list[tuple[int, bytes]], load: Load) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while queue:
            fan, request = queue.pop()
            started = time.perf_counter()
            writer.write(request)
            status, _body = await _response(reader)
            load.latencies.append(time.perf_counter() - started)
            load.statuses[status] = load.statuses.get(status, 0) + 1
            if status == 201:
                load.claimed_by.append(fan)
                load.last_claim = time.perf_counter()
    finally:
        writer.close()


async def _response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    body = await reader.readexactly(length) if length else b""
    return status, body


def _run_load(port: int, requests: list[tuple[int, bytes]]) -> Load:
    load = Load()
    queue = list(reversed(requests))

    async def main() -> None:
        await asyncio.gather(*(_one_connection(port, queue, load) for _ in range(CONNECTIONS)))

    load.started = time.perf_counter()
    asyncio.run(main())
    load.seconds = time.perf_counter() - load.started
    return load


def _interleaved(port: int, requests: list[tuple[int, bytes]], rounds: int) -> tuple[Load, Load]:
    """The grab and the no-op in alternating slices, so both see the same machine: on a shared
    2-core box the background load changes from minute to minute."""
    grab, noop = Load(), Load()
    size = -(-len(requests) // rounds)
    for start in range(0, len(requests), size):
        part = _run_load(port, requests[start : start + size])
        if part.last_claim:
            grab.last_claim = grab.seconds + (part.last_claim - part.started)
        grab.seconds += part.seconds
        grab.latencies += part.latencies
        grab.claimed_by += part.claimed_by
        for status, n in part.statuses.items():
            grab.statuses[status] = grab.statuses.get(status, 0) + n
        floor = _run_load(port, _noop_requests(len(part.latencies)))
        noop.seconds += floor.seconds
        noop.latencies += floor.latencies
    return grab, noop


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


# --- set-up in this process, on the scratch store -----------------------------------------------


def _requests(workspace_id: int, campaign_id: int, fans: list[int]) -> list[tuple[int, bytes]]:
    from siyu.customers.fan_links import (
        FAN_COOKIE,
        FanClaim,
        csrf_for_fan_cookie,
        sign_fan_session,
    )
    from siyu.kit.clock import utcnow

    expiry = (utcnow() + timedelta(hours=2)).replace(microsecond=0)
    cookies = [sign_fan_session(FanClaim(workspace_id, fan, expiry)) for fan in fans]
    order = list(range(len(fans))) * 2
    random.Random(6).shuffle(order)
    template = (
        f"POST /h5/coupons/{campaign_id}/claim HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Accept: application/json\r\nContent-Length: 0\r\nCookie: {cookie}={value}\r\n"
        "X-CSRF-Token: {csrf}\r\n\r\n"
    )
    tokens = [csrf_for_fan_cookie(cookie) for cookie in cookies]
    return [
        (i, template.format(cookie=FAN_COOKIE, value=cookies[i], csrf=tokens[i]).encode())
        for i in order
    ]


def _noop_requests(count: int) -> list[tuple[int, bytes]]:
    request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    return [(i, request) for i in range(count)]


# --- outcome -----------------------------------------------------------------------------------


def _wait_for_store(campaign_id: int, expected: int, timeout: float = 120.0) -> tuple[int, int]:
    from sqlalchemy import func, select

    from siyu.coupons.models import CouponClaim
    from siyu.db import database

    deadline = time.monotonic() + timeout
    while True:
        with database.session() as session:
            count, distinct = session.execute(
                select(func.count(), func.count(func.distinct(CouponClaim.customer_id))).where(
                    CouponClaim.campaign_id == campaign_id
                )
            ).one()
        if count >= expected or time.monotonic() > deadline:
            return int(count), int(distinct)
        time.sleep(0.5)


def _stored_fans(campaign_id: int) -> set[int]:
    from sqlalchemy import select

    from siyu.coupons.models import CouponClaim
    from siyu.db import database

    with database.session() as session:
        return set(
            session.scalars(
                select(CouponClaim.customer_id).where(CouponClaim.campaign_id == campaign_id)
            )
        )


# --- the Lua path alone -------------------------------------------------------------------------


def _redis_benchmark(url: str, *command: str) -> float:
    from redis.connection import parse_url

    options = parse_url(url)
    args = [
        "redis-benchmark",
        "-h",
        str(options.get("host", "127.0.0.1")),
        "-p",
        str(options.get("port", 6379)),
        "--dbnum",
        str(options.get("db", 0)),
        "-n",
        str(LUA_REQUESTS),
        "-c",
        "50",
        "-r",
        "100000000",
        "--csv",
        *command,
    ]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    row = [line for line in out.splitlines() if line and not line.startswith('"test"')][-1]
    return float(row.split(",")[1].strip('"'))


def _lua_comparison(client: Any) -> tuple[Measurement, Measurement, dict[str, Any]]:
    from siyu.coupons import stream

    campaign_id = 999_999_999
    client.delete(*stream._keys(campaign_id))
    client.hset(
        stream.key(campaign_id, "meta"),
        mapping={
            "workspace": 1,
            "quantity": 10**9,
            "limit": 1,
            "starts": 0,
            "ends": "",
            "gated": "0",
            "pool": "0",
        },
    )
    client.set(stream.key(campaign_id, "stock"), 10**9)
    claim_sha = client.script_load(stream.CLAIM_SCRIPT)
    minimal_sha = client.script_load("return redis.call('DECR', KEYS[1])")
    keys = [*stream._keys(campaign_id), stream.key(campaign_id, "rate:x")]
    now_ms = str(int(time.time() * 1000))
    claim_rps = _redis_benchmark(
        REDIS_URL,
        "EVALSHA",
        claim_sha,
        "7",
        *keys,
        "__rand_int__",
        "1",
        now_ms,
        "CODE123456",
        "1",
        "0",
        "fan",
    )
    minimal_rps = _redis_benchmark(
        REDIS_URL, "EVALSHA", minimal_sha, "1", stream.key(campaign_id, "stock")
    )
    claimed = LUA_REQUESTS - int(client.hget(stream.key(campaign_id, "stats"), "already") or 0)
    client.delete(*stream._keys(campaign_id))
    return (
        Measurement(
            "claim script alone (redis-benchmark EVALSHA, random fans)",
            LUA_REQUESTS,
            LUA_REQUESTS / claim_rps,
        ),
        Measurement(
            "minimal EVALSHA: one DECR (redis-benchmark)", LUA_REQUESTS, LUA_REQUESTS / minimal_rps
        ),
        {
            "lua_claim_rps": round(claim_rps),
            "lua_minimal_rps": round(minimal_rps),
            "lua_claims_made": claimed,
        },
    )


# --- the run -----------------------------------------------------------------------------------


def run() -> list[Result]:
    if shutil.which("redis-benchmark") is None:
        raise SystemExit("redis-benchmark is needed (apt-get install redis-tools)")
    from redis import Redis

    client = Redis.from_url(REDIS_URL)
    client.flushdb()
    env, _tmp = scratch_env(os.environ.get("SIYU_BENCH_DATABASE_URL"))
    env.update(SIYU_REDIS_URL=REDIS_URL, SIYU_GRAB_IP_ATTEMPTS_PER_SECOND="0")
    setup_started = time.perf_counter()
    scene = grab_scene(env, "bench-grab", "抢券压测", FANS, COUPONS)
    campaign_id, fans = scene.campaign_id, scene.fans
    requests = _requests(scene.workspace_id, campaign_id, fans)
    setup_seconds = time.perf_counter() - setup_started

    consumer = subprocess.Popen(
        [sys.executable, "-m", "siyu.cli", "coupons", "consume", "--name", "bench"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with serving(env, WORKERS) as port:
            _run_load(port, _noop_requests(2000))  # warm both workers
            grab, noop = _interleaved(port, requests, ROUNDS)
        stored, distinct = _wait_for_store(campaign_id, COUPONS)
        stored_fans = _stored_fans(campaign_id)
    finally:
        consumer.terminate()
        consumer.wait(timeout=30)
    told = {fans[i] for i in grab.claimed_by}
    lua, minimal, lua_details = _lua_comparison(client)

    subject = Measurement(
        f"POST /h5/coupons/{{id}}/claim, {WORKERS} workers, {CONNECTIONS} connections",
        len(requests),
        grab.seconds,
    )
    result = Result("grab", subject)
    result.compare(
        Measurement("GET /healthz, same server and load (HTTP floor)", len(requests), noop.seconds),
        aim=">= 0.7: a claim costs at most ~40% more than the framework's no-op",
    )
    lua_result = Result("grab_lua", lua)
    lua_result.compare(minimal, aim=">= 0.5")
    checks = {
        "claimed_answers": len(grab.claimed_by),
        "claimed_answers_distinct_fans": len(told),
        "store_claims": stored,
        "store_distinct_fans": distinct,
        "store_fans_equal_told_fans": stored_fans == told,
        "exact": len(grab.claimed_by) == len(told) == stored == distinct == COUPONS
        and stored_fans == told,
    }
    result.details = {
        "fans": FANS,
        "attempts": len(requests),
        "coupons": COUPONS,
        "workers": WORKERS,
        "connections": CONNECTIONS,
        "store": env["SIYU_DATABASE_URL"].split("://")[0],
        "statuses": {str(k): v for k, v in sorted(grab.statuses.items())},
        "attempts_per_second": round(len(requests) / grab.seconds),
        "claims_per_second": round(COUPONS / max(1e-9, grab.last_claim)),
        "sold_out_after_seconds": round(grab.last_claim, 2),
        "p50_ms": round(_percentile(grab.latencies, 0.5), 2),
        "p99_ms": round(_percentile(grab.latencies, 0.99), 2),
        "noop_per_second": round(len(requests) / noop.seconds),
        "noop_p50_ms": round(_percentile(noop.latencies, 0.5), 2),
        "noop_p99_ms": round(_percentile(noop.latencies, 0.99), 2),
        "lua_vs_minimal_evalsha": round(lua.per_second / minimal.per_second, 3),
        **lua_details,
        "checks": checks,
        "setup_seconds": round(setup_seconds, 1),
    }
    if not checks["exact"]:
        raise SystemExit(f"grab outcome is not exact: {checks}")
    return [result, lua_result]
