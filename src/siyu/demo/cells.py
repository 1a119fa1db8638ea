"""Cell formats shared by the platform writers: yuan strings, dates, order numbers."""

from datetime import datetime


def yuan(fen: int) -> str:
    """Non-negative integer fen as a yuan string with two decimals: 18900 -> "189.00"."""
    return f"{fen // 100}.{fen % 100:02d}"


def iso_time(moment: datetime | None) -> str:
    """2019-05-23 22:02:11; empty when the event has not happened."""
    if moment is None:
        return ""
    # str() is the fastest formatter (this runs millions of times in the benchmark export);
    # the slice drops microseconds and the +08:00 offset, which exports never show.
    return str(moment)[:19]


def excel_time(moment: datetime | None) -> str:
    """2016/5/23 22:02, the form a file re-saved by Excel carries (no seconds, no padding)."""
    if moment is None:
        return ""
    return f"{moment.year}/{moment.month}/{moment.day} {moment.hour}:{moment.minute:02d}"


def order_number(base: int, seq: int) -> int:
    """Unique, increasing with `seq`, ending in 0 so sub-order numbers can take base+1..9.

    The scrambled middle digits make neighbouring numbers look unrelated, as real ones do.
    """
    return base + seq * 10_000 + (seq * 7_351 % 1_000) * 10


def stamp(moment: datetime) -> str:
    """yyyyMMddHHmm, as platforms put the export moment in file names."""
    return f"{moment.year}{moment.month:02d}{moment.day:02d}{moment.hour:02d}{moment.minute:02d}"


def columns(text: str) -> tuple[str, ...]:
    """A header list written as whitespace-separated names (for headers without spaces)."""
    return tuple(text.split())
