"""The message pipeline end to end: ``POST /api/v1/messages:batch`` with 100 group messages.

Subject: a real ``siyu serve`` (uvicorn, one worker, SQLite unless SIYU_BENCH_DATABASE_URL)
with 72 groups and 300 auto-reply rules (hand-offs included); each request stores 100 new
messages idempotently, runs the bot, cooldowns, moderation and tickets in one transaction.
Reported: requests per second, and p50/p99 latency per request. Baselines in the same run: the
same server's ``/healthz`` (HTTP floor) and the bare engine, ``decide`` on the same 100
messages in-process with the same rules (matching floor).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import httpx

from benchmarks.runner import Result, measure
from benchmarks.server import running_server, scratch_env
from siyu.community.matching import IncomingMessage, MatchContext, Rule, build_matcher, decide

BATCHES = 150
BATCH = 100
GROUPS = 72
LINES = (
    "今晚几点开播呀",
    "链接在哪里",
    "这个面膜SKU是多少",
    "昨天买的精华收到了 好用",
    "有没有优惠券",
    "宝宝们早上好",
    "求一个同款",
    "主播今天好美",
    "这个适合干皮吗",
    "什么时候补货",
    "姐妹们冲",
    "我的快递没收到",
    "收到的瓶子破损了",
    "加我微信 领福利",
    "打卡",
    "已下单 期待",
)


def _rules() -> list[dict[str, object]]:
    rng = random.Random(3)
    products = [
        "面膜",
        "精华",
        "面霜",
        "口红",
        "洗脸巾",
        "四件套",
        "保温杯",
        "防晒",
        "卸妆油",
        "眼霜",
    ]
    rules: list[dict[str, object]] = []
    for i in range(296):
        product = products[i % len(products)]
        word = rng.choice(["多少钱", "链接", "有货", "补货", "色号", "优惠券", "怎么用"])
        rules.append(
            {
                "name": f"r{i}",
                "match": "all",
                "keywords": [f"{product}{i}", word],
                "reply": f"{product}{i} 见置顶",
            }
        )
    rules.append(
        {"name": "开播", "match": "any", "keywords": ["几点开播", "什么时候播"], "reply": "今晚8点"}
    )
    rules.append({"name": "链接", "match": "any", "keywords": ["链接"], "reply": "置顶有链接"})
    rules.append({"name": "补货", "match": "any", "keywords": ["补货"], "reply": "补货会通知"})
    rules.append(
        {
            "name": "售后",
            "match": "any",
            "keywords": ["没收到", "破损", "退款"],
            "reply": "私聊你处理",
            "kind": "handoff",
            "priority": 10,
        }
    )
    return rules


def _batch(serial: int, rng: random.Random) -> list[dict[str, object]]:
    start = datetime(2026, 11, 20, tzinfo=UTC) + timedelta(minutes=serial)
    return [
        {
            "msg_id": f"b{serial}-{i}",
            "chat": "group",
            "group_ref": f"bench-{rng.randrange(GROUPS)}",
            "sender_ref": f"fan-{rng.randrange(5000)}",
            "sender_role": "staff" if rng.random() < 0.08 else "fan",
            "sent_at": (start + timedelta(milliseconds=i * 300)).isoformat(),
            "text": rng.choice(LINES),
        }
        for i in range(BATCH)
    ]


def _token(env: dict[str, str]) -> str:
    def siyu(*args: str) -> str:
        return subprocess.run(
            [sys.executable, "-m", "siyu.cli", *args],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    siyu("workspace", "create", "bench-ws", "--name", "bench")
    return str(json.loads(siyu("token", "create", "--workspace", "bench-ws", "--json"))["token"])


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run() -> Result:
    env, _tmp = scratch_env(os.environ.get("SIYU_BENCH_DATABASE_URL"))
    secret = _token(env)
    rng = random.Random(11)
    batches = [_batch(n, rng) for n in range(BATCHES)]
    latencies: list[float] = []
    with running_server(env) as base, httpx.Client(base_url=base, timeout=60) as client:
        client.headers["Authorization"] = f"Bearer {secret}"
        for g in range(GROUPS):
            kind = ("general", "regional", "interest", "koc", "vip")[g % 5]
            assert (
                client.post(
                    "/api/v1/groups",
                    json={"name": f"群{g}", "external_ref": f"bench-{g}", "group_type": kind},
                ).status_code
                == 201
            )
        for rule in _rules():
            assert client.post("/api/v1/autoreply/rules", json=rule).status_code == 201
        client.post("/api/v1/messages:batch", json={"messages": _batch(10_000, rng)})  # warm-up
        replies = 0

        def pipeline() -> None:
            nonlocal replies
            for batch in batches:
                began = time.perf_counter()
                response = client.post("/api/v1/messages:batch", json={"messages": batch})
                latencies.append(time.perf_counter() - began)
                replies += len(response.json()["replies"])

        def health() -> None:
            for _ in range(BATCHES):
                client.get("/healthz")

        subject = measure(f"POST /api/v1/messages:batch ({BATCH} messages)", BATCHES, pipeline)
        floor = measure("GET /healthz on the same server (HTTP floor)", BATCHES, health)
    matcher = build_matcher(
        Rule(
            id=str(i),
            name=str(r["name"]),
            match=r["match"],
            keywords=tuple(r["keywords"]),  # type: ignore[arg-type]
            reply=str(r["reply"]),
            kind=r.get("kind", "reply"),
            priority=int(r.get("priority", 0)),  # type: ignore[arg-type]
            created_at=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=i),
        )
        for i, r in enumerate(_rules())
    )
    context = MatchContext()

    def engine() -> None:
        for batch in batches:
            for m in batch:
                decide(
                    matcher,
                    IncomingMessage(
                        text=str(m["text"]),
                        sender_role=m["sender_role"],
                        chat="group",  # type: ignore[arg-type]
                        sent_at=datetime(2026, 11, 20, tzinfo=UTC),
                        group_id="1",
                        group_type="general",
                    ),
                    context,
                )

    result = Result("messages_batch", subject)
    result.compare(floor, aim="informational: the HTTP floor of one request")
    result.compare(
        measure(f"bare decide() on the same {BATCH} messages (matching floor)", BATCHES, engine),
        aim="informational: matching is a small share of a stored, moderated batch",
    )
    result.details = {
        "batches": BATCHES,
        "messages_per_batch": BATCH,
        "groups": GROUPS,
        "rules": len(_rules()),
        "replies_decided": replies,
        "latency_p50_ms": round(_percentile(latencies, 0.50) * 1000, 1),
        "latency_p99_ms": round(_percentile(latencies, 0.99) * 1000, 1),
        "store": env["SIYU_DATABASE_URL"].split(":")[0],
        "transport": "loopback HTTP, one keep-alive connection, uvicorn 1 worker",
    }
    return result
