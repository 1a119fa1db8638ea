"""Writing rows as CSV or xlsx: exports of segments and lists, and the analysts' RFM file.

CSV is UTF-8 with a byte-order mark, so Excel on Chinese Windows opens it without mojibake.
xlsx is written in openpyxl's streaming mode, so an export of a million rows stays flat in
memory.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, BinaryIO, Literal

import pyarrow as pa

TableFormat = Literal["csv", "xlsx"]
FORMATS: tuple[TableFormat, ...] = ("csv", "xlsx")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# Cells starting with these would run as formulas in a spreadsheet (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Control characters an xlsx cell cannot hold (XML 1.0 forbids them); openpyxl refuses them.
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Characters Excel forbids in a sheet title, which is at most 31 characters.
_SHEET_TITLE_ILLEGAL = re.compile(r"[\[\]:*?/\\]")
_SHEET_TITLE_MAX = 31


def format_for(path: Path) -> TableFormat:
    suffix = path.suffix.lower().lstrip(".")
    for fmt in FORMATS:
        if suffix == fmt:
            return fmt
    raise ValueError(f"unsupported file type '{path.suffix}': use .csv or .xlsx")


def formula_safe(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula, quoted so it shows as text.

    Every file Siyu writes for a spreadsheet passes its cells through here: exports, and the
    import reject reports that echo what a seller's file held."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _xlsx_cell(value: Any) -> Any:
    value = formula_safe(value)
    if isinstance(value, str):
        return _XLSX_ILLEGAL.sub("", value)
    return value


def sheet_title(name: str) -> str:
    """``name`` as a valid sheet title: forbidden characters replaced, cut to 31 characters."""
    title = _SHEET_TITLE_ILLEGAL.sub("_", _XLSX_ILLEGAL.sub("", name))
    title = title[:_SHEET_TITLE_MAX].strip("'")
    return title or "Siyu"


def write_rows(
    stream: BinaryIO,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    fmt: TableFormat,
    *,
    sheet: str = "Siyu",
) -> int:
    """Write a header and rows; returns the number of data rows."""
    if fmt == "csv":
        return _write_csv(stream, header, rows)
    return _write_xlsx(stream, header, rows, sheet)


def _write_csv(stream: BinaryIO, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="", write_through=True)
    writer = csv.writer(text)
    writer.writerow(header)
    count = 0
    for row in rows:
        writer.writerow([formula_safe(value) for value in row])
        count += 1
    text.flush()
    text.detach()  # leave the caller's stream open
    return count


def _write_xlsx(
    stream: BinaryIO, header: Sequence[str], rows: Iterable[Sequence[Any]], sheet: str
) -> int:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet_title(sheet))
    worksheet.append([_xlsx_cell(value) for value in header])
    count = 0
    for row in rows:
        worksheet.append([_xlsx_cell(value) for value in row])
        count += 1
    workbook.save(stream)
    return count


def write_table(path: Path, table: pa.Table, *, sheet: str = "Siyu") -> int:
    """Write an Arrow table to ``path`` as CSV or xlsx, by its extension."""
    fmt = format_for(path)
    columns = [table.column(name).to_pylist() for name in table.column_names]
    with path.open("wb") as stream:
        return write_rows(stream, table.column_names, zip(*columns, strict=True), fmt, sheet=sheet)
