"""Cursor (keyset) pagination: ``{"items": [...], "next_cursor": ... | null}``.

The cursor is an opaque, URL-safe encoding of the last row's sort key, so a page never shifts
when rows are inserted ahead of it (unlike OFFSET).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select
from sqlalchemy.orm import InstrumentedAttribute, Session

from siyu.kit.bounds import fits_int64
from siyu.kit.errors import BadRequest

T = TypeVar("T")
MAX_LIMIT = 200


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps(list(values), separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except ValueError as exc:
        raise BadRequest("invalid-cursor", detail="The cursor is not valid.") from exc
    if not isinstance(values, list) or not all(fits_int64(value) for value in values):
        raise BadRequest("invalid-cursor", detail="The cursor is not valid.")
    return values


def keyset_page(
    session: Session,
    statement: Select[Any],
    key: InstrumentedAttribute[Any],
    *,
    cursor: str | None,
    limit: int,
    descending: bool = True,
) -> tuple[list[Any], str | None]:
    """One page of ``statement`` ordered by a unique integer ``key`` (usually the id)."""
    limit = max(1, min(limit, MAX_LIMIT))
    if cursor is not None:
        (last,) = decode_cursor(cursor)[:1] or [None]
        if not isinstance(last, int):
            raise BadRequest("invalid-cursor", detail="The cursor is not valid.")
        statement = statement.where(key < last if descending else key > last)
    statement = statement.order_by(key.desc() if descending else key.asc()).limit(limit + 1)
    rows = list(session.scalars(statement))
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor([getattr(rows[-1], key.key)])


def keyset_id_page(
    session: Session,
    statement: Select[Any],
    key: ColumnElement[int],
    *,
    cursor: str | None,
    limit: int,
) -> tuple[list[int], str | None]:
    """``keyset_page`` for a statement that selects the ascending integer key alone."""
    limit = max(1, min(limit, MAX_LIMIT))
    if cursor is not None:
        (last,) = decode_cursor(cursor)[:1] or [None]
        if not isinstance(last, int):
            raise BadRequest("invalid-cursor", detail="The cursor is not valid.")
        statement = statement.where(key > last)
    ids = list(session.scalars(statement.order_by(key.asc()).limit(limit + 1)))
    if len(ids) <= limit:
        return ids, None
    return ids[:limit], encode_cursor([ids[limit - 1]])
