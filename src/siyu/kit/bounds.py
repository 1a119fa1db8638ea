"""Integers the store can hold.

Ids and amounts are BIGINT (signed 64-bit) on both stores; a larger number in a path, query or
body would reach the database driver and fail there. Every id the API, console and fan
pages accept is an ``Int64``, and every amount, count or points value is bounded to INTEGER
(``INT32_MAX``), so such a request is a 422 that names the field.
"""

from __future__ import annotations

from typing import Annotated

from annotated_types import Ge, Le

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
# Amounts, counts and points are INTEGER columns (32-bit on PostgreSQL).
INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1

Int64 = Annotated[int, Ge(INT64_MIN), Le(INT64_MAX)]


def fits_int64(value: object) -> bool:
    """Whether ``value`` is an integer the store can hold (a cursor's decoded values)."""
    return not isinstance(value, int) or INT64_MIN <= value <= INT64_MAX
