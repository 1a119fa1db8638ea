"""The analytics refresh against a real store, end to end, and segment counts in the store.

Subject ``analytics_store_refresh``: ``refresh_workspace`` on a workspace of synthetic fans and
orders: read the orders and fans into Arrow, compute metrics, RFM (both schemes), life cycle,
activity, KOC and the BG/NBD fit, assemble, and write one metrics row per fan back, plus the
reports. Baselines in the same run, on the same store:

(a) reading the same orders into Arrow, alone (the data-movement floor of any refresh);
(b) one hand-written DuckDB query computing metrics + RFM over that Arrow data (the engine floor);
(c) the same orders read through the driver cursor as Python tuples (the path the columnar
    reader replaced on PostgreSQL; on SQLite it is the reader).

The refresh's own reads (orders, fans, previous stages, events, group activity) are timed
inside the refresh and reported apart: ``details.refresh_read_seconds`` and its share of the
refresh, with the reader that served them (``read_path``).

Subject ``analytics_store_segment_count``: ``segments.count_matching`` (parse, compile, run) for
a filter over fans and their metrics, against the bare SQL count it compiles to, run through
the same connection.

Store: ``SIYU_BENCH_DATABASE_URL`` (default: a fresh SQLite file under var/bench). Sizes:
``SIYU_BENCH_STORE_CUSTOMERS`` (default 200,000) and ``SIYU_BENCH_STORE_ORDERS`` (default
2,000,000).
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from benchmarks.bench_analytics import AS_OF, TZ, hand_written, peak_rss_mib, synthetic_orders
from benchmarks.runner import Measurement, Result, measure, report
from siyu.analytics import store
from siyu.analytics.refresh import refresh_workspace
from siyu.db import make_engine
from siyu.migrations import upgrade
from siyu.segments import service as segments

SEGMENT_FILTER = 'orders >= 2 and days_since_last_order <= 90 and platform = "douyin"'
COUNTS = 10
NOW = datetime(2026, 11, 11, tzinfo=UTC)


@contextmanager
def scratch_session() -> Iterator[tuple[Session, str]]:
    url = os.environ.get("SIYU_BENCH_DATABASE_URL")
    if url and url.startswith("postgresql"):
        schema = f"siyu_bench_{uuid.uuid4().hex[:8]}"
        admin = make_engine(url)
        with admin.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
        cleanup = lambda: _drop_schema(admin, schema)  # noqa: E731
    else:
        folder = Path("var/bench") / f"analytics-{uuid.uuid4().hex[:8]}"
        folder.mkdir(parents=True)
        engine = make_engine(f"sqlite:///{folder / 'store.db'}")
        cleanup = lambda: shutil.rmtree(folder, ignore_errors=True)  # noqa: E731
    try:
        with engine.connect() as connection:
            upgrade(connection=connection)
            connection.commit()
        session = sessionmaker(bind=engine)()
        try:
            yield session, engine.dialect.name
        finally:
            session.close()
            engine.dispose()
    finally:
        cleanup()


def _drop_schema(admin: object, schema: str) -> None:
    with admin.begin() as connection:  # type: ignore[attr-defined]
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()  # type: ignore[attr-defined]


def _stamp(dialect: str, moments: pa.Array) -> list[object]:
    if dialect == "sqlite":
        import pyarrow.compute as pc

        return pc.strftime(moments, format="%Y-%m-%d %H:%M:%S").to_pylist()
    return moments.to_pylist()


def populate(session: Session, dialect: str, orders: pa.Table, customers: int) -> int:
    """Fans, one identity each and their orders, inserted through the driver in bulk."""
    connection = session.connection()
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    now = NOW.strftime("%Y-%m-%d %H:%M:%S.%f") if dialect == "sqlite" else NOW

    def insert(table: str, columns: tuple[str, ...], rows: Iterator[tuple[object, ...]]) -> None:
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([marker] * len(columns))})"
        batch: list[tuple[object, ...]] = []
        for row in rows:
            batch.append(row)
            if len(batch) == 50_000:
                connection.exec_driver_sql(sql, batch)
                batch.clear()
        if batch:
            connection.exec_driver_sql(sql, batch)

    workspace_id = connection.exec_driver_sql(
        f"INSERT INTO workspaces (slug, name, timezone, settings, created_at) "
        f"VALUES ({marker}, {marker}, {marker}, {marker}, {marker}) RETURNING id",
        ("bench", "bench", TZ, "{}", now),
    ).scalar_one()
    ids = range(1, customers + 1)
    insert(
        "customers",
        ("id", "workspace_id", "first_seen_at", "consent_marketing", "created_at", "updated_at"),
        ((i, workspace_id, now, False, now, now) for i in ids),
    )
    platforms = ["douyin", "taobao", "kuaishou", "xiaohongshu", "youzan"]
    insert(
        "customer_identities",
        ("workspace_id", "customer_id", "platform", "external_id", "source", "created_at"),
        ((workspace_id, i, platforms[i % 5], f"fan{i}", "import", now) for i in ids),
    )
    paid_at = _stamp(dialect, orders.column("paid_at").combine_chunks())
    columns = [
        orders.column(name).to_pylist()
        for name in ("customer_id", "paid_amount_fen", "refund_amount_fen", "platform")
    ]
    order_rows = (
        (
            workspace_id,
            cid,
            platform if platform != "weixin" else "youzan",
            f"B{n}",
            "completed" if paid else "created",
            "none",
            amount if paid else 0,
            refund,
            paid,
            1,
            "x",
            "{}",
            now,
            now,
        )
        for n, (cid, amount, refund, platform, paid) in enumerate(
            zip(*columns, paid_at, strict=True)
        )
    )
    insert(
        "orders",
        (
            "workspace_id",
            "customer_id",
            "platform",
            "order_no",
            "status",
            "refund_state",
            "paid_amount_fen",
            "refund_amount_fen",
            "paid_at",
            "item_count",
            "content_hash",
            "raw",
            "created_at",
            "updated_at",
        ),
        order_rows,
    )
    session.commit()
    return int(workspace_id)


def run() -> list[Result]:
    customers = int(os.environ.get("SIYU_BENCH_STORE_CUSTOMERS", 200_000))
    orders_n = int(os.environ.get("SIYU_BENCH_STORE_ORDERS", 2_000_000))
    orders = synthetic_orders(customers, orders_n)
    with scratch_session() as (session, dialect):
        started = time.perf_counter()
        workspace_id = populate(session, dialect, orders, customers)
        populate_seconds = time.perf_counter() - started

        read_holder: list[pa.Table] = []
        read = measure(
            "read the paid orders into Arrow, alone",
            orders_n,
            lambda: read_holder.append(store.read_paid_orders(session, workspace_id)),
        )
        engine = measure(
            "one hand-written DuckDB query (metrics + RFM) over that Arrow data",
            orders_n,
            lambda: hand_written(read_holder[0]),
        )
        tuples = _cursor_read(session, workspace_id, orders_n)
        summaries = []
        reads: dict[str, float] = {}

        def refresh() -> None:
            with _timed_reads(reads):
                summary = refresh_workspace(session, workspace_id, AS_OF, committed_only=True)
                summaries.append(summary)
            session.commit()

        subject = measure(
            f"refresh_workspace end to end ({dialect}, {orders_n:,} orders)", orders_n, refresh
        )
        subject.peak_memory_mb = peak_rss_mib()
        result = Result(f"analytics_store_refresh_{dialect}", subject)
        result.compare(read, aim="informational: how much of the refresh is reading the store")
        result.compare(engine, aim="informational: the engine floor for the same figures")
        read_seconds = sum(reads.values())
        result.details = {
            "customers": customers,
            "orders": orders_n,
            "populate_seconds": round(populate_seconds, 1),
            "read_path": _read_path(session),
            "refresh_read_seconds": round(read_seconds, 2),
            "refresh_read_share": round(read_seconds / subject.seconds, 3),
            "refresh_reads": {name: round(seconds, 2) for name, seconds in reads.items()},
            "fans_written": summaries[0].customers,
            "buyers": summaries[0].buyers,
        }
        if tuples is not None:
            result.compare(tuples, aim="informational: the tuple read the columnar one replaced")
            result.details |= _tuple_refresh(session, workspace_id, orders_n, result)
        return [result, segment_counts(session, dialect, workspace_id)]


def _tuple_refresh(
    session: Session, workspace_id: int, orders_n: int, result: Result
) -> dict[str, object]:
    """The same refresh with every read through the driver cursor (the path before the
    columnar readers): its time as a baseline, and each table it read compared with what the
    columnar reader returns at the same moment."""
    reads: dict[str, float] = {}
    identical: dict[str, bool] = {}
    checking: list[float] = []

    def refresh() -> None:
        with _timed_reads(reads, through_cursor=True, identical=identical, checking=checking):
            refresh_workspace(session, workspace_id, AS_OF)
        session.commit()

    baseline = measure("the same refresh reading through the driver cursor", orders_n, refresh)
    baseline.seconds -= sum(checking)  # the comparisons are not part of the refresh
    result.compare(baseline, aim="informational: the refresh before the columnar readers")
    seconds = sum(reads.values())
    return {
        "tuple_refresh_read_seconds": round(seconds, 2),
        "tuple_refresh_read_share": round(seconds / baseline.seconds, 3),
        "tuple_refresh_reads": {name: round(s, 2) for name, s in reads.items()},
        "reads_identical": identical,
    }


def _same_rows(a: pa.Table, b: pa.Table) -> bool:
    keys = [(name, "ascending") for name in a.column_names]
    return a.schema == b.schema and a.sort_by(keys).equals(b.sort_by(keys))


@contextmanager
def _timed_reads(
    reads: dict[str, float],
    *,
    through_cursor: bool = False,
    identical: dict[str, bool] | None = None,
    checking: list[float] | None = None,
) -> Iterator[None]:
    """Time every ``store.read_table`` call the refresh makes, by the query's first table;
    ``through_cursor`` reads through the driver cursor instead and (untimed) compares each
    table with the columnar reader's."""
    original = store.read_table

    def timed(session: Session, sql: str, schema: pa.Schema, **params: object) -> pa.Table:
        name = sql.split("FROM", 1)[1].split()[0]
        started = time.perf_counter()
        if through_cursor:
            connection = session.connection()
            statement, arguments = store._compiled(connection, sql, params)
            table = store._read_by_cursor(connection, statement, arguments, schema)
        else:
            table = original(session, sql, schema, **params)
        reads[name] = reads.get(name, 0.0) + time.perf_counter() - started
        if identical is not None and checking is not None:
            started = time.perf_counter()
            identical[name] = _same_rows(table, original(session, sql, schema, **params))
            checking.append(time.perf_counter() - started)
        return table

    original_apart = store.read_apart

    def timed_apart(path: str, statements: list[Any]) -> list[pa.Table]:
        started = time.perf_counter()
        tables = original_apart(path, statements)
        reads["all five, apart"] = time.perf_counter() - started
        return tables

    store.read_table = timed  # type: ignore[assignment]
    store.read_apart = timed_apart
    try:
        yield
    finally:
        store.read_table = original  # type: ignore[assignment]
        store.read_apart = original_apart


def _cursor_read(session: Session, workspace_id: int, orders_n: int) -> Measurement | None:
    """The paid orders through the driver cursor, as the refresh read them before."""
    cursor_read = getattr(store, "_read_by_cursor", None)
    if cursor_read is None:  # a checkout from before the columnar readers
        return None
    connection = session.connection()
    sqlite = connection.dialect.name == "sqlite"
    sql = store._ORDERS_SQL.format(hint=store._SQLITE_SCAN_HINT if sqlite else "")
    statement, arguments = store._compiled(connection, sql, {"ws": workspace_id})
    return measure(
        "the same orders through the driver cursor, as Python tuples",
        orders_n,
        lambda: cursor_read(connection, statement, arguments, store.ORDER_SCHEMA),
    )


def _read_path(session: Session) -> str:
    connection = session.connection()
    if not hasattr(store, "_read_by_cursor"):
        return "cursor (tuples)"
    if connection.dialect.name == "postgresql":
        return "COPY … (FORMAT csv) into Arrow's CSV reader"
    if getattr(store, "sqlite_file", lambda _session: None)(session):
        return "ADBC in a process apart, Arrow IPC back"
    return "cursor (tuples)"


def bare_count_sql(session: Session, workspace_id: int) -> str:
    """The exact SQL the filter compiles to, with its values written in: the baseline."""
    audience = segments.compile_audience(SEGMENT_FILTER)
    statement = audience.apply(select(func.count()).select_from(segments.c), workspace_id)
    compiled = statement.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
    return str(compiled)


def segment_counts(session: Session, dialect: str, workspace_id: int) -> Result:
    counts: list[int] = []
    bare_sql = text(bare_count_sql(session, workspace_id))
    session.execute(bare_sql).scalar_one()  # warm the page cache for both sides
    subject = measure(
        f"segment count via the filter language ({dialect})",
        COUNTS,
        lambda: counts.extend(
            segments.count_matching(session, workspace_id, SEGMENT_FILTER) for _ in range(COUNTS)
        ),
    )
    bare = measure(
        "the same SQL, written out, run bare",
        COUNTS,
        lambda: counts.extend(int(session.execute(bare_sql).scalar_one()) for _ in range(COUNTS)),
    )
    assert len(set(counts)) == 1, f"counts differ: {set(counts)}"
    result = Result(f"analytics_store_segment_count_{dialect}", subject)
    result.compare(bare, aim=">= 0.9")
    result.details = {"filter": SEGMENT_FILTER, "count": counts[0], "sql": str(bare_sql)}
    return result


if __name__ == "__main__":
    for r in run():
        report(r)
