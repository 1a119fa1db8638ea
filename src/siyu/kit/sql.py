"""Dialect-aware SQL fragments (SQLite embedded, PostgreSQL in server mode)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, literal_column
from sqlalchemy.sql import ColumnElement


def local_date(column: Any, tz: str, dialect: str) -> ColumnElement[Any]:
    """The business day (in ``tz``) of a UTC timestamp column, as an ISO date string."""
    if dialect == "postgresql":
        return func.to_char(func.timezone(tz, column), "YYYY-MM-DD")
    # SQLite stores naive UTC text: shift by the zone's current offset (no DST in China).
    offset = datetime.now(ZoneInfo(tz)).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset else 0
    return func.date(column, literal_column(f"'{minutes:+d} minutes'"))
