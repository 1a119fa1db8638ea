"""Bulk writes store exactly what SQLAlchemy would have stored."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import DateTime
from sqlalchemy.dialects import sqlite

from siyu.kit.bulk import _json_text, _sqlite_datetime
from siyu.kit.jsontext import EncodedJSON

DIALECT = sqlite.dialect()
PROCESSOR = DateTime(timezone=True).dialect_impl(DIALECT).bind_processor(DIALECT)


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 11, 22, 8, 0, tzinfo=UTC),
        datetime(2026, 11, 22, 8, 0, 5, 123, tzinfo=UTC),
        datetime(2025, 6, 18, 0, 0, 0, 999999),
        datetime(999, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=8))),
        date(2026, 1, 1),
        None,
    ],
)
def test_sqlite_datetime_text_is_sqlalchemys(value: object) -> None:
    assert PROCESSOR is not None
    assert _sqlite_datetime(PROCESSOR)(value) == PROCESSOR(value)


def test_encoded_json_is_stored_as_it_is_and_dicts_keep_chinese_text() -> None:
    encoded = EncodedJSON.of({"订单编号": "1001"})
    assert _json_text(encoded) is encoded
    assert _json_text({"订单编号": "1001"}) == '{"订单编号": "1001"}'
    assert json.loads(encoded) == {"订单编号": "1001"}
