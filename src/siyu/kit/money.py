"""Money is integer fen (分) everywhere; yuan exist only at the edges (files, display)."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

_FEN = Decimal("0.01")
_NOISE = re.compile(r"[\s,，¥￥元]|RMB|CNY", re.IGNORECASE)


class MoneyFormatError(ValueError):
    pass


def yuan_to_fen(value: str | int | Decimal) -> int:
    """Parse a yuan amount ("1,299.50元", "¥3", Decimal("0.1")) to fen, rounding half up.

    Never goes through a binary float, so 0.1 + 0.2 yuan is exactly 30 fen.
    """
    if isinstance(value, bool):
        raise MoneyFormatError(f"not an amount: {value!r}")
    if isinstance(value, int):
        return value * 100
    text = value if isinstance(value, Decimal) else _NOISE.sub("", value)
    try:
        amount = Decimal(text)
    except InvalidOperation as exc:
        raise MoneyFormatError(f"not an amount: {value!r}") from exc
    if not amount.is_finite():
        raise MoneyFormatError(f"not an amount: {value!r}")
    return int((amount.quantize(_FEN, rounding=ROUND_HALF_UP) * 100).to_integral_value())


def fen_to_yuan(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(_FEN)


def format_yuan(fen: int, *, symbol: str = "¥") -> str:
    """¥1,299.50 — for display only."""
    sign = "-" if fen < 0 else ""
    return f"{sign}{symbol}{fen_to_yuan(abs(fen)):,.2f}"
