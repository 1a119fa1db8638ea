from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from siyu.kit.money import MoneyFormatError, fen_to_yuan, format_yuan, yuan_to_fen


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("99", 9900),
        ("0.1", 10),
        ("1,299.50元", 129950),
        ("¥3", 300),
        ("￥ 12.345", 1235),  # half up at the third decimal
        ("12.344", 1234),
        ("-5.005", -501),
        ("  18.80 ", 1880),
        ("RMB 7", 700),
    ],
)
def test_yuan_text_to_fen(text: str, fen: int) -> None:
    assert yuan_to_fen(text) == fen


def test_no_binary_float_drift() -> None:
    assert yuan_to_fen(Decimal("0.1") + Decimal("0.2")) == 30
    assert yuan_to_fen("19.99") * 3 == 5997


@pytest.mark.parametrize("bad", ["", "abc", "1.2.3", "NaN", "Infinity", "--1"])
def test_unparsable_amounts_are_refused(bad: str) -> None:
    with pytest.raises(MoneyFormatError):
        yuan_to_fen(bad)


def test_display() -> None:
    assert format_yuan(129950) == "¥1,299.50"
    assert format_yuan(-5) == "-¥0.05"
    assert fen_to_yuan(1) == Decimal("0.01")


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_round_trip(fen: int) -> None:
    assert yuan_to_fen(str(fen_to_yuan(fen))) == fen
