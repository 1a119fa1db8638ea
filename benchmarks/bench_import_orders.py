"""Importing a large Taobao classic export (GB18030 CSV, one row per order).

Subject: ``import_file`` on a fresh store: parse, normalise, resolve fans, upsert orders, in
batches, one transaction. Each import runs in a child process of its own, so its peak resident
memory (ru_maxrss, plus its parser process's) is its own.

Baselines, in the same run and on the same kind of store:
(a) the engine floor: the same already-parsed rows, read back from every table the subject
    wrote (fans, their identities, orders, order items), inserted into a fresh, identically
    migrated store with ``sqlite3.executemany`` (PostgreSQL: ``COPY``); only the inserts are
    timed. Aim: at least half its speed.
(b) what a user might script: pandas ``read_csv(encoding="gb18030")`` + ``to_sql`` (raw text
    columns, no normalisation, no fans). Aim: faster than it.

``SIYU_BENCH_ROWS`` sets the size (default 1,000,000); the file is cached under /tmp.
PostgreSQL runs when ``SIYU_BENCH_DATABASE_URL`` is set or a local server answers at
``postgresql+psycopg://postgres@127.0.0.1:5432/test`` (in scratch schemas, dropped afterwards).
``SIYU_BENCH_STORES`` (default ``sqlite,postgresql``) picks the stores, so each can be run at
its own size.
"""

from __future__ import annotations

import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from benchmarks.runner import Measurement, Result, measure

ROWS = int(os.environ.get("SIYU_BENCH_ROWS", "1000000"))
CACHE = Path(tempfile.gettempdir()) / "siyu-bench"
LOCAL_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
STORES = os.environ.get("SIYU_BENCH_STORES", "sqlite,postgresql").split(",")
UNTIL = date(2026, 11, 22)  # fixed, so the cached file is the same file every run
CHUNK = 20_000
# What the importer writes, parents first; the floor inserts exactly these rows.
TABLES = ("customers", "customer_identities", "orders", "order_items")
FLOOR = "executemany of the same parsed rows (engine floor)"


def run() -> list[Result]:
    path = export_file(ROWS)
    results = [_sqlite(path)] if "sqlite" in STORES else []
    postgres = _postgres_url() if "postgresql" in STORES else None
    if postgres:
        results.append(_postgresql(path, postgres))
    return results


def export_file(rows: int) -> Path:
    from siyu.demo.exports import write_taobao_classic_csv

    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"ExportOrderList-{rows}.csv"
    if not path.exists():
        partial = path.with_suffix(".partial")
        write_taobao_classic_csv(partial, rows, seed=1, until=UNTIL)
        partial.rename(path)
    return path


# --- SQLite -------------------------------------------------------------------------------


def _sqlite(path: Path) -> Result:
    folder = Path(tempfile.mkdtemp(prefix="siyu-bench-import-"))
    store = folder / "import.db"
    subject = _child_import(f"sqlite:///{store}", path)
    floor_store = folder / "floor.db"
    _migrated(f"sqlite:///{floor_store}")
    floor = _sqlite_floor(store, floor_store)
    pandas = _pandas(path, f"sqlite:///{folder / 'pandas.db'}")
    result = Result("import_orders_sqlite", subject)
    result.compare(floor, aim=">= 0.5: parsing and fan resolution cost at most the insert again")
    result.compare(pandas, aim="> 1: beat the pandas script")
    result.details = {"rows": ROWS, "file_mb": round(path.stat().st_size / 2**20, 1)}
    return result


def _sqlite_floor(source: Path, target: Path) -> Measurement:
    """executemany of the rows the subject wrote, read back; only the inserts are timed."""
    reader = sqlite3.connect(source)
    writer = sqlite3.connect(target)
    workspace_id = _sqlite_workspace(writer)
    elapsed = 0.0
    for table in TABLES:
        cursor = reader.execute(f"SELECT * FROM {table}")
        names = [column[0] for column in cursor.description]
        placeholders = ", ".join("?" for _ in names)
        statement = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({placeholders})"
        for chunk in _chunks(cursor):
            rows = [_floor_row(names, row, workspace_id) for row in chunk]
            started = time.perf_counter()
            writer.executemany(statement, rows)
            elapsed += time.perf_counter() - started
    started = time.perf_counter()
    writer.commit()
    elapsed += time.perf_counter() - started
    return Measurement(f"sqlite3 {FLOOR}", ROWS, elapsed)


def _floor_row(names: list[str], row: tuple[Any, ...], workspace_id: int) -> tuple[Any, ...]:
    """The row as the subject wrote it, in the floor's workspace, with no import run."""
    values = {name: _copyable(value) for name, value in zip(names, row, strict=True)}
    values["workspace_id"] = workspace_id
    if "import_run_id" in values:
        values["import_run_id"] = None
    return tuple(values.values())


def _copyable(value: Any) -> Any:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else value


def _sqlite_workspace(connection: sqlite3.Connection) -> int:
    connection.execute(
        "INSERT INTO workspaces (slug, name, timezone, settings, created_at)"
        " VALUES ('floor', 'floor', 'Asia/Shanghai', '{}', '2026-01-01 00:00:00')"
    )
    return int(connection.execute("SELECT id FROM workspaces WHERE slug = 'floor'").fetchone()[0])


# --- PostgreSQL ---------------------------------------------------------------------------


def _postgresql(path: Path, url: str) -> Result:
    schemas = [f"siyu_bench_{uuid.uuid4().hex[:8]}_{name}" for name in ("import", "floor")]
    for schema in schemas:
        _create_schema(url, schema)
    try:
        subject_url, floor_url = (_in_schema(url, schema) for schema in schemas)
        subject = _child_import(subject_url, path)
        _migrated(floor_url)
        floor = _copy_floor(url, *schemas)
        pandas = _pandas(path, _in_schema(url, schemas[1]))
    finally:
        for schema in schemas:
            _drop_schema(url, schema)
    result = Result("import_orders_postgresql", subject)
    result.compare(floor, aim=">= 0.5: parsing and fan resolution cost at most the insert again")
    result.compare(pandas, aim="> 1: beat the pandas script")
    result.details = {"rows": ROWS, "file_mb": round(path.stat().st_size / 2**20, 1)}
    return result


def _copy_floor(url: str, source: str, target: str) -> Measurement:
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as reader, psycopg.connect(dsn) as writer:
        workspace_id = writer.execute(
            f"INSERT INTO {target}.workspaces (slug, name, timezone, settings, created_at)"
            " VALUES ('floor', 'floor', 'Asia/Shanghai', '{}', now()) RETURNING id"
        ).fetchone()
        assert workspace_id is not None
        elapsed = 0.0
        for table in TABLES:
            with reader.cursor(name=f"read_{table}") as cursor:
                cursor.execute(f"SELECT * FROM {source}.{table}")  # type: ignore[arg-type]
                names = [column.name for column in cursor.description or ()]
                copy_sql = f"COPY {target}.{table} ({', '.join(names)}) FROM STDIN"
                for chunk in _chunks(cursor):
                    rows = [_floor_row(names, row, workspace_id[0]) for row in chunk]
                    started = time.perf_counter()
                    with writer.cursor().copy(copy_sql) as copy:  # type: ignore[arg-type]
                        for row in rows:
                            copy.write_row(row)
                    elapsed += time.perf_counter() - started
        started = time.perf_counter()
        writer.commit()
        elapsed += time.perf_counter() - started
    return Measurement("psycopg COPY of the same parsed rows (engine floor)", ROWS, elapsed)


def _postgres_url() -> str | None:
    url = os.environ.get("SIYU_BENCH_DATABASE_URL")
    if url:
        return url
    try:
        import psycopg

        with psycopg.connect(LOCAL_POSTGRES.replace("+psycopg", ""), connect_timeout=2):
            return LOCAL_POSTGRES
    except Exception:
        return None


def _in_schema(url: str, schema: str) -> str:
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{schema}"


def _create_schema(url: str, schema: str) -> None:
    _admin(url, f"CREATE SCHEMA {schema}")


def _drop_schema(url: str, schema: str) -> None:
    _admin(url, f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def _admin(url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as connection:
        connection.execute(statement)  # type: ignore[arg-type]


# --- both -----------------------------------------------------------------------------------


def _pandas(path: Path, url: str) -> Measurement:
    """The script a user might write: read the export, append it to a table."""
    import pandas as pd
    from sqlalchemy import create_engine

    engine = create_engine(url)

    def script() -> None:
        with engine.begin() as connection:
            for frame in pd.read_csv(path, encoding="gb18030", dtype=str, chunksize=100_000):
                frame.to_sql("pandas_orders", connection, if_exists="append", index=False)

    try:
        return measure("pandas read_csv(gb18030) + to_sql", ROWS, script)
    finally:
        engine.dispose()


def _migrated(url: str) -> None:
    env = _env(url)
    subprocess.run(
        [sys.executable, "-m", "siyu.cli", "db", "upgrade"],
        env=env,
        check=True,
        capture_output=True,
    )


def _child_import(url: str, path: Path) -> Measurement:
    """The subject, in a process of its own: its ru_maxrss is the import's peak memory."""
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_import_orders", "--child", str(path)],
        env=_env(url),
        check=True,
        capture_output=True,
        text=True,
    )
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    assert report["rows_read"] == ROWS, report
    return Measurement(
        "siyu import_file (parse, normalise, resolve fans, upsert)",
        report["rows_read"],
        report["seconds"],
        peak_memory_mb=report["peak_rss_mb"],
    )


def _child(path: Path) -> None:
    from siyu.db import transaction
    from siyu.migrations import upgrade
    from siyu.orders.service import import_file
    from siyu.workspace import service
    from siyu.workspace.audit import Actor

    actor = Actor("system", label="bench")
    upgrade()
    with transaction() as session:
        service.create_workspace(session, "bench-import", "bench", actor)
    started = time.perf_counter()
    with transaction() as session:
        workspace = service.get_workspace_by_slug(session, "bench-import")
        summary = import_file(session, workspace, path, actor=actor)
    seconds = time.perf_counter() - started
    # Linux reports kilobytes; the parser process (siyu.orders.importers.prefetch) counts too.
    peak_kb = sum(
        resource.getrusage(who).ru_maxrss
        for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    print(json.dumps(summary.as_dict() | {"seconds": seconds, "peak_rss_mb": peak_kb / 1024}))


def _env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIYU_")}
    env.update(SIYU_DATABASE_URL=url, SIYU_SCHEDULER_ENABLED="false")
    return env


def _chunks(rows: Any) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


if __name__ == "__main__" and sys.argv[1:2] == ["--child"]:
    _child(Path(sys.argv[2]))
