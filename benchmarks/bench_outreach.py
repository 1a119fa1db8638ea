"""Planning a broadcast: fans/s through ``outreach.service.plan_audience`` — the segment's
members read in keyset batches, marketing consent and unsubscribes, the split by operator, the
quota ledger's grouped pass over the week's receipts (a tenth of the fans already got one today
and the workspace caps one a week), and the stable holdout hash of every fan.

Baseline in the same run, on the same store and fans: one bare ``SELECT id, consent_marketing
FROM customers WHERE workspace_id = :ws`` fetched whole — the least any plan must read. The
ratio says what planning costs on top of that pass.

SQLite. ``SIYU_BENCH_OUTREACH_FANS`` sets the number of fans (default 1,000,000).
"""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from benchmarks.runner import Result, measure

FANS = int(os.environ.get("SIYU_BENCH_OUTREACH_FANS", "1000000"))
CHUNK = 50_000


def _seed(sessions: sessionmaker[Session]) -> tuple[int, int]:
    from siyu.customers.models import Customer
    from siyu.kit.bulk import insert_rows
    from siyu.outreach import ledger, service
    from siyu.segments import service as segments
    from siyu.workspace import service as workspaces
    from siyu.workspace.audit import Actor
    from siyu.workspace.models import Role

    actor = Actor("system", label="bench")
    now = datetime.now(UTC)
    with sessions() as session:
        workspace = workspaces.create_workspace(session, "bench-outreach", "群发压测", actor)
        for n in range(4):
            workspaces.create_operator(
                session, workspace, f"op{n}@bench.local", Role.operator, actor, password="x" * 12
            )
        ws = workspace.id
        for start in range(0, FANS, CHUNK):
            rows = [
                {
                    "workspace_id": ws,
                    "display_name": f"粉丝{n}",
                    "first_seen_at": now,
                    "consent_marketing": n % 10 != 0,
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(start, min(FANS, start + CHUNK))
            ]
            insert_rows(session, Customer.__table__, rows)  # type: ignore[arg-type]
        session.flush()
        ids = list(
            session.scalars(text("SELECT id FROM customers WHERE workspace_id = :ws"), {"ws": ws})
        )
        ledger.record(session, ws, "broadcast", 1, "wecom_single", ids[::10], now)
        service.put_settings(session, ws, "daily", 1, actor)
        segment = segments.create_segment(session, ws, name="全部", filter_text="", actor=actor)
        session.commit()
        return ws, segment.id


def run() -> list[Result]:
    os.environ.setdefault("SIYU_ENV", "development")
    from siyu.db import make_engine
    from siyu.migrations import upgrade
    from siyu.outreach import service
    from siyu.outreach.channels import OperatorTaskChannel

    folder = Path(tempfile.mkdtemp(prefix="siyu-bench-outreach-"))
    engine = make_engine(f"sqlite:///{folder / 'bench.db'}")
    with engine.connect() as connection:
        upgrade(connection=connection)
        connection.commit()
    sessions = sessionmaker(bind=engine, expire_on_commit=False)
    ws, segment_id = _seed(sessions)
    plans = []

    def plan() -> None:
        with sessions() as session:
            ids = service.segment_member_ids(session, ws, segment_id)
            plans.append(
                service.plan_audience(
                    session,
                    ws,
                    ids,
                    OperatorTaskChannel(),
                    holdout_percent=10,
                    salt="broadcast:bench",
                    at=datetime.now(UTC),
                )
            )

    def bare() -> None:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT id, consent_marketing FROM customers WHERE workspace_id = :ws"),
                {"ws": ws},
            ).fetchall()
            assert len(rows) == FANS

    bare()  # both read a warm page cache: the plan runs second
    floor = measure("one bare SELECT of the same fans (sqlite)", FANS, bare)
    subject = measure(
        "plan a broadcast: members, consent, split, quota ledger, holdout (sqlite)", FANS, plan
    )
    (made,) = plans
    details = {
        "fans": FANS,
        "store": "sqlite",
        "planned": made.count("planned"),
        "quota_blocked": made.count("quota_blocked"),
        "held_out": made.count("held_out"),
        "no_consent": made.count("no_consent"),
    }
    result = Result("outreach_plan_sqlite", subject, details=details)
    result.compare(
        floor, aim=">= 0.05: a whole plan (a dozen reads and a hash per fan) against one bare pass"
    )
    engine.dispose()
    return [result]
