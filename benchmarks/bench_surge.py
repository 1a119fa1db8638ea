"""The live-room surge: a coupon drop while an import and the operators' reads go on.

A real ``siyu serve --workers N`` in each mode (SQLite embedded; PostgreSQL + Redis with the
stream consumer). At the same time:
* the grab: F fans each press twice for C coupons, at K concurrent keep-alive connections, half
  of the attempts through the API (token, ``POST /api/v1/coupon-campaigns/{id}/claims``) and
  half through the fan page (signed cookie, ``POST /h5/coupons/{id}/claim``);
* an import of R order rows (``siyu import orders``, one file, whole or nothing);
* 20 clients reading fan profiles and fan lists through the API.

The grab runs in slices alternated with slices of ``/healthz`` at the same concurrency under the
same background load; the ratio is grab attempts/s ÷ healthz requests/s (aim ≥ 0.7, issue 6).

Reported per mode: claims exact (201 answers, stored claims, distinct fans and the fans told
"claimed" all agree on C), 5xx other than 503 (must be 0), 503 (the stated, bounded refusal), p50/p99 latency of claims and of reads, the ratio,
and how the import ended. A request unanswered after 60 s counts as a timeout.

Size (environment): ``SIYU_BENCH_SURGE_FANS`` (5,000), ``…_COUPONS`` (1,000),
``…_CONNECTIONS`` (200), ``…_IMPORT_ROWS`` (100,000), ``…_READERS`` (20), ``…_WORKERS`` (2),
``…_MODES`` (``sqlite,postgresql``). ``SIYU_BENCH_SURGE_SOURCE`` serves another checkout's
``src`` (e.g. main, for "before" figures) and ``SIYU_BENCH_SURGE_LABEL`` suffixes the result
names. PostgreSQL: ``SIYU_BENCH_DATABASE_URL`` (a scratch schema is made in it); Redis:
``SIYU_BENCH_REDIS_URL`` (flushed).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from benchmarks.bench_import_orders import export_file
from benchmarks.grab_setup import GrabScene, grab_scene
from benchmarks.runner import Measurement, Result
from benchmarks.server import scratch_env, serving


def _int(name: str, default: int) -> int:
    return int(os.environ.get(f"SIYU_BENCH_SURGE_{name}", default))


FANS = _int("FANS", 5000)
COUPONS = _int("COUPONS", 1000)
CONNECTIONS = _int("CONNECTIONS", 200)
IMPORT_ROWS = _int("IMPORT_ROWS", 100_000)
READERS = _int("READERS", 20)
WORKERS = _int("WORKERS", 2)
MODES = os.environ.get("SIYU_BENCH_SURGE_MODES", "sqlite,postgresql").split(",")
SOURCE = os.environ.get("SIYU_BENCH_SURGE_SOURCE")
LABEL = os.environ.get("SIYU_BENCH_SURGE_LABEL", "")
REDIS_URL = os.environ.get("SIYU_BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
POSTGRES_URL = os.environ.get(
    "SIYU_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
SLUG = "bench-surge"
ROUNDS = 5
REQUEST_TIMEOUT = 60.0


# --- a keep-alive HTTP/1.1 load generator ------------------------------------------------------


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)  # 0: timed out or connection lost
    claimed_by: list[int] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, status: int, seconds: float) -> None:
        self.latencies.append(seconds)
        self.statuses[status] = self.statuses.get(status, 0) + 1

    def merge(self, other: Tally) -> None:
        self.latencies += other.latencies
        self.claimed_by += other.claimed_by
        self.seconds += other.seconds
        for status, n in other.statuses.items():
            self.statuses[status] = self.statuses.get(status, 0) + n


class Connection:
    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def send(self, request: bytes) -> int:
        """The status of one request; 0 when it timed out or the connection was lost."""
        try:
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
            assert self.reader is not None
            self.writer.write(request)
            return await asyncio.wait_for(_status(self.reader), REQUEST_TIMEOUT)
        except (TimeoutError, OSError, asyncio.IncompleteReadError):
            self.close()
            return 0

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def _status(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    length, chunked = 0, False
    for line in head.split(b"\r\n"):
        lowered = line.lower()
        if lowered.startswith(b"content-length:"):
            length = int(line[15:])
        elif lowered.startswith(b"transfer-encoding:") and b"chunked" in lowered:
            chunked = True
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return int(head[9:12])


async def _drain(port: int, queue: list[tuple[int, bytes]], tally: Tally, width: int) -> None:
    async def worker() -> None:
        connection = Connection(port)
        try:
            while queue:
                fan, request = queue.pop()
                started = time.perf_counter()
                status = await connection.send(request)
                tally.add(status, time.perf_counter() - started)
                if status == 201:
                    tally.claimed_by.append(fan)
        finally:
            connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(width)))
    tally.seconds += time.perf_counter() - started


async def _read_until(port: int, requests: list[bytes], stop: asyncio.Event, tally: Tally) -> None:
    connection = Connection(port)
    rng = random.Random(len(requests))
    try:
        while not stop.is_set():
            started = time.perf_counter()
            status = await connection.send(rng.choice(requests))
            tally.add(status, time.perf_counter() - started)
    finally:
        connection.close()


# --- set-up in this process, on the scratch store ----------------------------------------------


def _claim_requests(scene: GrabScene) -> list[tuple[int, bytes]]:
    """Every fan twice, shuffled; even attempts through the API, odd ones through the fan page."""
    from siyu.customers.fan_links import (
        FAN_COOKIE,
        FanClaim,
        csrf_for_fan_cookie,
        sign_fan_session,
    )
    from siyu.kit.clock import utcnow

    expiry = (utcnow() + timedelta(hours=2)).replace(microsecond=0)
    order = list(range(len(scene.fans))) * 2
    random.Random(11).shuffle(order)
    requests = []
    for n, i in enumerate(order):
        fan = scene.fans[i]
        if n % 2 == 0:
            body = json.dumps({"customer_id": fan}).encode()
            head = (
                f"POST /api/v1/coupon-campaigns/{scene.campaign_id}/claims HTTP/1.1\r\n"
                f"Host: 127.0.0.1\r\nAuthorization: Bearer {scene.token}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            )
            requests.append((i, head.encode() + body))
        else:
            cookie = sign_fan_session(FanClaim(scene.workspace_id, fan, expiry))
            head = (
                f"POST /h5/coupons/{scene.campaign_id}/claim HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Accept: application/json\r\nContent-Length: 0\r\n"
                f"Cookie: {FAN_COOKIE}={cookie}\r\n"
                f"X-CSRF-Token: {csrf_for_fan_cookie(cookie)}\r\n\r\n"
            )
            requests.append((i, head.encode()))
    return requests


def _read_requests(scene: GrabScene) -> list[bytes]:
    auth = f"Host: 127.0.0.1\r\nAuthorization: Bearer {scene.token}\r\n\r\n"
    profiles = [f"GET /api/v1/customers/{fan} HTTP/1.1\r\n{auth}" for fan in scene.fans[:500]]
    lists = [f"GET /api/v1/customers?limit=50 HTTP/1.1\r\n{auth}"] * len(profiles)
    return [r.encode() for r in profiles + lists]


HEALTHZ = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


# --- processes ---------------------------------------------------------------------------------


def _child_env(env: dict[str, str]) -> dict[str, str]:
    if not SOURCE:
        return env
    return env | {"PYTHONPATH": os.pathsep.join(filter(None, [SOURCE, env.get("PYTHONPATH")]))}


@contextmanager
def _server(env: dict[str, str], log: Path) -> Iterator[int]:
    with serving(_child_env(env), WORKERS, log) as port:
        yield port


@contextmanager
def _consumer(env: dict[str, str], server_mode: bool) -> Iterator[None]:
    if not server_mode:
        yield
        return
    process = subprocess.Popen(
        [sys.executable, "-m", "siyu.cli", "coupons", "consume", "--name", "surge"],
        env=_child_env(env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        process.terminate()
        process.wait(timeout=60)


# --- the run -----------------------------------------------------------------------------------


@dataclass
class Outcome:
    claims: Tally = field(default_factory=Tally)
    healthz: Tally = field(default_factory=Tally)
    reads: Tally = field(default_factory=Tally)
    import_seconds: float = 0.0
    import_exit: int | None = None
    import_summary: dict[str, Any] = field(default_factory=dict)


async def _surge(port: int, scene: GrabScene, env: dict[str, str], export: Path) -> Outcome:
    outcome = Outcome()
    stop = asyncio.Event()
    readers = [
        asyncio.create_task(_read_until(port, _read_requests(scene), stop, outcome.reads))
        for _ in range(READERS)
    ]
    started = time.perf_counter()
    importer = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "siyu.cli",
        "import",
        "orders",
        str(export),
        "--workspace",
        SLUG,
        "--json",
        env=_child_env(env),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    requests = _claim_requests(scene)
    size = -(-len(requests) // ROUNDS)
    for start in range(0, len(requests), size):
        part = requests[start : start + size]
        await _drain(port, list(reversed(part)), outcome.claims, CONNECTIONS)
        await _drain(port, [(0, HEALTHZ)] * len(part), outcome.healthz, CONNECTIONS)
    out, _ = await importer.communicate()
    outcome.import_seconds = time.perf_counter() - started
    outcome.import_exit = importer.returncode
    lines = out.decode().strip().splitlines()
    outcome.import_summary = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {}
    stop.set()
    await asyncio.gather(*readers)
    return outcome


def _stored_claims(campaign_id: int, expected: int, server_mode: bool) -> tuple[int, set[int]]:
    from sqlalchemy import select

    from siyu.coupons.models import CouponClaim
    from siyu.db import database

    deadline = time.monotonic() + (120 if server_mode else 0)
    while True:
        with database.session(read_only=True) as session:
            fans = list(
                session.scalars(
                    select(CouponClaim.customer_id).where(CouponClaim.campaign_id == campaign_id)
                )
            )
        if len(fans) >= expected or time.monotonic() >= deadline:
            return len(fans), set(fans)
        time.sleep(0.5)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1) if ordered else 0


def _mode(mode: str) -> Result:
    server_mode = mode == "postgresql"
    schema = f"bench_surge_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    if server_mode:
        from benchmarks.bench_import_orders import _create_schema, _in_schema

        _create_schema(POSTGRES_URL, schema)
        env, tmp = scratch_env(_in_schema(POSTGRES_URL, schema))
        from redis import Redis

        Redis.from_url(REDIS_URL).flushdb()
        env.update(SIYU_REDIS_URL=REDIS_URL)
    else:
        env, tmp = scratch_env()
    env.update(SIYU_GRAB_IP_ATTEMPTS_PER_SECOND="0")  # every fan here shares 127.0.0.1
    try:
        scene = grab_scene(env, SLUG, "直播间压测", FANS, COUPONS)
        export = export_file(IMPORT_ROWS)
        with _consumer(env, server_mode), _server(env, tmp / "serve.log") as port:
            asyncio.run(_drain(port, [(0, HEALTHZ)] * 500, Tally(), 20))  # warm the workers
            outcome = asyncio.run(_surge(port, scene, env, export))
            stored, stored_fans = _stored_claims(scene.campaign_id, COUPONS, server_mode)
        return _result(mode, scene, outcome, stored, stored_fans)
    finally:
        if server_mode:
            from benchmarks.bench_import_orders import _drop_schema

            _drop_schema(POSTGRES_URL, schema)


def _result(
    mode: str, scene: GrabScene, outcome: Outcome, stored: int, stored_fans: set[int]
) -> Result:
    claims, reads, healthz = outcome.claims, outcome.reads, outcome.healthz
    told = {scene.fans[i] for i in claims.claimed_by}
    exact = (
        len(claims.claimed_by) == COUPONS
        and stored == COUPONS
        and len(stored_fans) == COUPONS
        and told == stored_fans
    )
    tallies = (claims, reads, healthz)
    fives = sum(n for t in tallies for s, n in t.statuses.items() if s >= 500 and s != 503)
    subject = Measurement(
        f"grab attempts (API + fan page) at {CONNECTIONS} connections, {mode}, beside an "
        f"import of {IMPORT_ROWS:,} rows and {READERS} readers",
        len(claims.latencies),
        claims.seconds,
    )
    result = Result(
        f"surge_{mode}{LABEL}",
        subject,
        details={
            "mode": mode,
            "workers": WORKERS,
            "fans": FANS,
            "coupons": COUPONS,
            "claims_exact": exact,
            "claimed_answers": len(claims.claimed_by),
            "claims_stored": stored,
            "http_5xx_except_503": fives,
            "http_503": sum(t.statuses.get(503, 0) for t in tallies),
            "timeouts": sum(t.statuses.get(0, 0) for t in tallies),
            "claim_statuses": _sorted(claims.statuses),
            "read_statuses": _sorted(reads.statuses),
            "healthz_statuses": _sorted(healthz.statuses),
            "claim_p50_ms": _percentile(claims.latencies, 0.5),
            "claim_p99_ms": _percentile(claims.latencies, 0.99),
            "read_p50_ms": _percentile(reads.latencies, 0.5),
            "read_p99_ms": _percentile(reads.latencies, 0.99),
            "reads": len(reads.latencies),
            "import_exit": outcome.import_exit,
            "import_seconds": round(outcome.import_seconds, 1),
            "import_rows_read": outcome.import_summary.get("rows_read"),
            "source": SOURCE or "this checkout",
            "note": "shared 2-core machine: noisy; rerun on a quiet one",
        },
    )
    result.compare(
        Measurement("/healthz, same server, same load", len(healthz.latencies), healthz.seconds),
        ">= 0.7",
    )
    print(json.dumps(result.details, ensure_ascii=False))
    return result


def _sorted(statuses: dict[int, int]) -> dict[str, int]:
    return {str(k): v for k, v in sorted(statuses.items())}


def run() -> list[Result]:
    return [_mode(mode.strip()) for mode in MODES if mode.strip()]
