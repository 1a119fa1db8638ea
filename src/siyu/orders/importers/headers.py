"""Header names: normalisation, alias matching and the column map of one file."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
_WHITESPACE = re.compile(r"\s+")  # str regexes match the full-width space U+3000 too
_LOOKALIKES = str.maketrans({"（": "(", "）": ")", "帐": "账"})


def normalise_header(text: str) -> str:
    """The header as sellers meant it: no BOM, invisible or stray spaces, one spelling.

    Real files carry trailing spaces ("收货地址 "), full-width brackets and the old 帐 for 账;
    spaces are dropped everywhere because Chinese header names never need them.
    """
    text = _INVISIBLE.sub("", text)
    text = _WHITESPACE.sub("", text)
    return text.translate(_LOOKALIKES)


def header_key(text: str) -> str:
    """Matching key: normalised and case-folded, so "Order_No" and "SKU编码" match loosely."""
    return normalise_header(text).casefold()


@dataclass(frozen=True, slots=True)
class ColumnMap:
    """Where each field lives in one file, by position, so duplicated names all survive."""

    headers: list[str]
    positions: dict[str, list[int]]
    unknown: list[str]

    def has(self, field: str) -> bool:
        return bool(self.positions.get(field))


def build_column_map(
    headers: Sequence[str],
    aliases: Mapping[str, Sequence[str]],
    known: Sequence[str] = (),
) -> ColumnMap:
    """Map fields to column positions, most specific alias first; list unrecognised headers."""
    keys = [header_key(name) for name in headers]
    positions: dict[str, list[int]] = {}
    claimed: set[int] = set()
    for field, names in aliases.items():
        found = [
            index for name in names for index, key in enumerate(keys) if key == header_key(name)
        ]
        positions[field] = found
        claimed.update(found)
    known_keys = {header_key(name) for name in known}
    unknown = [
        name
        for index, name in enumerate(headers)
        if name and index not in claimed and keys[index] not in known_keys
    ]
    return ColumnMap(headers=list(headers), positions=positions, unknown=unknown)


def alias_hits(keys: set[str], aliases: Mapping[str, Sequence[str]], known: Sequence[str]) -> int:
    """How many of a row's cells look like this platform's column names."""
    vocabulary = {header_key(name) for names in aliases.values() for name in names}
    vocabulary.update(header_key(name) for name in known)
    return len(keys & vocabulary)


def signature_hits(keys: set[str], signatures: Sequence[Sequence[str]]) -> int:
    """How many of a platform's distinctive column sets are complete in a row."""
    return sum(1 for names in signatures if all(header_key(name) in keys for name in names))
