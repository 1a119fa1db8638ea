"""Points under parallel load: redemptions/s and conversions/s through the service, each a whole
transaction (conditional UPDATEs of balance and stock, lots, ledger entry, redemption row, audit),
on 8 threads with a connection each.

Baseline in the same run, on the same rows and threads: one bare conditional
``UPDATE points_accounts SET balance = balance - 1 WHERE id = :id AND balance >= 1`` per
transaction — the least a correct "spend points" can do on this store. The ratio says what the
ledger (lots, entries, idempotency, audit) costs on top of that floor.

SQLite by default; also PostgreSQL when ``SIYU_BENCH_DATABASE_URL`` is a postgresql URL (run in a
scratch schema that is dropped afterwards).
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from benchmarks.runner import Result, measure

THREADS = 8
FANS = 200
REDEMPTIONS = 2000
CONVERSIONS = 2000
BARE = 2000


@contextmanager
def scratch_store(url: str) -> Iterator[sessionmaker[Session]]:
    from siyu.db import make_engine
    from siyu.migrations import upgrade

    engine: Engine
    admin: Engine | None = None
    schema = f"siyu_bench_{uuid.uuid4().hex[:8]}"
    if url.startswith("postgresql"):
        admin = make_engine(url)
        with admin.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    else:
        engine = make_engine(url)
    with engine.connect() as connection:
        upgrade(connection=connection)
        connection.commit()
    try:
        yield sessionmaker(bind=engine, expire_on_commit=False)
    finally:
        engine.dispose()
        if admin is not None:
            with admin.begin() as connection:
                connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            admin.dispose()


def _parallel(calls: int, action: Callable[[int], object]) -> None:
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        for outcome in pool.map(action, range(calls)):
            assert outcome is not None


def _seed(sessions: sessionmaker[Session]) -> tuple[int, list[int], int, list[tuple[int, str]]]:
    from siyu.loyalty import mall as loyalty_mall
    from siyu.loyalty import service
    from siyu.orders.models import Order
    from siyu.orders.schemas import OrderIn
    from siyu.orders.service import record_orders
    from siyu.workspace import service as workspaces
    from siyu.workspace.audit import Actor

    actor = Actor("system", label="bench")
    paid = datetime.now(UTC) - timedelta(days=3)
    with sessions() as session:
        ws = workspaces.create_workspace(session, "bench-points", "积分压测", actor).id
        orders = [
            OrderIn.model_validate(
                {
                    "platform": "taobao",
                    "order_no": f"B{n:07d}",
                    "buyer_id": f"buyer-{n % FANS}",
                    "status": "completed",
                    "paid_at": paid,
                    "paid_amount_fen": 10_000 + n,
                }
            )
            for n in range(CONVERSIONS + FANS)
        ]
        for start in range(0, len(orders), 1000):
            record_orders(session, ws, orders[start : start + 1000], actor)
        rows = session.execute(
            select(Order.customer_id, Order.order_no)
            .where(Order.workspace_id == ws)
            .order_by(Order.id)
        ).all()
        fans = sorted({int(c) for c, _ in rows})
        for customer_id in fans:
            service.adjust(
                session, ws, customer_id, 1_000_000, "bench", actor, f"seed-{customer_id}"
            )
        item = loyalty_mall.create_item(
            session,
            ws,
            {
                "name": "洗脸巾",
                "shelf": "essentials",
                "points_price": 10,
                "stock": 10**6,
                "virtual": True,
            },
            actor,
        ).id
        session.commit()
    return ws, fans, item, [(int(c), n) for c, n in rows[:CONVERSIONS]]


def _run_store(url: str, store: str) -> list[Result]:
    from siyu.loyalty import conversions as loyalty_conversions
    from siyu.loyalty import mall as loyalty_mall
    from siyu.loyalty import reports as loyalty_reports
    from siyu.workspace.audit import Actor

    actor = Actor("system", label="bench")
    with scratch_store(url) as sessions:
        ws, fans, item, orders = _seed(sessions)

        def redeem(i: int) -> int:
            with sessions() as session:
                redemption, _ = loyalty_mall.redeem(
                    session, ws, fans[i % len(fans)], item, 1, f"bench-{i}", actor
                )
                session.commit()
                return redemption.id

        def convert(i: int) -> int:
            customer_id, number = orders[i]
            with sessions() as session:
                result = loyalty_conversions.convert_order(
                    session, ws, customer_id, "taobao", number, actor
                )
                session.commit()
                return result.points

        engine = sessions.kw["bind"]
        with engine.connect() as connection:
            account_ids = [
                int(row[0])
                for row in connection.execute(
                    text("SELECT id FROM points_accounts WHERE workspace_id = :ws ORDER BY id"),
                    {"ws": ws},
                )
            ]

        def bare(i: int) -> int:
            with engine.begin() as connection:
                result = connection.execute(
                    text(
                        "UPDATE points_accounts SET balance = balance - 1"
                        " WHERE id = :id AND balance >= 1"
                    ),
                    {"id": account_ids[i % len(account_ids)]},
                )
                assert result.rowcount == 1
                return 1

        redemptions = measure(
            f"loyalty_mall.redeem, {THREADS} threads ({store})",
            REDEMPTIONS,
            lambda: _parallel(REDEMPTIONS, redeem),
        )
        conversions = measure(
            f"loyalty_conversions.convert_order, {THREADS} threads ({store})",
            CONVERSIONS,
            lambda: _parallel(CONVERSIONS, convert),
        )
        with sessions() as session:
            # The bare UPDATEs below bypass the ledger on purpose: check before them.
            assert loyalty_reports.check_invariants(session, ws) == []
        floor = measure(
            f"bare conditional UPDATE of the same accounts, {THREADS} threads ({store})",
            BARE,
            lambda: _parallel(BARE, bare),
        )
    details = {"threads": THREADS, "fans": len(fans), "store": store}
    results = []
    for name, subject in (("points_redemptions", redemptions), ("points_conversions", conversions)):
        result = Result(f"{name}_{store}", subject, details=dict(details))
        result.compare(
            floor,
            aim=">= 0.05: a whole ledger transaction (about a dozen statements) against one bare UPDATE",
        )
        results.append(result)
    return results


def run() -> list[Result]:
    os.environ.setdefault("SIYU_ENV", "development")
    folder = Path(tempfile.mkdtemp(prefix="siyu-bench-points-"))
    results = _run_store(f"sqlite:///{folder / 'bench.db'}", "sqlite")
    url = os.environ.get("SIYU_BENCH_DATABASE_URL", "")
    if url.startswith("postgresql"):
        results += _run_store(url, "postgresql")
    return results
