"""Files to rows of cells, streamed: CSV, xlsx, OLE2 xls, HTML tables and JSONL.

The format is sniffed from the bytes, never the extension: sellers' tools save HTML tables
and CSVs under an .xls name. Rows come out numbered from 1 as a spreadsheet would show them;
a cell is text, or a naive datetime where a spreadsheet stored a date.
"""

from __future__ import annotations

import _csv
import codecs
import csv
import io
import json
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from .records import FatalImportError
from .values import Cell, float_text, spreadsheet_date

if TYPE_CHECKING:
    import xlrd
    from lxml import etree

FileFormat = Literal["csv", "xlsx", "xls", "html", "jsonl"]

_ENCODINGS = ("utf-8-sig", "gb18030")
_CHUNK = 1 << 18
_DELIMITERS = (",", "\t", ";")
_SNIFF_LINES = 20
_UTF8_BOM = codecs.BOM_UTF8
_PLAUSIBILITY_BYTES = 1 << 20
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_AFTER_LATIN_LETTER = re.compile(r"[A-Za-z]([^\x00-\x7f])")
_PRIVATE_USE_START, _PRIVATE_USE_END = 0xE000, 0xF8FF


@dataclass(frozen=True, slots=True)
class UnreadableRow:
    """A row the reader could not turn into cells (a JSONL line that is not an object)."""

    row: int
    reason: str


Row = tuple[int, list[Cell]] | UnreadableRow


@dataclass(frozen=True, slots=True)
class SourceFile:
    path: Path
    format: FileFormat
    encoding: str | None = None
    delimiter: str = ","
    # JSONL has no header row: the first object's keys plus these make one (row 0).
    jsonl_columns: tuple[str, ...] = ()

    def rows(self) -> Iterator[Row]:
        """A fresh pass over the file; each call reopens it, so nothing stays open between."""
        if self.format == "xlsx":
            return _xlsx_rows(self.path)
        if self.format == "xls":
            return _xls_rows(self.path)
        encoding = self.encoding or "utf-8-sig"
        if self.format == "html":
            return _html_rows(self.path, encoding)
        if self.format == "jsonl":
            return _jsonl_rows(self.path, encoding, self.jsonl_columns)
        return _csv_rows(self.path, encoding, self.delimiter)


def open_source(path: Path, jsonl_columns: Sequence[str] = ()) -> SourceFile:
    """Sniff format, text encoding and CSV delimiter; reject empty or undecodable files."""
    file_format = sniff_format(path)
    if file_format in ("xlsx", "xls"):
        return SourceFile(path, file_format)
    encoding = detect_encoding(path)
    if file_format == "jsonl":
        return SourceFile(path, "jsonl", encoding, jsonl_columns=tuple(jsonl_columns))
    delimiter = sniff_delimiter(path, encoding) if file_format == "csv" else ","
    return SourceFile(path, file_format, encoding, delimiter)


def sniff_format(path: Path) -> FileFormat:
    with path.open("rb") as stream:
        head = stream.read(4096)
    text_head = head.removeprefix(_UTF8_BOM).lstrip()
    if not text_head:
        raise FatalImportError("The file is empty.")
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    if text_head.startswith(b"<"):
        return "html"
    if text_head.startswith(b"{") or path.suffix.lower() == ".jsonl":
        return "jsonl"
    return "csv"


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) when the whole file decodes strictly, else GB18030.

    The whole file is checked, streamed, because an ASCII preamble can hide GBK rows further
    down, and a file that fails half-way must be rejected before any order is handed out.
    """
    for encoding in _ENCODINGS:
        if _decodes_cleanly(path, encoding):
            if encoding == "gb18030" and _reads_as_western_text(path):
                raise FatalImportError(
                    "The file's text looks like a Western European encoding (Latin-1 or"
                    " Windows-1252), not UTF-8 or GBK/GB18030: save it as UTF-8 and import"
                    " it again."
                )
            return encoding
    raise FatalImportError("The file's text is neither UTF-8 nor GBK/GB18030 and cannot be read.")


def _reads_as_western_text(path: Path) -> bool:
    """Whether a file that decodes as GB18030 is really Latin-1 or Windows-1252 text.

    Such bytes decode, but into nonsense: an accented letter inside a word ("Müller") pairs
    with the letter after it into a rare character outside GB2312, right after a Latin letter
    ("M黮ler"), or into a private-use character. Chinese text is mostly GB2312 characters and
    never mostly such pairs, whatever its rare names.
    """
    with path.open("rb") as stream:
        sample = stream.read(_PLAUSIBILITY_BYTES).decode("gb18030", errors="ignore")
    foreign = _NON_ASCII.findall(sample)
    if not foreign:
        return False
    odd = sum(1 for char in _AFTER_LATIN_LETTER.findall(sample) if not _in_gb2312(char))
    odd += sum(1 for char in foreign if _PRIVATE_USE_START <= ord(char) <= _PRIVATE_USE_END)
    return odd * 2 >= len(foreign)


def _in_gb2312(char: str) -> bool:
    try:
        char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _decodes_cleanly(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with path.open("rb") as stream:
            while chunk := stream.read(_CHUNK):
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def sniff_delimiter(path: Path, encoding: str) -> str:
    """The delimiter giving the widest row among the first lines; commas win ties."""
    with path.open(encoding=encoding, newline="") as stream:
        sample = "".join(islice(stream, _SNIFF_LINES))

    def widest_row(delimiter: str) -> int:
        reader = csv.reader(io.StringIO(sample), delimiter=delimiter)
        with _csv_errors(reader):
            return max((len(row) for row in reader), default=0)

    return max(_DELIMITERS, key=widest_row)


def _csv_rows(path: Path, encoding: str, delimiter: str) -> Iterator[Row]:
    with path.open(encoding=encoding, newline="") as stream:
        # csv.reader makes a new list per row: no copy needed.
        reader = csv.reader(stream, delimiter=delimiter)
        with _csv_errors(reader):
            yield from enumerate(reader, start=1)


@contextmanager
def _csv_errors(reader: _csv.Reader) -> Iterator[None]:
    """A malformed CSV (a cell past the csv module's size limit, a NUL byte) rejects the file
    with the line it stopped at, never a traceback. The limit (128 KiB a cell) stays: no seller
    export has such a cell, and a larger one is a broken or hostile file."""
    try:
        yield
    except csv.Error as error:
        if "field larger than field limit" in str(error):
            limit = csv.field_size_limit() // 1024
            raise FatalImportError(
                f"Line {reader.line_num} has a cell longer than {limit} KiB:"
                " the file is not an order export and cannot be imported."
            ) from None
        raise FatalImportError(
            f"Line {reader.line_num} is not valid CSV ({error}): the file cannot be imported."
        ) from None


def _xlsx_rows(path: Path) -> Iterator[Row]:
    import openpyxl  # spreadsheet readers load on first use: they cost seconds at start-up

    # Opened as a stream: given a path, openpyxl refuses names not ending in .xlsx.
    with path.open("rb") as stream:
        workbook = openpyxl.load_workbook(stream, read_only=True, data_only=True)
        try:
            sheet = workbook.worksheets[0]
            # Exports from non-Excel tools often declare a wrong sheet size; read what is there.
            sheet.reset_dimensions()
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                yield number, [_spreadsheet_cell(value) for value in values]
        finally:
            workbook.close()


def _spreadsheet_cell(value: object) -> Cell:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return float_text(value)
    if isinstance(value, date):
        return spreadsheet_date(value)
    if isinstance(value, time):
        return value.isoformat()
    return str(value)


def _xls_rows(path: Path) -> Iterator[Row]:
    import xlrd

    # xlrd reads a whole .xls into memory; the format caps a sheet at 65,536 rows anyway.
    book = xlrd.open_workbook(str(path), on_demand=True)
    try:
        sheet = book.sheet_by_index(0)
        for index in range(sheet.nrows):
            cells = [_xls_cell(cell, book.datemode) for cell in sheet.row(index)]
            yield index + 1, cells
    finally:
        book.release_resources()


def _xls_cell(cell: xlrd.sheet.Cell, datemode: int) -> Cell:
    import xlrd

    if cell.ctype == xlrd.XL_CELL_DATE:
        moment: datetime = xlrd.xldate.xldate_as_datetime(cell.value, datemode)
        return moment
    if cell.ctype == xlrd.XL_CELL_NUMBER:
        return float_text(float(cell.value))
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return "TRUE" if cell.value else "FALSE"
    if cell.ctype == xlrd.XL_CELL_TEXT:
        return str(cell.value)
    return ""


def _html_rows(path: Path, encoding: str) -> Iterator[Row]:
    """<tr> rows of an HTML table, fed to lxml as decoded text in chunks so memory stays flat."""
    from lxml import etree

    parser = etree.HTMLPullParser(events=("end",), tag="tr")
    number = 0
    with path.open(encoding=encoding) as stream:
        while True:
            chunk = stream.read(_CHUNK)
            if chunk:
                parser.feed(chunk)
            else:
                parser.close()
            for _event, element in parser.read_events():
                if not isinstance(element, etree._Element):
                    continue
                number += 1
                yield number, _html_cells(element)
                _forget(element)
            if not chunk:
                return


def _html_cells(row: etree._Element) -> list[Cell]:
    return [_element_text(cell) for cell in row if cell.tag in ("td", "th")]


def _element_text(cell: etree._Element) -> str:
    return "".join(str(part) for part in cell.itertext())


def _forget(element: etree._Element) -> None:
    """Drop a parsed row and the rows before it so the tree never grows."""
    element.clear()
    parent = element.getparent()
    while parent is not None and element.getprevious() is not None:
        del parent[0]


def _jsonl_rows(path: Path, encoding: str, extra_columns: Sequence[str]) -> Iterator[Row]:
    header: list[str] | None = None
    with path.open(encoding=encoding) as stream:
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            record = _json_object(line)
            if header is None:
                if record is None:
                    raise FatalImportError("The first line is not a JSON object.")
                header = list(record) + [name for name in extra_columns if name not in record]
                yield 0, list[Cell](header)
            if record is None:
                yield UnreadableRow(number, "Line is not a JSON object.")
                continue
            yield number, [_json_cell(record.get(name)) for name in header]


def _json_object(line: str) -> dict[str, object] | None:
    try:
        record = json.loads(line, parse_float=Decimal)
    except json.JSONDecodeError:
        return None
    return record if isinstance(record, dict) else None


def _json_cell(value: object) -> Cell:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)
