"""Seller back-end order exports parsed into normalised records (no database here).

``open_export`` sniffs the file format and the platform, finds the header row and checks the
required columns, raising FatalImportError before anything is yielded when the file cannot be
imported. Iterating the reader then streams ParsedOrder (or ParsedItemRow for the Taobao item
file) and RowError values; a bad row never stops the rows after it.

    reader = open_export("ExportOrderList201905231200.csv")
    for record in reader:
        ...
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from zoneinfo import ZoneInfo

from siyu.kit.i18n import N_

from . import douyin, generic, kuaishou, taobao, xiaohongshu, youzan
from .detection import HEADER_SCAN_ROWS, HeaderChoice, choose_header
from .grouping import assemble_file_orders
from .reading import SourceFile, UnreadableRow, open_source
from .records import (
    PLATFORMS,
    FatalImportError,
    ParsedItem,
    ParsedItemRow,
    ParsedOrder,
    RowError,
)
from .rows import ReadContext, data_rows, parse_item_rows, raw_keys
from .spec import PlatformSpec
from .values import Cell, clean_text

__all__ = [
    "PLATFORMS",
    "ExportReader",
    "FatalImportError",
    "ParsedItem",
    "ParsedItemRow",
    "ParsedOrder",
    "RowError",
    "open_export",
]

logger = logging.getLogger("siyu.orders.importers")

# Scored in this order; on a tie the earlier one wins.
SPECS: tuple[PlatformSpec, ...] = (
    taobao.ORDERS,
    taobao.ITEMS,
    douyin.SPEC,
    kuaishou.SPEC,
    youzan.SPEC,
    xiaohongshu.SPEC,
    generic.SPEC,
)
_GENERIC_OPTIONAL = tuple(
    name for name in generic.COLUMN_NAMES if name not in generic.SPEC.required
)


class ExportReader:
    """One export file, its platform and header already known; iterate it for records.

    Each iteration reads the file afresh. A RowError is yielded as soon as its row is read, so
    it can come before the order made of the rows above it (that order is still being grouped).
    """

    def __init__(self, source: SourceFile, choice: HeaderChoice, zone: ZoneInfo) -> None:
        self.path = source.path
        self.platform = choice.spec.platform
        self.file_kind = choice.spec.file_kind
        self.headers = choice.columns.headers
        self.unknown_columns = choice.columns.unknown
        self.header_row = choice.row
        self.file_format = source.format
        self._source = source
        self._context = ReadContext(
            spec=choice.spec,
            columns=choice.columns,
            zone=zone,
            raw_keys=raw_keys(choice.columns.headers),
        )

    def __iter__(self) -> Iterator[ParsedOrder | ParsedItemRow | RowError]:
        if self.file_kind == "taobao_items":
            rows = data_rows(self._source.rows(), self.header_row)
            return parse_item_rows(self._context, rows)
        return assemble_file_orders(self._context, self._source.rows, self.header_row)

    def __repr__(self) -> str:
        return (
            f"ExportReader({self.path.name!r}, platform={self.platform!r}, kind={self.file_kind!r})"
        )


def open_export(
    path: str | Path, platform: str = "auto", *, tz: str = "Asia/Shanghai"
) -> ExportReader:
    """Sniffs format and platform; raises FatalImportError on unknown format / missing required
    columns (naming them and the platform guessed), on an empty or undecodable file."""
    if platform != "auto" and platform not in PLATFORMS:
        raise ValueError(f"platform must be 'auto' or one of {', '.join(PLATFORMS)}")
    zone = ZoneInfo(tz)
    file_path = Path(path)
    source = open_source(file_path, jsonl_columns=_GENERIC_OPTIONAL)
    if source.format == "jsonl" and platform == "auto":
        platform = "generic"  # only Siyu's own format comes as JSONL
    choice = choose_header(_first_rows(source), SPECS, platform)
    for name in choice.columns.unknown:
        logger.info("Unrecognised column %r in %s export %s", name, choice.spec.platform, file_path)
    return ExportReader(source, choice, zone)


def _first_rows(source: SourceFile) -> list[tuple[int, list[Cell]]]:
    """The first non-blank rows, where a header can be; a file without any is empty."""
    try:
        readable = (row for row in source.rows() if not isinstance(row, UnreadableRow))
        non_blank = (row for row in readable if any(clean_text(cell) for cell in row[1]))
        rows = list(islice(non_blank, HEADER_SCAN_ROWS))
    except FatalImportError:
        raise
    except Exception as exc:  # any reader failure on a sniffed format means the file is broken
        raise FatalImportError(
            N_("The file looks like %(format)s but cannot be read: %(error)s"),
            values={"format": source.format, "error": str(exc)},
        ) from exc
    if not rows:
        raise FatalImportError(N_("The file is empty."))
    return rows
