"""Tests of the analytics engine; ``make_orders`` builds an orders table from plain rows."""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa

ORDERS_SCHEMA = pa.schema(
    [
        ("customer_id", pa.int64()),
        ("paid_at", pa.timestamp("us", tz="UTC")),
        ("paid_amount_fen", pa.int64()),
        ("refund_amount_fen", pa.int64()),
        ("platform", pa.string()),
    ]
)


def make_orders(rows: list[tuple[int, datetime | None, int, int, str | None]]) -> pa.Table:
    """Rows of (customer_id, paid_at UTC, paid fen, refund fen, platform)."""
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in ORDERS_SCHEMA]
    return pa.table(
        {
            field.name: pa.array(values, field.type)
            for field, values in zip(ORDERS_SCHEMA, columns, strict=True)
        },
        schema=ORDERS_SCHEMA,
    )
