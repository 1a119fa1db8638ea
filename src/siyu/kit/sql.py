"""Dialect-aware SQL fragments (SQLite embedded, PostgreSQL in server mode)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Protocol, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import func, literal_column, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from siyu.kit.errors import Problem, Unprocessable
from siyu.kit.i18n import N_


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


def ids_in_workspace(
    session: Session,
    model: type[Row],
    workspace_id: int,
    row_ids: Iterable[int],
    *,
    key: str = "id",
) -> set[int]:
    """Which of ``row_ids`` are rows of ``model`` in the workspace (one query); ``key``: the
    column the ids are in (``operator_id`` of a membership)."""
    wanted = set(row_ids)
    if not wanted:
        return set()
    column = getattr(model, key)
    table: Any = model
    found = session.scalars(
        select(column).where(table.workspace_id == workspace_id, column.in_(wanted))
    )
    return set(found)


def unknown_reference(field: str) -> Unprocessable:
    return Unprocessable(
        "unknown-reference",
        title=N_("The request names something this workspace does not have"),
        errors=[{"field": field, "message": "not found in this workspace"}],
    )


def check_in_workspace(
    session: Session,
    model: type[Row],
    workspace_id: int,
    row_ids: Iterable[int | None],
    field: str,
    *,
    key: str = "id",
) -> None:
    """The batch form of ``get_in_workspace`` for the ids a caller sends in a body
    (``owner_operator_id``, ``scope.group_ids``…): 422 naming ``field`` unless every id
    (``None`` aside) is a row of the workspace. Another workspace's id is as unknown as one
    that exists nowhere, and never reaches a foreign key."""
    wanted = {int(row_id) for row_id in row_ids if row_id is not None}
    if wanted - ids_in_workspace(session, model, workspace_id, wanted, key=key):
        raise unknown_reference(field)


def insert_for(session: Session) -> Any:
    """The INSERT construct with ON CONFLICT clauses for the session's dialect."""
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
