"""The live leaderboard under a visit storm: 100,000 visits from the links of 20,000 sharers,
each visit an invitee turning into an effective invite (a tenth are the same invitee again,
which must not count twice).

Subject, server mode: the board's merge script (``siyu.live.board.RECORD_SCRIPT``: the invitee
counted once, the count and the tie-break packed into one sorted-set score), one EVALSHA per
visit as the after-commit feed sends it, pipelined 100 deep as concurrent requests would be.
Baseline in the same run, same events, same pipelining: a bare ``ZINCRBY`` per visit (no
de-duplication, no tie-break). The ratio says what exactness costs over the bare counter.

Subject, embedded mode: the SQL path — ``service.record_invite`` per visit (``INSERT … ON
CONFLICT DO NOTHING RETURNING``), 500 visits per transaction, on SQLite (and PostgreSQL when
``SIYU_BENCH_DATABASE_URL`` is set), then the top 100 read back; compared with the same bare
``ZINCRBY``. Every run checks that each engine's top 100 equals the one computed in Python.

Size: ``SIYU_BENCH_LIVE_VISITS`` (default 100,000) and ``SIYU_BENCH_LIVE_SHARERS`` (20,000).
"""

from __future__ import annotations

import os
import random
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.orm import Session, sessionmaker

from benchmarks.bench_points import scratch_store
from benchmarks.runner import Measurement, Result, measure

VISITS = int(os.environ.get("SIYU_BENCH_LIVE_VISITS", "100000"))
SHARERS = int(os.environ.get("SIYU_BENCH_LIVE_SHARERS", "20000"))
REDIS_URL = os.environ.get("SIYU_BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
PIPELINE = 100
PER_TRANSACTION = 500
TOP = 100
LIVE_ID = 900_001  # the Redis keys' live; the store's live is made in its scratch schema


@dataclass(frozen=True)
class Visit:
    sharer: int  # 0..SHARERS-1
    invitee: int  # 0..; repeats are the same invitee again


def storm() -> list[Visit]:
    """Skewed: a few sharers bring most visitors, as on a real board."""
    rng = random.Random(14)
    visits: list[Visit] = []
    for n in range(VISITS):
        if visits and rng.random() < 0.1:
            visits.append(rng.choice(visits))
        else:
            visits.append(Visit(int(SHARERS * rng.random() ** 3), n))
    return visits


def expected_top(visits: list[Visit]) -> list[tuple[int, int]]:
    """(sharer, invites) of the top: count once per invitee, ties to who reached it first."""
    seen: set[int] = set()
    invites: dict[int, int] = {}
    reached: dict[int, int] = {}
    for order, visit in enumerate(visits):
        if visit.invitee in seen:
            continue
        seen.add(visit.invitee)
        invites[visit.sharer] = invites.get(visit.sharer, 0) + 1
        reached[visit.sharer] = order
    ranked = sorted(invites, key=lambda s: (-invites[s], reached[s]))
    return [(s, invites[s]) for s in ranked[:TOP]]


# --- Redis ----------------------------------------------------------------------------------


def _redis() -> Any:
    from redis import Redis

    client = Redis.from_url(REDIS_URL)
    client.ping()
    return client


def redis_script(client: Any, visits: list[Visit]) -> list[tuple[int, int]]:
    from siyu.live import board

    board_key, invitees_key, _ = board.keys(LIVE_ID)
    client.delete(board_key, invitees_key)
    sha = client.script_load(board.RECORD_SCRIPT)
    for start in range(0, len(visits), PIPELINE):
        pipe = client.pipeline(transaction=False)
        for order, visit in enumerate(visits[start : start + PIPELINE], start=start + 1):
            pipe.evalsha(sha, 2, board_key, invitees_key, visit.invitee, visit.sharer, order)
        pipe.execute()
    return [(s.customer_id, s.invites) for s in board.redis_top(client, LIVE_ID, TOP)]


def bare_zincrby(client: Any, visits: list[Visit]) -> None:
    key = f"siyu:bench:{{{LIVE_ID}}}:bare"
    client.delete(key)
    for start in range(0, len(visits), PIPELINE):
        pipe = client.pipeline(transaction=False)
        for visit in visits[start : start + PIPELINE]:
            pipe.zincrby(key, 1, visit.sharer)
        pipe.execute()


# --- the store ----------------------------------------------------------------------------------


def _seed(sessions: sessionmaker[Session], visits: list[Visit]) -> tuple[Any, list[Any], list[int]]:
    """A workspace, a live, sharers and invitees as fans, and each sharer's link (bulk)."""
    from siyu.customers.models import Customer
    from siyu.live import service
    from siyu.live.models import LiveShare
    from siyu.workspace import service as workspaces
    from siyu.workspace.audit import Actor

    actor = Actor("system", label="bench")
    now = datetime.now(UTC)
    invitees = max(v.invitee for v in visits) + 1
    with sessions() as session:
        ws = workspaces.create_workspace(session, "bench-live", "直播压测", actor).id
        rows = [
            {"workspace_id": ws, "first_seen_at": now, "created_at": now, "updated_at": now}
            for _ in range(SHARERS + invitees)
        ]
        for start in range(0, len(rows), 5000):
            session.execute(insert(Customer), rows[start : start + 5000])
        ids = list(session.scalars(text("SELECT id FROM customers ORDER BY id")))
        draft = service.LiveDraft("压测直播", "douyin", now, now + timedelta(hours=3))
        live = service.create_live(session, ws, draft, actor)
        shares = [
            {"workspace_id": ws, "live_id": live.id, "customer_id": ids[s], "code": f"b{s:07d}"}
            for s in range(SHARERS)
        ]
        for start in range(0, len(shares), 5000):
            session.execute(insert(LiveShare), shares[start : start + 5000])
        session.commit()
        loaded = session.query(LiveShare).order_by(LiveShare.customer_id).all()
        return live, loaded, ids


def sql_path(url: str, visits: list[Visit]) -> tuple[Measurement, list[tuple[int, int]]]:
    from siyu.live import board, service

    with scratch_store(url) as sessions:
        live, shares, ids = _seed(sessions, visits)
        sharer_of_customer = {ids[s]: s for s in range(SHARERS)}
        top: list[tuple[int, int]] = []

        def run() -> None:
            for start in range(0, len(visits), PER_TRANSACTION):
                with sessions() as session:
                    for visit in visits[start : start + PER_TRANSACTION]:
                        invitee = ids[SHARERS + visit.invitee]
                        service.record_invite(session, shares[visit.sharer], invitee, "reserved")
                    session.commit()
            with sessions() as session:
                standings = board.sql_top(session, live.workspace_id, live.id, TOP)
                top.extend((sharer_of_customer[s.customer_id], s.invites) for s in standings)

        store = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
        label = f"SQL path on {store}: record_invite per visit, {PER_TRANSACTION} per transaction"
        return measure(label, len(visits), run), top


def run() -> list[Result]:
    from siyu.live import board

    os.environ.pop("SIYU_REDIS_URL", None)  # the SQL path runs as embedded mode does
    visits = storm()
    expected = expected_top(visits)
    client = _redis()
    top: list[tuple[int, int]] = []
    subject = measure(
        "board merge script per visit (EVALSHA, pipelined 100)",
        len(visits),
        lambda: top.extend(redis_script(client, visits)),
    )
    assert top == expected, "the Redis board differs from the recomputation"
    bare = measure(
        "bare ZINCRBY per visit (pipelined 100)", len(visits), lambda: bare_zincrby(client, visits)
    )
    details = {
        "visits": VISITS,
        "sharers": SHARERS,
        "effective_invites": len({v.invitee for v in visits}),
        "pipeline": PIPELINE,
    }
    redis_result = Result("live_board_redis", subject, details=details)
    redis_result.compare(bare, ">= 0.3")
    results = [redis_result]
    urls = [f"sqlite:///{Path(tempfile.mkdtemp(prefix='siyu-bench-live-')) / 'bench.db'}"]
    if os.environ.get("SIYU_BENCH_DATABASE_URL", "").startswith("postgresql"):
        urls.append(os.environ["SIYU_BENCH_DATABASE_URL"])
    for url in urls:
        measurement, sql_top = sql_path(url, visits)
        assert sql_top == expected, f"the SQL board differs from the recomputation ({url})"
        result = Result(
            f"live_board_sql_{url.split(':', 1)[0].split('+')[0]}", measurement, details=details
        )
        result.compare(bare, "embedded mode: a store write per invite")
        result.compare(subject, "the Redis path of the same run")
        results.append(result)
    client.delete(f"siyu:bench:{{{LIVE_ID}}}:bare", *board.keys(LIVE_ID))
    return results
