"""Moving data between the store and Arrow: whole columns in, whole tables out.

Reads on PostgreSQL are columnar: ``COPY (query) TO STDOUT (FORMAT csv)`` on the session's own
connection (so in its transaction, seeing what it sees), parsed by Arrow's CSV reader with the
schema's types; timestamps travel as epoch microseconds. No Python object is made per value.

SQLite reads go through the driver cursor without ORM objects, and columns are built with one
transpose. The refresh beside live traffic, which needs only committed rows, reads an SQLite
file columnar instead: ADBC's SQLite driver in a process of its own (``sqlite_columnar``; in
this process its own copy of SQLite would break the POSIX locks of Python's).

Writes are one bulk statement per table.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, cast

import pyarrow as pa
import pyarrow.csv as pa_csv
from sqlalchemy import Connection, DateTime, Engine, Table, delete, text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from siyu.analytics import sqlite_columnar
from siyu.analytics.models import CustomerMetrics, LifecycleChange
from siyu.kit.bulk import insert_rows
from siyu.kit.clock import as_utc

TIMESTAMP = pa.timestamp("us", tz="UTC")

ORDER_SCHEMA = pa.schema(
    [
        ("customer_id", pa.int64()),
        ("paid_at", TIMESTAMP),
        ("paid_amount_fen", pa.int64()),
        ("refund_amount_fen", pa.int64()),
        ("platform", pa.string()),
        ("shop", pa.string()),
        ("traffic_source", pa.string()),
        ("streamer_id", pa.string()),
    ]
)
CUSTOMER_SCHEMA = pa.schema([("customer_id", pa.int64()), ("first_seen_at", TIMESTAMP)])
STAGE_SCHEMA = pa.schema([("customer_id", pa.int64()), ("stage", pa.string())])
EVENT_SCHEMA = pa.schema(
    [("customer_id", pa.int64()), ("kind", pa.string()), ("occurred_at", TIMESTAMP)]
)

_ORDERS_SQL = """
SELECT customer_id, paid_at, paid_amount_fen, refund_amount_fen, platform, shop,
       traffic_source, streamer_id
FROM orders {hint}
WHERE workspace_id = :ws AND customer_id IS NOT NULL AND paid_at IS NOT NULL
"""
# On SQLite the planner walks the (workspace, customer, paid_at) index and fetches every row
# by rowid, in random order; reading the table in storage order is twice as fast.
_SQLITE_SCAN_HINT = "NOT INDEXED"
_CUSTOMERS_SQL = """
SELECT id, first_seen_at FROM customers
WHERE workspace_id = :ws AND merged_into_id IS NULL AND erased_at IS NULL
"""
_STAGES_SQL = """
SELECT customer_id, lifecycle_stage FROM customer_metrics
WHERE workspace_id = :ws AND lifecycle_stage IS NOT NULL
"""
# Behaviour for the activity score: events pushed by other systems, fans' own chat messages
# and points they spend.
_EVENTS_SQL = """
SELECT customer_id, kind, occurred_at FROM customer_events
WHERE workspace_id = :ws AND occurred_at >= :since
UNION ALL
SELECT customer_id, 'message', sent_at FROM community_messages
WHERE workspace_id = :ws AND sent_at >= :since AND sender_role = 'fan'
  AND customer_id IS NOT NULL
UNION ALL
SELECT customer_id, 'points_use', created_at FROM points_entries
WHERE workspace_id = :ws AND created_at >= :since AND kind = 'redeem'
"""
# Group activity for the KOC score: what a fan says in groups, the buyer shows they post and
# the replies their messages draw from others.
_GROUP_ACTIVITY_SQL = """
SELECT customer_id, CASE WHEN is_buyer_show THEN 'buyer_show' ELSE 'message' END, sent_at
FROM community_messages
WHERE workspace_id = :ws AND sent_at >= :since AND chat = 'group' AND sender_role = 'fan'
  AND customer_id IS NOT NULL
UNION ALL
SELECT author.customer_id, 'reply_received', reply.sent_at
FROM community_messages reply
JOIN (SELECT DISTINCT sender_ref, customer_id FROM community_messages
      WHERE workspace_id = :ws AND customer_id IS NOT NULL AND sender_role = 'fan') author
  ON author.sender_ref = reply.reply_to_ref
WHERE reply.workspace_id = :ws AND reply.sent_at >= :since AND reply.chat = 'group'
  AND reply.sender_ref <> reply.reply_to_ref
"""


def _column(values: Sequence[Any], field: pa.Field) -> pa.Array:
    if pa.types.is_timestamp(field.type):
        # SQLite hands back naive UTC text, PostgreSQL aware datetimes: both cast cleanly.
        if values and isinstance(next((v for v in values if v is not None), None), str):
            return pa.array(values, pa.string()).cast(pa.timestamp("us")).cast(TIMESTAMP)
        return pa.array(values, TIMESTAMP)
    return pa.array(values, field.type)


def read_table(session: Session, sql: str, schema: pa.Schema, **params: Any) -> pa.Table:
    """Rows of ``sql`` as an Arrow table of ``schema`` (columns in select order)."""
    connection = session.connection()
    statement, arguments = _compiled(connection, sql, params)
    if connection.dialect.name == "postgresql" and connection.dialect.driver == "psycopg":
        return _read_by_copy(connection, statement, arguments, schema)
    return _read_by_cursor(connection, statement, arguments, schema)


def _compiled(connection: Connection, sql: str, params: dict[str, Any]) -> tuple[str, Any]:
    """The statement in the driver's own parameter style, with the driver's values."""
    params = {key: _driver_value(connection.dialect, value) for key, value in params.items()}
    compiled = text(sql).bindparams(**params).compile(connection)
    positional = compiled.positiontup or []
    arguments: Any = (
        tuple(compiled.params[name] for name in positional) if positional else compiled.params
    )
    return str(compiled), arguments


# --- PostgreSQL: COPY into Arrow's CSV reader ------------------------------------------------


def _read_by_copy(
    connection: Connection, statement: str, arguments: Any, schema: pa.Schema
) -> pa.Table:
    names = [f"c{i}" for i in range(len(schema))]
    columns = ", ".join(
        f"(EXTRACT(EPOCH FROM {name}) * 1000000)::int8"
        if pa.types.is_timestamp(field.type)
        else name
        for name, field in zip(names, schema, strict=True)
    )
    # the statement is this module's own SQL; its values are bound by the driver
    copy_sql = (
        f"COPY (SELECT {columns} FROM ({statement}) AS q ({', '.join(names)})) "  # noqa: S608
        "TO STDOUT (FORMAT csv)"
    )
    buffer = io.BytesIO()
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy(copy_sql, arguments) as copy:
            for chunk in copy:
                buffer.write(chunk)
    finally:
        cursor.close()
    if not buffer.tell():
        return schema.empty_table()
    buffer.seek(0)
    wire = [pa.int64() if pa.types.is_timestamp(f.type) else f.type for f in schema]
    table = pa_csv.read_csv(
        buffer,
        read_options=pa_csv.ReadOptions(column_names=names),
        parse_options=pa_csv.ParseOptions(newlines_in_values=True),
        convert_options=pa_csv.ConvertOptions(
            column_types=dict(zip(names, wire, strict=True)),
            null_values=[""],  # COPY writes NULL as an empty field and '' as ""
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
        ),
    )
    # timestamps arrive as int64 epoch microseconds, which cast to the schema's type as is
    return pa.table(
        [table.column(i).cast(field.type) for i, field in enumerate(schema)], schema=schema
    )


# --- any store: the driver cursor ------------------------------------------------------------


def _read_by_cursor(
    connection: Connection, statement: str, arguments: Any, schema: pa.Schema
) -> pa.Table:
    """Rows as the driver returns them (no SQLAlchemy result processing), one transpose."""
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(statement, arguments)
        rows = [tuple(row) for row in cursor.fetchall()]
    finally:
        cursor.close()
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in schema]
    return pa.table(
        [_column(list(values), field) for values, field in zip(columns, schema, strict=True)],
        schema=schema,
    )


def _driver_value(dialect: Dialect, value: Any) -> Any:
    """A datetime the way the store's own columns hold it (SQLite: naive UTC text), so the
    driver compares like with like."""
    if not isinstance(value, datetime):
        return value
    processor = DateTime(timezone=True).dialect_impl(dialect).bind_processor(dialect)
    moment = as_utc(value)
    return processor(moment) if processor else moment


def read_paid_orders(session: Session, workspace_id: int) -> pa.Table:
    return read_table(session, _orders_sql(session), ORDER_SCHEMA, ws=workspace_id)


def _orders_sql(session: Session) -> str:
    sqlite = session.get_bind().dialect.name == "sqlite"
    return _ORDERS_SQL.format(hint=_SQLITE_SCAN_HINT if sqlite else "")


def read_customers(session: Session, workspace_id: int) -> pa.Table:
    return read_table(session, _CUSTOMERS_SQL, CUSTOMER_SCHEMA, ws=workspace_id)


def read_events(session: Session, workspace_id: int, since: datetime) -> pa.Table:
    return read_table(session, _EVENTS_SQL, EVENT_SCHEMA, ws=workspace_id, since=since)


@dataclass(frozen=True)
class RefreshInputs:
    """Everything the refresh reads from the store."""

    orders: pa.Table
    customers: pa.Table
    previous_stages: pa.Table
    behaviour: pa.Table
    group_activity: pa.Table


def read_refresh_inputs(
    session: Session,
    workspace_id: int,
    behaviour_since: datetime,
    group_since: datetime,
    *,
    committed_only: bool = False,
) -> RefreshInputs:
    """The refresh's reads. With ``committed_only`` (the caller has nothing uncommitted the
    refresh must see) an SQLite file is read columnar in one snapshot by a separate process."""
    reads: list[tuple[str, pa.Schema, dict[str, Any]]] = [
        (_orders_sql(session), ORDER_SCHEMA, {"ws": workspace_id}),
        (_CUSTOMERS_SQL, CUSTOMER_SCHEMA, {"ws": workspace_id}),
        (_STAGES_SQL, STAGE_SCHEMA, {"ws": workspace_id}),
        (_EVENTS_SQL, EVENT_SCHEMA, {"ws": workspace_id, "since": behaviour_since}),
        (_GROUP_ACTIVITY_SQL, EVENT_SCHEMA, {"ws": workspace_id, "since": group_since}),
    ]
    path = sqlite_file(session) if committed_only else None
    if path is None:
        tables = [read_table(session, sql, schema, **params) for sql, schema, params in reads]
    else:
        connection = session.connection()
        statements = [
            sqlite_columnar.Statement(*_compiled(connection, sql, params), schema)
            for sql, schema, params in reads
        ]
        tables = read_apart(path, statements)
    return RefreshInputs(*tables)


def read_apart(path: str, statements: list[sqlite_columnar.Statement]) -> list[pa.Table]:
    """The columnar SQLite read (a seam of its own so that benchmarks can time it)."""
    return sqlite_columnar.read(path, statements)


def sqlite_file(session: Session) -> str | None:
    """The path of the session's SQLite file, or None: another store, SQLite in memory, or a
    session bound to one connection (tests), whose commits may sit in an outer transaction
    that no other process sees."""
    bind = session.get_bind()
    if not isinstance(bind, Engine):
        return None
    url = bind.url
    name = url.database
    if url.get_backend_name() != "sqlite" or not name or name == ":memory:":
        return None
    if name.startswith("file:") or url.query.get("mode") == "memory":
        return None
    return str(Path(name).resolve())


_METRICS = cast(Table, CustomerMetrics.__table__)
_CHANGES = cast(Table, LifecycleChange.__table__)
METRIC_COLUMNS = tuple(
    column.name for column in CustomerMetrics.__table__.columns if column.name != "workspace_id"
)


def write_metrics(session: Session, workspace_id: int, table: pa.Table) -> int:
    """Replace the workspace's metrics rows with ``table`` (columns of :data:`METRIC_COLUMNS`)."""
    session.execute(delete(CustomerMetrics).where(CustomerMetrics.workspace_id == workspace_id))
    rows = table.select(list(METRIC_COLUMNS)).to_pylist()
    for row in rows:
        row["workspace_id"] = workspace_id
    insert_rows(session, _METRICS, rows)
    return len(rows)


def append_lifecycle_changes(
    session: Session, workspace_id: int, changes: pa.Table, changed_on: date
) -> int:
    """Record ``customer_id, previous_stage, stage`` rows as transitions on ``changed_on``."""
    rows = [
        {
            "workspace_id": workspace_id,
            "customer_id": row["customer_id"],
            "from_stage": row["previous_stage"],
            "to_stage": row["stage"],
            "changed_on": changed_on,
        }
        for row in changes.to_pylist()
    ]
    insert_rows(session, _CHANGES, rows)
    return len(rows)
