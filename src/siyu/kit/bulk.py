"""Bulk inserts that cost little more than the database driver's own executemany.

SQLAlchemy's executemany runs Python per row and per value to adapt parameters; imports write
millions of rows. Here the statement is compiled once per table and set of columns, the
adapters of the few columns that need one (SQLite date-times, JSON) are looked up once, and
the rows go to the driver's executemany (PostgreSQL: COPY) within the session's transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Table, bindparam, func, insert, select
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from siyu.kit.jsontext import EncodedJSON

Adapter = Callable[[Any], Any]


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """INSERT every row (all with the same keys). Columns left out take their constant
    default; a column with a computed default must be given."""
    if not rows:
        return
    connection = session.connection()
    plan = _plan(connection.dialect, table, tuple(rows[0]))
    if connection.dialect.name == "postgresql":
        _copy(connection.connection.driver_connection, plan, rows)
    else:
        connection.exec_driver_sql(plan.sql, [plan.bind(row) for row in rows])


def _copy(driver: Any, plan: _Plan, rows: Sequence[dict[str, Any]]) -> None:
    """PostgreSQL: COPY, on the session's own connection and so in its transaction."""
    with driver.cursor() as cursor, cursor.copy(plan.copy_sql) as copy:
        for row in rows:
            copy.write_row(plan.values(row))


def insert_returning_ids(session: Session, table: Table, rows: list[dict[str, Any]]) -> list[int]:
    """INSERT the rows; their new ids (column ``id``), in the rows' order.

    The ids are taken first and the rows go in with them in one executemany: SQLite cannot
    say which returned id belongs to which row of a multi-row insert (SQLAlchemy would insert
    one row per statement). SQLite has a single writer and every transaction takes the write
    lock at BEGIN (``siyu.db``), so the ids after the largest one are this transaction's to
    give; PostgreSQL hands them out from the column's sequence.
    """
    if not rows:
        return []
    ids = _new_ids(session, table, len(rows))
    insert_rows(session, table, [row | {"id": id_} for row, id_ in zip(rows, ids, strict=True)])
    return ids


def _new_ids(session: Session, table: Table, count: int) -> list[int]:
    if session.get_bind().dialect.name == "sqlite":
        last = session.scalar(select(func.max(table.c.id))) or 0
        return list(range(last + 1, last + 1 + count))
    sequence = session.scalar(select(func.pg_get_serial_sequence(table.name, "id")))
    if sequence is None:
        raise ValueError(f"{table.name}.id has no sequence")
    series = func.generate_series(1, count).table_valued("n")
    return sorted(session.scalars(select(func.nextval(sequence)).select_from(series)))


@dataclass(frozen=True, slots=True)
class _Plan:
    sql: str
    names: tuple[str, ...]  # in the statement's parameter order
    positional: bool

    defaults: dict[str, Any]  # constants of the columns the rows leave out

    copy_sql: str  # COPY ... FROM STDIN of the same columns, in ``names`` order
    pick: Callable[[dict[str, Any]], tuple[Any, ...]]  # a row's values in ``names`` order
    adapted: tuple[tuple[int, Adapter], ...]  # (position, adapter) where one is needed

    def values(self, row: dict[str, Any]) -> list[Any]:
        if self.defaults:
            row = self.defaults | row
        values = list(self.pick(row))
        for index, adapt in self.adapted:
            values[index] = adapt(values[index])
        return values

    def bind(self, row: dict[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        values = self.values(row)
        return tuple(values) if self.positional else dict(zip(self.names, values, strict=True))


@lru_cache(maxsize=64)
def _plan(dialect: Dialect, table: Table, names: tuple[str, ...]) -> _Plan:
    defaults = _constant_defaults(table, names)
    columns = names + tuple(defaults)
    statement = insert(table).values({name: bindparam(name) for name in columns})
    compiled = statement.compile(dialect=dialect, for_executemany=True)
    order = tuple(compiled.positiontup or ()) if compiled.positional else columns
    adapters = tuple(_adapter(table.c[name], dialect) for name in order)
    quote = dialect.identifier_preparer
    copy_sql = (
        f"COPY {quote.format_table(table)} ({', '.join(quote.quote(name) for name in order)})"
        " FROM STDIN"
    )
    adapted = tuple((i, adapt) for i, adapt in enumerate(adapters) if adapt is not None)
    return _Plan(
        compiled.string,
        order,
        compiled.positional,
        defaults,
        copy_sql,
        _picker(order),
        adapted,
    )


def _picker(names: tuple[str, ...]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """A row's values in this order, in one C call (itemgetter of one name gives no tuple)."""
    if len(names) == 1:
        (name,) = names
        return lambda row: (row[name],)
    return itemgetter(*names)


def _constant_defaults(table: Table, names: tuple[str, ...]) -> dict[str, Any]:
    defaults: dict[str, Any] = {}
    for column in table.columns:
        default = column.default
        if column.name in names or default is None:
            continue
        if not getattr(default, "is_scalar", False):
            raise ValueError(f"{table.name}.{column.name} has a computed default: give it")
        defaults[column.name] = getattr(default, "arg", None)
    return defaults


def _adapter(column: Column[Any], dialect: Dialect) -> Adapter | None:
    if isinstance(column.type, JSON):
        return _json_text
    processor: Adapter | None = column.type.dialect_impl(dialect).bind_processor(dialect)
    if processor is not None and dialect.name == "sqlite" and isinstance(column.type, DateTime):
        return _sqlite_datetime(processor)
    return processor


def _sqlite_datetime(fallback: Adapter) -> Adapter:
    """SQLAlchemy's SQLite date-time text ("2026-11-22 08:00:00.000000", the zone's offset
    dropped) cut from the C isoformat: a fraction of the cost, the same text (tests compare)."""

    def adapt(value: Any) -> Any:
        if type(value) is datetime:
            return value.isoformat(" ", "microseconds")[:26]
        return fallback(value)

    return adapt


def _json_text(value: Any) -> str:
    return value if isinstance(value, EncodedJSON) else EncodedJSON.of(value)
