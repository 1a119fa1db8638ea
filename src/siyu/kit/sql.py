"""Dialect-aware SQL fragments (SQLite embedded, PostgreSQL in server mode)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import func, literal_column
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from siyu.kit.errors import Problem


def local_date(column: Any, tz: str, dialect: str) -> ColumnElement[Any]:
    """The business day (in ``tz``) of a UTC timestamp column, as an ISO date string."""
    if dialect == "postgresql":
        return func.to_char(func.timezone(tz, column), "YYYY-MM-DD")
    # SQLite stores naive UTC text: shift by the zone's current offset (no DST in China).
    offset = datetime.now(ZoneInfo(tz)).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset else 0
    return func.date(column, literal_column(f"'{minutes:+d} minutes'"))


class _WorkspaceRow(Protocol):
    workspace_id: int


Row = TypeVar("Row", bound=_WorkspaceRow)


def get_in_workspace(
    session: Session,
    model: type[Row],
    workspace_id: int,
    row_id: int,
    not_found: Problem,
    *,
    fresh: bool = False,
) -> Row:
    """The row by primary key if it belongs to the workspace, else ``not_found`` is raised:
    another workspace's row is as absent as a missing one. ``fresh`` reloads its columns
    (stock and states that parallel requests change)."""
    row = session.get(model, row_id, populate_existing=fresh)
    if row is None or row.workspace_id != workspace_id:
        raise not_found
    return row
