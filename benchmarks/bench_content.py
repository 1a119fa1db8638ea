"""Importing a creator centre's export (``siyu import content``): a Douyin CSV of many works.

Subject: ``channels.service.import_export`` into a freshly migrated SQLite store: sniff the
file, find the header row, detect the platform, read Chinese counts (1.2万) and rates, match
rows to posts, insert the posts and their day of history, in one transaction.

Baseline, in the same run: a bare ``csv.reader`` over the same file and ``sqlite3``
``executemany`` of the same rows into the same ``content_posts`` table of another freshly
migrated store (plain ``int`` for counts, the 万 suffix handled inline, no matching, no history,
no platform detection). Aim: at least a quarter of its speed.

``SIYU_BENCH_CONTENT_ROWS`` sets the size (default 50,000).
"""

from __future__ import annotations

import csv
import os
import sqlite3
import tempfile
import time
from datetime import date
from pathlib import Path

from benchmarks.runner import Measurement, Result

ROWS = int(os.environ.get("SIYU_BENCH_CONTENT_ROWS", "50000"))
FIRST = date(2020, 1, 1)  # 24 works a day: 50,000 works end in 2025


def run() -> Result:
    folder = Path(tempfile.mkdtemp(prefix="siyu-bench-content-"))
    path = _export(folder / "douyin.csv")
    subject = _subject(folder / "subject.db", path)
    baseline = _bare(folder / "bare.db", path)
    result = Result("import_content_sqlite", subject)
    result.compare(
        baseline, aim=">= 0.25: detection, Chinese numbers, matching and history cost at most 3×"
    )
    result.details = {"rows": ROWS, "file_mb": round(path.stat().st_size / 2**20, 1)}
    return result


def _export(path: Path, rows: int = ROWS) -> Path:
    from siyu.demo.content_exports import many_works, write_content_export

    works = many_works("douyin", rows, FIRST, seed=1)
    return write_content_export(path, "douyin", works, date(2026, 12, 1))


def _migrated(store: Path) -> object:
    from siyu.db import make_engine
    from siyu.migrations import upgrade

    engine = make_engine(f"sqlite:///{store}")
    with engine.connect() as connection:
        upgrade(connection=connection)
        connection.commit()
    return engine


def _subject(store: Path, path: Path) -> Measurement:
    from sqlalchemy.orm import Session

    from siyu.channels.service import import_export
    from siyu.workspace.audit import Actor
    from siyu.workspace.service import create_workspace

    actor = Actor("system", label="bench")
    engine = _migrated(store)
    with Session(bind=engine) as session:  # type: ignore[call-overload]
        workspace = create_workspace(session, "bench", "bench", actor)
        # A first small file loads the modules an import needs, outside the timing.
        warm_up = create_workspace(session, "warm-up", "warm-up", actor)
        import_export(session, warm_up, _export(path.with_name("warm-up.csv"), 10), actor=actor)
        session.commit()
        started = time.perf_counter()
        summary = import_export(session, workspace, path, actor=actor)
        session.commit()
        elapsed = time.perf_counter() - started
    assert summary.posts_created == ROWS and summary.rows_rejected == 0, summary
    return Measurement("import_export (siyu import content)", ROWS, elapsed)


def _count(text: str) -> int:
    return int(float(text[:-1]) * 10_000) if text.endswith("万") else int(text)


def _bare(store: Path, path: Path) -> Measurement:
    _migrated(store)
    connection = sqlite3.connect(store)
    connection.execute(
        "INSERT INTO workspaces (slug, name, timezone, settings, created_at)"
        " VALUES ('bare', 'bare', 'Asia/Shanghai', '{}', '2026-01-01 00:00:00')"
    )
    statement = (
        "INSERT INTO content_posts (workspace_id, platform, kind, platform_post_id, title,"
        " published_at, plays, likes, comments, shares, favorites, follower_gain, created_at)"
        " VALUES (1, 'douyin', 'video', ?, ?, ?, ?, ?, ?, ?, ?, ?, '2026-12-01 00:00:00')"
    )
    started = time.perf_counter()
    with path.open(encoding="utf-8-sig", newline="") as stream:
        reader = csv.reader(stream)
        next(reader)
        rows = [
            (r[1], r[0], r[2], _count(r[5]), _count(r[9]), int(r[10]), int(r[11]), int(r[12]),
             int(r[14]))
            for r in reader
        ]  # fmt: skip
    connection.executemany(statement, rows)
    connection.commit()
    elapsed = time.perf_counter() - started
    connection.close()
    assert len(rows) == ROWS
    return Measurement("csv.reader + sqlite3 executemany (bare)", ROWS, elapsed)
