"""Text encodings: UTF-8 (with or without BOM) and GBK/GB18030 read; Western European files
(Latin-1, Windows-1252), which also decode as GB18030, are refused instead of garbled."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from siyu.orders.importers import FatalImportError, ParsedOrder, open_export
from siyu.workspace.models import Workspace

from . import export_files as ef
from .test_service import run, taobao_file, taobao_order

WESTERN_ROWS = [
    {"order_no": "A1", "buyer_id": "Müller", "paid_amount": "9.90", "items": "Crème brûlée x"},
    {"order_no": "A2", "buyer_id": "Josés Núñez", "paid_amount": "5", "items": "Cafés au lait"},
    {"order_no": "A3", "buyer_id": "Françoise", "paid_amount": "3", "items": "Größe XL"},
]


def generic(path: Path, rows: list[dict[str, str]], encoding: str) -> Path:
    return ef.write_csv(
        path, [ef.GENERIC, *(ef.row(ef.GENERIC, r) for r in rows)], encoding=encoding
    )


@pytest.mark.parametrize("encoding", ["latin-1", "cp1252"])
def test_a_western_european_file_is_refused_not_garbled(tmp_path: Path, encoding: str) -> None:
    path = generic(tmp_path / "orders.csv", WESTERN_ROWS, encoding)
    (path.read_bytes()).decode("gb18030")  # the trap: it decodes

    with pytest.raises(FatalImportError, match="Latin-1"):
        open_export(path)


def test_one_accented_name_is_enough(tmp_path: Path) -> None:
    rows = [{"order_no": "A1", "buyer_id": "Jürgen", "paid_amount": "1"}]
    with pytest.raises(FatalImportError, match="UTF-8"):
        open_export(generic(tmp_path / "o.csv", rows, "latin-1"))


@pytest.mark.parametrize("encoding", ["gb18030", "gbk", "utf-8", "utf-8-sig"])
def test_chinese_exports_with_rare_names_and_traditional_text_still_read(
    tmp_path: Path, encoding: str
) -> None:
    names = ["王喆", "李堃", "張偉", "陳雅婷", "Amy王", "黄昇"]
    emoji = "😀" if encoding != "gbk" else ""
    path = taobao_file(
        tmp_path / "ExportOrderList.csv",
        *(
            taobao_order(str(1000 + n), 买家会员名=name + emoji, 收货人姓名=name)
            for n, name in enumerate(names)
        ),
    )
    text = path.read_bytes().decode("gb18030")
    path.write_bytes(text.encode(encoding))

    orders = [o for o in open_export(path) if isinstance(o, ParsedOrder)]

    assert [o.buyer_nick for o in orders] == [name + emoji for name in names]


def test_a_refused_file_is_a_failed_run_that_writes_nothing(
    session: Session, workspace: Workspace, tmp_path: Path
) -> None:
    path = generic(tmp_path / "orders.csv", WESTERN_ROWS, "latin-1")

    summary = run(session, workspace, path)

    assert summary.fatal is not None and "Latin-1" in summary.fatal
    assert summary.orders_created == 0
