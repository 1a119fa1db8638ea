"""One normal form for messages and keywords, so that ``ＳＫＵ``, ``sku`` and ``S\\u200bKU`` all
meet the keyword ``SKU`` and ``退貨`` meets ``退货``.

Steps, in order: invisible characters removed, Unicode NFKC, case folding (then NFKC again, since
folding can leave a few characters outside NFKC), traditional Chinese to simplified (OpenCC
``t2s``), runs of white space collapsed to one space and trimmed. Matching runs on the result, so
offsets refer to the normalised text.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from typing import Protocol

import opencc


# Format characters (Unicode category Cf: zero-width space and joiners, word joiner, BOM, soft
# hyphen, bidi controls, tag characters) render as nothing and are a classic way to slip past
# keyword filters; so do variation selectors, the combining grapheme joiner and the Hangul
# fillers. Scanning the BMP and the tag plane once at import costs a few milliseconds.
def _invisible_code_points() -> list[int]:
    scanned = [*range(0x10000), *range(0xE0000, 0xE1000)]
    format_chars = [code for code in scanned if unicodedata.category(chr(code)) == "Cf"]
    others = [0x034F, 0x115F, 0x1160, 0x3164, 0xFFA0, *range(0xFE00, 0xFE10)]
    return sorted({*format_chars, *others})


def _character_class(codes: list[int]) -> str:
    """A regex class of ranges: listing thousands of single characters makes ``re`` slow."""
    ranges: list[list[int]] = []
    for code in codes:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return "[" + "".join(f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges) + "]"


_INVISIBLE = re.compile(_character_class(_invisible_code_points()))


class _Converter(Protocol):
    def convert(self, text: str) -> str: ...


# OpenCC loads its dictionaries when a converter is created (milliseconds, megabytes), so each
# process creates one, lazily, under a lock so two first callers don't both load. Conversion
# itself needs no lock: OpenCC's Converter is documented thread-safe (BYVoid/OpenCC#231), and the
# Python binding holds the GIL while converting (two threads converting run no faster than one).
_converter: _Converter | None = None
_converter_lock = threading.Lock()


def _t2s() -> _Converter:
    global _converter
    if _converter is None:
        with _converter_lock:
            if _converter is None:
                _converter = opencc.OpenCC("t2s")
    return _converter


# Full-width ASCII forms (ＳＫＵ, ，, ？) and the ideographic space are everywhere in Chinese
# text and take it out of NFKC. They are single-character NFKC mappings, so translating them
# first gives the same result, and usually leaves nothing for the much slower normalize() to do.
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def _nfkc(text: str) -> str:
    # is_normalized is a quick check; normalize() costs microseconds even on short text.
    if unicodedata.is_normalized("NFKC", text):
        return text
    text = text.translate(_FULL_WIDTH)
    if unicodedata.is_normalized("NFKC", text):
        return text
    return unicodedata.normalize("NFKC", text)


def normalise(text: str) -> str:
    """The normal form matching runs on (see the module docstring)."""
    if _INVISIBLE.search(text):
        text = _INVISIBLE.sub("", text)
    text = _nfkc(_nfkc(text).casefold())
    if not text.isascii():
        text = _t2s().convert(text)
    # str.split() with no argument splits on every Unicode white space and drops the ends.
    return " ".join(text.split())
