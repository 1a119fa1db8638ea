"""Writing rows as CSV or xlsx: exports of segments and lists, and the analysts' RFM file.

CSV is UTF-8 with a byte-order mark, so Excel on Chinese Windows opens it without mojibake.
xlsx is written in openpyxl's streaming mode, so an export of a million rows stays flat in
memory.
"""

from __future__ import annotations

import csv
import io
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


def format_for(path: Path) -> TableFormat:
    suffix = path.suffix.lower().lstrip(".")
    for fmt in FORMATS:
        if suffix == fmt:
            return fmt
    raise ValueError(f"unsupported file type '{path.suffix}': use .csv or .xlsx")


def _safe(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


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
        writer.writerow([_safe(value) for value in row])
        count += 1
    text.flush()
    text.detach()  # leave the caller's stream open
    return count


def _write_xlsx(
    stream: BinaryIO, header: Sequence[str], rows: Iterable[Sequence[Any]], sheet: str
) -> int:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet[:31])
    worksheet.append(list(header))
    count = 0
    for row in rows:
        worksheet.append([_safe(value) for value in row])
        count += 1
    workbook.save(stream)
    return count


def write_table(path: Path, table: pa.Table, *, sheet: str = "Siyu") -> int:
    """Write an Arrow table to ``path`` as CSV or xlsx, by its extension."""
    fmt = format_for(path)
    columns = [table.column(name).to_pylist() for name in table.column_names]
    with path.open("wb") as stream:
        return write_rows(stream, table.column_names, zip(*columns, strict=True), fmt, sheet=sheet)
