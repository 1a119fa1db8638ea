from __future__ import annotations

from collections.abc import Iterator

import pytest

from siyu.coupons import grab


@pytest.fixture(autouse=True)
def _forget_sold_out() -> Iterator[None]:
    """Rolled-back tests reuse campaign ids; the process's sold-out memory must not leak."""
    grab._sold_out_until.clear()
    yield
    grab._sold_out_until.clear()
