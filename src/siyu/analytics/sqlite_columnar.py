"""Columnar reads of an SQLite file through ADBC, in a process of its own.

ADBC's SQLite driver builds Arrow columns in C, about three times faster than Python's
``sqlite3`` cursor, but it links its own copy of SQLite, and two copies in one process break each
other's POSIX locks on the same file (sqlite.org, "How To Corrupt An SQLite Database File",
2.2.1). So the driver runs in a child process (``python -m siyu.analytics.sqlite_columnar``),
which opens the file read-only, runs every statement in one read transaction (one snapshot, as
WAL gives readers) and streams each result back as Arrow IPC on its standard output.

Only committed rows are seen: callers use it for reads that need nothing of their own unit of
work (the refresh beside live traffic).
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

# What a column of each Arrow type is cast to in SQL, and a typed value for the first row:
# the driver infers each column's type from the values of the first rows, and a column that
# starts with NULLs would otherwise be taken as integers and then fail on its first text.
_SQL_TYPES = {"int64": ("INTEGER", "0"), "string": ("TEXT", "''")}


@dataclass(frozen=True)
class Statement:
    sql: str  # positional ``?`` parameters
    arguments: tuple[Any, ...]
    schema: pa.Schema


def read(path: str, statements: list[Statement]) -> list[pa.Table]:
    """The results of ``statements`` on the SQLite file at ``path``, in one snapshot, typed by
    each statement's schema (timestamps come back from their stored text)."""
    request = json.dumps({"path": path, "statements": [_typed(s) for s in statements]})
    done = subprocess.run(
        [sys.executable, "-m", "siyu.analytics.sqlite_columnar"],
        input=request.encode(),
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"columnar SQLite read failed: {done.stderr.decode()[-2000:]}")
    source = pa.BufferReader(done.stdout)
    return [_conformed(pa.ipc.open_stream(source).read_all(), s.schema) for s in statements]


def _literal(value: Any) -> str:
    """A bound value written into the statement (the child binds nothing: building an Arrow
    batch of parameters would load pandas there, a second of start-up)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool | int):
        return str(int(value))
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"cannot bind {type(value).__name__} into a columnar read")


def _bound(statement: Statement) -> str:
    pieces = statement.sql.split("?")
    if len(pieces) != len(statement.arguments) + 1:
        raise ValueError("placeholders and arguments differ in number")
    out = [pieces[0]]
    for value, piece in zip(statement.arguments, pieces[1:], strict=True):
        out += [_literal(value), piece]
    return "".join(out)


def _wire_type(field: pa.Field) -> str:
    return "string" if pa.types.is_timestamp(field.type) else str(field.type)


def _typed(statement: Statement) -> str:
    """The statement with every column cast to its SQL type, after one typed first row that
    the reader drops again."""
    names = [f"c{i}" for i in range(len(statement.schema))]
    casts = ", ".join(
        f"CAST({name} AS {_SQL_TYPES[_wire_type(field)][0]})"
        for name, field in zip(names, statement.schema, strict=True)
    )
    firsts = ", ".join(_SQL_TYPES[_wire_type(field)][1] for field in statement.schema)
    aliased = ", ".join(f"column{i + 1} AS {name}" for i, name in enumerate(names))
    # the statement is the caller's own SQL; its values are bound by the driver
    return (
        f"SELECT {firsts} UNION ALL SELECT {casts} FROM "  # noqa: S608
        f"(SELECT {aliased} FROM (VALUES ({', '.join('NULL' for _ in names)})) WHERE 0 "
        f"UNION ALL {_bound(statement)})"
    )


def _conformed(table: pa.Table, schema: pa.Schema) -> pa.Table:
    table = table.slice(1)  # the typed first row
    columns = []
    for column, field in zip(table.columns, schema, strict=True):
        if pa.types.is_timestamp(field.type):  # naive UTC text, as the store keeps it
            column = column.cast(pa.string()).cast(pa.timestamp("us")).cast(field.type)
        columns.append(column.cast(field.type))
    return pa.table(columns, schema=schema)


def _serve() -> None:
    """The child: read the request from stdin, answer on stdout."""
    import adbc_driver_manager as adbc
    import adbc_driver_sqlite

    request = json.loads(sys.stdin.buffer.read())
    out = sys.stdout.buffer
    database = adbc_driver_sqlite.connect(f"file:{request['path']}?mode=ro")
    connection = adbc.AdbcConnection(database)
    connection.set_autocommit(False)  # one read transaction: one snapshot for every statement
    try:
        for sql in request["statements"]:
            statement = adbc.AdbcStatement(connection)
            statement.set_sql_query(sql)
            stream, _ = statement.execute_query()
            reader = pa.RecordBatchReader._import_from_c(stream.address)
            with pa.ipc.new_stream(out, reader.schema) as writer:
                for batch in reader:
                    writer.write_batch(batch)
            statement.close()
        connection.rollback()
    finally:
        connection.close()
        database.close()
    out.flush()


if __name__ == "__main__":
    _serve()
