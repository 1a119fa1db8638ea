"""Reading, detection, values, bad rows and fatal files, independent of one platform."""

from __future__ import annotations

import json
import logging
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from siyu.orders.importers import (
    FatalImportError,
    ParsedOrder,
    RowError,
    open_export,
)
from siyu.orders.importers.headers import normalise_header
from siyu.orders.importers.values import (
    clean_text,
    float_text,
    normalise_mobile,
    parse_fen,
    parse_moment,
)

from . import export_files as ef

SHANGHAI = ZoneInfo("Asia/Shanghai")


# --- values -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("1,299.50元", 129950),
        ("¥3", 300),
        ("￥ 0.01", 1),
        ("0.005", 1),  # half up, never banker's rounding
        ("0.004", 0),
        ("12", 1200),
        ("-", None),
        ("null", None),
        ("", None),
    ],
)
def test_amounts_are_parsed_to_fen_half_up(text: str, fen: int | None) -> None:
    assert parse_fen(text) == fen


def test_spreadsheet_floats_reach_fen_without_binary_noise() -> None:
    assert parse_fen(float_text(0.1 + 0.2)) == 30
    assert parse_fen(float_text(2.675)) == 268  # the float is 2.67499999…; Excel shows 2.675
    assert float_text(193012345678.0) == "193012345678"


@pytest.mark.parametrize("text", ["abc", "1.2.3", "12元5"])
def test_unparsable_amounts_raise(text: str) -> None:
    with pytest.raises(ValueError, match="Not a valid amount"):
        parse_fen(text)


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("13800138000", "13800138000"),
        ("+86 138-0013-8000", "13800138000"),
        ("8613800138000", "13800138000"),
        ("0086 13800138000", "13800138000"),
        ("138****1234", None),
        ("0571-88888888", None),
        ("12800138000", None),
        ("#a8f3c2", None),
    ],
)
def test_only_unmasked_mainland_mobiles_are_kept(text: str, phone: str | None) -> None:
    assert normalise_mobile(clean_text(text)) == phone


@pytest.mark.parametrize(
    ("cell", "moment"),
    [
        ("2016/5/23 22:02", datetime(2016, 5, 23, 14, 2, tzinfo=UTC)),
        ("2019-05-23 22:02:11", datetime(2019, 5, 23, 14, 2, 11, tzinfo=UTC)),
        ("2019-05-23", datetime(2019, 5, 22, 16, 0, tzinfo=UTC)),
        ("2019-05-23T22:02:11Z", datetime(2019, 5, 23, 22, 2, 11, tzinfo=UTC)),
        (datetime(2019, 5, 23, 22, 2, 11), datetime(2019, 5, 23, 14, 2, 11, tzinfo=UTC)),
        ("-", None),
    ],
)
def test_dates_are_read_in_the_workspace_zone_and_returned_in_utc(
    cell: str | datetime, moment: datetime | None
) -> None:
    assert parse_moment(cell, SHANGHAI) == moment


def test_guards_tabs_and_invisible_characters_are_stripped() -> None:
    assert clean_text('="193012345678901234"') == "193012345678901234"
    assert clean_text("'13800138000") == "13800138000"
    assert clean_text("\t4912345678901234567\u200b ") == "4912345678901234567"


def test_headers_are_normalised() -> None:
    assert normalise_header("\ufeff订单付款时间 \u3000") == "订单付款时间"
    assert normalise_header("买家支付宝帐号") == "买家支付宝账号"
    assert normalise_header("用户应付金额（元）") == "用户应付金额(元)"


# --- formats and detection ----------------------------------------------------------------


def _generic_rows() -> list[list[str]]:
    return [ef.GENERIC[:4], ["A-1", "fan", "2024-03-01 12:00:00", "1"]]


def test_format_is_sniffed_from_content_not_extension(tmp_path: Path) -> None:
    xlsx_named_csv = ef.write_xlsx(tmp_path / "orders.csv", _generic_rows())
    csv_named_xls = ef.write_csv(tmp_path / "orders.xls", _generic_rows())

    assert open_export(xlsx_named_csv).file_format == "xlsx"
    assert open_export(csv_named_xls).file_format == "csv"


def test_header_row_is_found_below_a_preamble(tmp_path: Path) -> None:
    preamble = [["店铺：小鹿美妆"], ["导出时间", "2024-03-01"], []]
    path = ef.write_csv(tmp_path / "orders.csv", preamble + _generic_rows())

    reader = open_export(path)
    [parsed] = list(reader)

    assert reader.header_row == 4
    assert isinstance(parsed, ParsedOrder)
    assert parsed.rows == [5]


def test_header_further_down_than_twenty_rows_is_not_found(tmp_path: Path) -> None:
    preamble = [[f"说明 {line}"] for line in range(20)]
    path = ef.write_csv(tmp_path / "orders.csv", preamble + _generic_rows())

    with pytest.raises(FatalImportError, match="Unknown export format"):
        open_export(path)


def test_unknown_columns_are_logged_and_exposed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rows = [[*ef.GENERIC[:4], "备注 "], ["A-1", "fan", "", "1", "x"]]
    path = ef.write_csv(tmp_path / "orders.csv", rows)

    with caplog.at_level(logging.INFO, logger="siyu.orders.importers"):
        reader = open_export(path)

    assert reader.unknown_columns == ["备注"]
    assert "备注" in caplog.text


def test_a_repeated_order_number_after_another_order_starts_a_new_order(tmp_path: Path) -> None:
    rows = [ef.GENERIC[:4], ["A", "f", "", "1"], ["B", "f", "", "1"], ["A", "f", "", "1"]]
    path = ef.write_csv(tmp_path / "orders.csv", rows)

    numbers = [record.order_no for record in open_export(path) if isinstance(record, ParsedOrder)]

    assert numbers == ["A", "B", "A"]


def test_forcing_a_platform_reads_the_file_as_that_platform(tmp_path: Path) -> None:
    # A custom Douyin report without 子订单编号 still has its required columns.
    header = ["主订单编号", "订单应付金额", "支付完成时间", "订单状态"]
    path = ef.write_csv(tmp_path / "d.csv", [header, ["9", "1", "2024-01-01", "已发货"]])

    [parsed] = list(open_export(path, "douyin"))

    assert isinstance(parsed, ParsedOrder)
    assert (parsed.platform, parsed.status, parsed.paid_amount_fen) == ("douyin", "shipped", 100)


def test_streaming_keeps_memory_flat(tmp_path: Path) -> None:
    # Wide rows make a 2 MB file from few rows, so the check stays quick under tracemalloc.
    path = tmp_path / "big.csv"
    memo = "备注" * 250
    with path.open("w", encoding="utf-8") as stream:
        stream.write("order_no,buyer_id,paid_at,paid_amount,status,memo\n")
        for number in range(3_000):
            stream.write(f"N{number},fan{number % 97},2024-03-01 12:00:00,12.50,paid,{memo}\n")
    size = path.stat().st_size
    reader = open_export(path)  # its encoding check reads fixed-size chunks, whatever the size

    tracemalloc.start()
    try:
        count = sum(1 for _ in reader)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert count == 3_000
    assert size > 2_000_000
    assert peak < size / 8, (peak, size)


# --- bad rows in the generic format -------------------------------------------------------


def test_generic_row_errors(tmp_path: Path) -> None:
    bad = {"title": "发夹", "quantity": True}
    path = ef.write_jsonl(
        tmp_path / "orders.jsonl",
        [
            {"order_no": "1", "buyer_id": "a", "paid_at": "", "paid_amount": "1"},
            "{not json",
            '["a list"]',
            {
                "order_no": "2",
                "buyer_id": "a",
                "paid_at": "",
                "paid_amount": 1,
                "platform": "tmall",
            },
            {"order_no": "3", "buyer_id": "a", "paid_at": "", "paid_amount": 1, "items": "[oops"},
            {"order_no": "4", "buyer_id": "a", "paid_at": "", "paid_amount": 1, "items": {"a": 1}},
            {"order_no": "5", "buyer_id": "a", "paid_at": "", "paid_amount": 1, "items": [{}]},
            {"order_no": "6", "buyer_id": "a", "paid_at": "", "paid_amount": 1, "status": "lost"},
            {"order_no": "7", "buyer_id": "a", "paid_at": "", "paid_amount": 1, "items": [bad]},
        ],
    )

    records = list(open_export(path))

    assert [record.reason for record in records if isinstance(record, RowError)] == [
        "Line is not a JSON object.",
        "Line is not a JSON object.",
        "Unknown platform.",
        "Items are not valid JSON.",
        "Items must be a JSON array of objects.",
        "Every item needs a title.",
        "Unknown order status.",
        "Item values must be text or numbers.",
    ]
    # A row error comes out as soon as it is found, ahead of the order still being grouped.
    assert [_first_row(record) for record in records] == [2, 3, 4, 5, 6, 7, 8, 9, 1]


def _first_row(record: object) -> int:
    return record.rows[0] if isinstance(record, ParsedOrder) else record.row  # type: ignore[attr-defined]


def test_item_file_row_without_title(tmp_path: Path) -> None:
    header = ef.TAOBAO_ITEMS
    path = ef.write_csv(
        tmp_path / "ExportOrderDetailList.csv",
        [header, ef.row(header, {"订单编号": "1", "价格": "1", "购买数量": "1"})],
    )

    assert list(open_export(path)) == [RowError(2, "标题", None, "Missing item title.")]


# --- fatal files --------------------------------------------------------------------------


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf \r\n", b",,,\n,,\n"])
def test_empty_files_are_rejected(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(content)

    with pytest.raises(FatalImportError, match="empty"):
        open_export(path)


def test_undecodable_bytes_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    path.write_bytes(b"order_no,buyer_id,paid_at,paid_amount\n" + b"\xff\xfe\xff,\x80\n")

    with pytest.raises(FatalImportError, match="neither UTF-8 nor GBK"):
        open_export(path)


def test_a_file_of_no_known_platform_is_rejected(tmp_path: Path) -> None:
    path = ef.write_csv(tmp_path / "x.csv", [["名称", "数量"], ["a", "1"]])

    with pytest.raises(FatalImportError, match="Unknown export format") as caught:
        open_export(path)

    assert caught.value.platform_guess is None


def test_missing_required_columns_are_named_with_the_platform(tmp_path: Path) -> None:
    header = [name for name in ef.DOUYIN if name not in ("支付完成时间", "订单应付金额")]
    path = ef.write_csv(tmp_path / "d.csv", [header])

    with pytest.raises(FatalImportError, match=r"douyin.*支付完成时间, 订单应付金额") as caught:
        open_export(path)

    assert caught.value.platform_guess == "douyin"
    assert caught.value.missing_columns == ["支付完成时间", "订单应付金额"]


def test_a_forced_platform_must_have_its_required_columns(tmp_path: Path) -> None:
    path = ef.write_csv(tmp_path / "k.csv", [["订单号", "订单状态"], ["1", "交易成功"]])

    with pytest.raises(FatalImportError, match="kuaishou") as caught:
        open_export(path, "kuaishou")

    assert caught.value.missing_columns == ["订单支付时间", "实付款"]


def test_a_forced_platform_with_no_header_of_its_own_is_rejected(tmp_path: Path) -> None:
    path = ef.write_csv(tmp_path / "g.csv", _generic_rows())

    with pytest.raises(FatalImportError, match="No header row of a youzan export") as caught:
        open_export(path, "youzan")

    assert caught.value.platform_guess == "youzan"
    assert caught.value.missing_columns == ["订单号", "买家付款时间", "订单实付金额"]


def test_a_corrupt_spreadsheet_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "orders.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not a zip archive")

    with pytest.raises(FatalImportError, match="looks like xlsx but cannot be read"):
        open_export(path)


def test_a_jsonl_file_must_start_with_an_object(tmp_path: Path) -> None:
    path = tmp_path / "orders.jsonl"
    path.write_text("[1, 2]\n" + json.dumps({"order_no": "1"}) + "\n", encoding="utf-8")

    with pytest.raises(FatalImportError, match="first line is not a JSON object"):
        open_export(path)


def test_a_jsonl_file_missing_required_keys_is_rejected(tmp_path: Path) -> None:
    path = ef.write_jsonl(tmp_path / "orders.jsonl", [{"order_no": "1", "buyer_id": "a"}])

    with pytest.raises(FatalImportError) as caught:
        open_export(path)

    assert caught.value.missing_columns == ["paid_at", "paid_amount"]


def test_an_unknown_platform_argument_is_a_programming_error(tmp_path: Path) -> None:
    path = ef.write_csv(tmp_path / "g.csv", _generic_rows())

    with pytest.raises(ValueError, match="platform must be"):
        open_export(path, "tmall")
