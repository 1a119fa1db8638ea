"""Run SQL over Arrow tables in a private in-memory DuckDB connection.

Every analytics function is one call to :func:`run_sql`: the Arrow inputs are registered as
views (zero-copy), DuckDB does the set work, and the answer comes back as an Arrow table. The
connection lives for one call only, so nothing is shared between callers or threads.
"""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
import pyarrow as pa


def run_sql(
    sql: str,
    tables: Mapping[str, pa.Table],
    params: Mapping[str, object] | None = None,
) -> pa.Table:
    """Run one query over the named Arrow tables; ``$name`` placeholders bind ``params``."""
    connection = duckdb.connect(":memory:")
    try:
        # TIMESTAMPTZ results come back as UTC whatever the host's zone is.
        connection.execute("SET TimeZone = 'UTC'")
        for name, table in tables.items():
            connection.register(name, table)
        return connection.sql(sql, params=dict(params or {})).to_arrow_table()
    finally:
        connection.close()


def require_columns(table: pa.Table, name: str, columns: tuple[str, ...]) -> None:
    """Fail early, naming the table, when a caller passes a table without the columns we read."""
    missing = [column for column in columns if column not in table.column_names]
    if missing:
        raise ValueError(f"{name} lacks column(s): {', '.join(missing)}")
