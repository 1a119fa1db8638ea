"""The shared tabular writer: every cell a spreadsheet opens is safe and every name a valid
sheet title."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from siyu.kit.tabular import formula_safe, sheet_title, write_rows


@pytest.mark.parametrize(
    "cell", ['=HYPERLINK("http://x","y")', "@SUM(A1)", "+1+2", "-1+2", "\t=1", "\r=1"]
)
def test_formulas_are_quoted(cell: str) -> None:
    assert formula_safe(cell) == "'" + cell


def test_plain_cells_are_kept() -> None:
    assert formula_safe("张三") == "张三"
    assert formula_safe(12) == 12


def test_a_control_character_in_a_cell_does_not_break_the_xlsx() -> None:
    stream = io.BytesIO()
    write_rows(stream, ["name"], [["张\x01三\x1f"], ["=1+1"]], "xlsx")
    sheet = load_workbook(io.BytesIO(stream.getvalue())).active
    assert [row[0] for row in sheet.iter_rows(values_only=True)] == ["name", "张三", "'=1+1"]


@pytest.mark.parametrize(
    "name",
    ["VIP [2024]?", "a*b/c\\d:e", "x" * 40, "'quoted'", "\x01", "[]", "高价值粉丝：回购?"],
)
def test_any_segment_name_makes_a_valid_sheet(name: str) -> None:
    title = sheet_title(name)
    assert 0 < len(title) <= 31
    stream = io.BytesIO()
    write_rows(stream, ["a"], [[1]], "xlsx", sheet=name)
    assert load_workbook(io.BytesIO(stream.getvalue())).sheetnames == [title]


def test_csv_cells_are_quoted_too() -> None:
    stream = io.BytesIO()
    write_rows(stream, ["a"], [["=cmd|' /C calc'!A0"]], "csv")
    rows = list(csv.reader(io.StringIO(stream.getvalue().decode("utf-8-sig"))))
    assert rows == [["a"], ["'=cmd|' /C calc'!A0"]]
