"""Referral tree writes: 100,000 referrals inserted into ``referrals`` with every guard the
store keeps (the composite foreign key to the inviter's own row and depth, the depth CHECKs,
one place per fan), against the same rows inserted in the same run into a bare table of the
same columns with no constraint but its primary key. The ratio is what the store-side depth
cap costs per row. A third figure: referrals through ``service.refer`` one transaction each
(settings, both fans checked, the inviter's row ensured, the audit entry), against one bare
single-row INSERT per transaction into the bare table, serially as well.

The tree: 20,000 fans at the top, 50,000 invited by them and 30,000 at the second level, in
chunks of 5,000 rows per transaction (parents before children, as the key requires).

SQLite by default; also PostgreSQL when ``SIYU_BENCH_DATABASE_URL`` is a postgresql URL (a
scratch schema, dropped afterwards).
"""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select, text
from sqlalchemy.orm import Session, sessionmaker

from benchmarks.bench_points import _store
from benchmarks.runner import Result, measure

ROOTS = 20_000
FIRST = 50_000
SECOND = 30_000
CHUNK = 5_000
SERVICE_CALLS = 2_000
COLUMNS = "workspace_id, customer_id, inviter_id, inviter_depth, depth, source, created_at"


def _fans(sessions: sessionmaker[Session], count: int) -> tuple[int, list[int]]:
    from siyu.customers.models import Customer
    from siyu.workspace import service as workspaces
    from siyu.workspace.audit import Actor

    now = datetime.now(UTC)
    with sessions() as session:
        ws = workspaces.create_workspace(
            session, "bench-referral", "老带新压测", Actor("system")
        ).id
        for start in range(0, count, CHUNK):
            rows = [
                {"workspace_id": ws, "display_name": f"粉丝{n}", "first_seen_at": now}
                for n in range(start, min(start + CHUNK, count))
            ]
            session.execute(insert(Customer), rows)
        session.commit()
        ids = list(session.scalars(select(Customer.id).where(Customer.workspace_id == ws)))
    return ws, sorted(ids)


def _tree(ws: int, fans: list[int]) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    roots = fans[:ROOTS]
    first = fans[ROOTS : ROOTS + FIRST]
    second = fans[ROOTS + FIRST : ROOTS + FIRST + SECOND]

    def row(fan: int, inviter: int | None, depth: int) -> dict[str, Any]:
        parent_depth = None if inviter is None else depth - 1
        return {
            "workspace_id": ws,
            "customer_id": fan,
            "inviter_id": inviter,
            "inviter_depth": parent_depth,
            "depth": depth,
            "source": "api",
            "created_at": now,
        }

    rows = [row(fan, None, 0) for fan in roots]
    rows += [row(fan, roots[i % ROOTS], 1) for i, fan in enumerate(first)]
    rows += [row(fan, first[i % FIRST], 2) for i, fan in enumerate(second)]
    return rows


def _insert_all(engine: Engine, table: str, rows: list[dict[str, Any]]) -> None:
    values = ", ".join(f":{c.strip()}" for c in COLUMNS.split(","))
    statement = text(f"INSERT INTO {table} ({COLUMNS}) VALUES ({values})")
    for start in range(0, len(rows), CHUNK):
        with engine.begin() as connection:
            connection.execute(statement, rows[start : start + CHUNK])


def _bare_table(engine: Engine) -> None:
    key = "BIGSERIAL" if engine.dialect.name == "postgresql" else "INTEGER"
    with engine.begin() as connection:
        connection.execute(
            text(
                f"CREATE TABLE bare_referrals (id {key} PRIMARY KEY, workspace_id BIGINT,"
                " customer_id BIGINT, inviter_id BIGINT, inviter_depth INTEGER,"
                " depth INTEGER, source VARCHAR(8), created_at TIMESTAMP WITH TIME ZONE)"
            )
        )


def _run_store(url: str, store: str) -> list[Result]:
    from siyu.referral import service
    from siyu.workspace.audit import Actor

    total = ROOTS + FIRST + SECOND
    with _store(url) as sessions:
        ws, fans = _fans(sessions, total + 2 * SERVICE_CALLS)
        engine: Engine = sessions.kw["bind"]
        rows = _tree(ws, fans)
        _bare_table(engine)
        guarded = measure(
            f"INSERT into referrals with the depth key and CHECKs ({store})",
            total,
            lambda: _insert_all(engine, "referrals", rows),
        )
        bare = measure(
            f"INSERT into a bare table of the same columns ({store})",
            total,
            lambda: _insert_all(engine, "bare_referrals", rows),
        )
        spare = fans[total:]
        actor = Actor("system", label="bench")

        def refer_all() -> None:
            for i in range(SERVICE_CALLS):
                with sessions() as session:
                    service.refer(session, ws, spare[2 * i], spare[2 * i + 1], actor)
                    session.commit()

        through_service = measure(
            f"service.refer, one transaction each ({store})", SERVICE_CALLS, refer_all
        )
        one_row = rows[:SERVICE_CALLS]
        bare_single = measure(
            f"one bare INSERT per transaction ({store})",
            SERVICE_CALLS,
            lambda: [_insert_all(engine, "bare_referrals", [row]) for row in one_row],
        )
        with engine.connect() as connection:
            deepest = connection.execute(
                text("SELECT max(depth) FROM referrals WHERE workspace_id = :ws"), {"ws": ws}
            ).scalar_one()
        assert deepest == 2
    details = {"rows": total, "chunk": CHUNK, "store": store}
    table = Result(f"referral_inserts_{store}", guarded, details=dict(details))
    table.compare(bare, aim=">= 0.5: the depth key and CHECKs at most double a row's cost")
    single = Result(f"referral_service_{store}", through_service, details=dict(details))
    single.compare(bare_single, aim=">= 0.05: a whole audited transaction against one INSERT")
    return [table, single]


def run() -> list[Result]:
    os.environ.setdefault("SIYU_ENV", "development")
    folder = Path(tempfile.mkdtemp(prefix="siyu-bench-referral-"))
    results = _run_store(f"sqlite:///{folder / 'bench.db'}", "sqlite")
    url = os.environ.get("SIYU_BENCH_DATABASE_URL", "")
    if url.startswith("postgresql"):
        results += _run_store(url, "postgresql")
    return results
