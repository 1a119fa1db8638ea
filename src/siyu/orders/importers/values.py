"""Cell values: Excel guards, money in fen, local date-times, mainland mobile numbers.

Every parser takes already-read cells (text, or a naive datetime from a spreadsheet date cell)
and either returns a value, returns None for an absent cell, or raises ValueError with a short
English reason that ends up in a RowError.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from siyu.kit.money import MoneyFormatError, yuan_to_fen

Cell = str | datetime

# Sellers' tools write these for "nothing here".
ABSENT = frozenset({"", "-", "--", "null", "none", "nan", "n/a"})
ABSENT_LONGEST = max(len(text) for text in ABSENT)
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
_GUARDS = ('="', "'")
_DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
)
# What strptime accepts for those formats: 1-2 digit fields, any whitespace between date and
# time, 1-6 fraction digits.
_COMMON_MOMENT = re.compile(
    r"(\d{4})([-/])(\d{1,2})\2(\d{1,2})(?:\s+(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,6}))?)?)?"
)
# A currency sign before or 元 after, thousands commas; anything else is not an amount.
_AMOUNT = re.compile(r"(?:[¥￥]|RMB|CNY)?\s*([-+]?[\d,]*\.?\d+)\s*(?:元|RMB|CNY)?", re.IGNORECASE)
# Most amounts are plain digits with at most two decimals.
_PLAIN_YUAN = re.compile(r"(\d+)(?:\.(\d{1,2}))?")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_PHONE_PUNCTUATION = re.compile(r"[\s\-()（）]")


def clean_text(cell: Cell) -> str:
    """Cell text with whitespace, zero-width characters and Excel text guards removed.

    Guards exist because sellers open exports in Excel: `="1930…"` keeps an 18-digit order
    number from turning into 1.93E+17, a leading `'` keeps a phone's leading digits.
    """
    if isinstance(cell, datetime):
        return cell.isoformat(sep=" ")
    return _unguarded(_ZERO_WIDTH.sub("", cell).strip())


def clean_cells(cells: Sequence[Cell]) -> list[str]:
    """clean_text of every cell of a row, the same texts, in far fewer calls: a large import
    cleans tens of millions of cells, and most rows hold no zero-width character at all."""
    try:
        joined = "".join(cells)  # type: ignore[arg-type]
    except TypeError:  # a spreadsheet date among the cells
        return [clean_text(cell) for cell in cells]
    if _ZERO_WIDTH.search(joined) is not None:
        return [clean_text(cell) for cell in cells]
    texts = [cell.strip() for cell in cells]  # type: ignore[union-attr]
    if "'" in joined or '="' in joined:
        texts = [_unguarded(text) if text.startswith(_GUARDS) else text for text in texts]
    return texts


def _unguarded(text: str) -> str:
    if text.startswith('="') and text.endswith('"') and len(text) >= 3:
        text = text[2:-1].strip()
    if text.startswith("'"):
        text = text[1:].strip()
    return text


def is_absent(text: str) -> bool:
    # Case folding never shortens a text, so longer texts cannot be absent: skip the fold.
    return not text or (len(text) <= ABSENT_LONGEST and text.casefold() in ABSENT)


def float_text(value: float) -> str:
    """Spreadsheet numbers as the text Excel shows, never as binary-float noise.

    repr() is the shortest text that round-trips, so 0.1 + 0.2 stored as 0.30000000000000004
    becomes that text and rounds to 30 fen later; whole numbers lose the ".0".
    """
    if value.is_integer():
        return str(int(value))
    return format(Decimal(repr(value)), "f")


def parse_fen(text: str) -> int | None:
    """A yuan amount ("1,299.50元", "¥3") to fen, half up, through Decimal only."""
    if is_absent(text):
        return None
    plain = _PLAIN_YUAN.fullmatch(text)
    if plain is not None:  # "49.00": exact in fen without Decimal, nothing to round
        whole, cents = plain.groups()
        return int(whole) * 100 + int((cents or "0").ljust(2, "0"))
    match = _AMOUNT.fullmatch(text)
    if match is None:
        raise ValueError("Not a valid amount.")
    try:
        fen = yuan_to_fen(match.group(1))
    except MoneyFormatError as exc:
        raise ValueError("Not a valid amount.") from exc
    if fen < 0:
        raise ValueError("Amount is negative.")
    return fen


def parse_quantity(text: str) -> int | None:
    if is_absent(text):
        return None
    try:
        number = Decimal(text.replace(",", ""))
    except InvalidOperation as exc:
        raise ValueError("Quantity is not a whole number.") from exc
    if not number.is_finite() or number != number.to_integral_value() or number < 0:
        raise ValueError("Quantity is not a whole number.")
    return int(number)


def parse_moment(cell: Cell, zone: ZoneInfo) -> datetime | None:
    """A local date-time (text or spreadsheet cell) read in ``zone``, returned as aware UTC."""
    if isinstance(cell, datetime):
        return _to_utc(cell, zone)
    return parse_moment_text(clean_text(cell), zone)


def parse_moment_text(text: str, zone: ZoneInfo) -> datetime | None:
    """parse_moment of a cell's already cleaned text."""
    if is_absent(text):
        return None
    fast = _common_moment(text)
    if fast is not None:
        return _to_utc(fast, zone)
    for pattern in _DATE_FORMATS:
        try:
            return _to_utc(datetime.strptime(text, pattern), zone)  # noqa: DTZ007 - zone added
        except ValueError:
            continue
    try:
        return _to_utc(datetime.fromisoformat(text), zone)
    except ValueError:
        raise ValueError("Not a valid date-time.") from None


def _common_moment(text: str) -> datetime | None:
    """The common shapes of _DATE_FORMATS read without strptime (ten times slower, and the
    bulk of a large import's parsing time); None sends anything else down the full path."""
    match = _COMMON_MOMENT.fullmatch(text)
    if match is None:
        return None
    year, separator, month, day, hour, minute, second, fraction = match.groups()
    if fraction is not None and separator == "/":
        return None  # no such format: let the full path decide
    try:
        return datetime(  # noqa: DTZ001 - naive local time; the caller adds the zone
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int((fraction or "0").ljust(6, "0")),
        )
    except ValueError:
        return None


def _to_utc(moment: datetime, zone: ZoneInfo) -> datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def spreadsheet_date(value: date) -> datetime:
    """Date-only spreadsheet cells count as local midnight."""
    if isinstance(value, datetime):
        return value
    return datetime(value.year, value.month, value.day)  # noqa: DTZ001 - local, zoned later


def normalise_mobile(text: str) -> str | None:
    """An unmasked mainland mobile as 11 digits; masked, encrypted or other numbers give None."""
    if "*" in text:
        return None
    digits = _PHONE_PUNCTUATION.sub("", text)
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix) :]
            break
    return digits if _MOBILE.fullmatch(digits) else None


def is_masked(text: str) -> bool:
    return "*" in text


_PROVINCE_SUFFIXES = ("省", "市", "自治区", "特别行政区")


def province_from_address(address: str) -> str | None:
    """The province when an address starts with one, as Taobao writes "浙江省 杭州市 …"."""
    first = address.split(maxsplit=1)[0] if address.strip() else ""
    return first if first.endswith(_PROVINCE_SUFFIXES) else None
