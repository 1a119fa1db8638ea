"""Each platform's export, in the file format and with the quirks sellers actually get."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from unittest.mock import ANY

import pytest

from siyu.orders.importers import (
    ParsedItem,
    ParsedItemRow,
    ParsedOrder,
    RowError,
    open_export,
)

from . import export_files as ef


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def orders_of(path: Path, platform: str = "auto") -> list[ParsedOrder]:
    records = list(open_export(path, platform))
    assert all(isinstance(record, ParsedOrder) for record in records), records
    return records  # type: ignore[return-value]


def order(**fields: object) -> ParsedOrder:
    """An expected order: every field defaults to its empty value, raw is not compared."""
    defaults: dict[str, object] = {
        "shop": None,
        "buyer_id": None,
        "buyer_nick": None,
        "phone": None,
        "receiver_name": None,
        "address": None,
        "province": None,
        "refund_state": "none",
        "refund_amount_fen": 0,
        "created_at": None,
        "paid_at": None,
        "completed_at": None,
        "streamer_id": None,
        "streamer_name": None,
        "traffic_source": None,
        "items": [],
        "raw": ANY,
    }
    return ParsedOrder(**(defaults | fields))  # type: ignore[arg-type]


def test_taobao_classic_gb18030_csv_with_preamble_guards_and_trailing_space_headers(
    tmp_path: Path,
) -> None:
    header = ef.TAOBAO_CLASSIC
    path = ef.write_csv(
        tmp_path / "ExportOrderList201905231200.csv",
        [
            ["订单报表", "导出时间：2019-05-23 12:00"],
            header,
            ef.row(header, {
                "订单编号": '="193012345678901234"', "买家会员名": "小鹿妈妈",
                "买家实际支付金额": "1,299.50元", "订单状态": "交易成功", "收货人姓名": "王芳",
                "收货地址": "浙江省 杭州市 西湖区 文三路 90 号", "联系电话": "0571-88888888",
                "联系手机": "'13800138000", "订单创建时间": "2016/5/23 22:02",
                "订单付款时间": "2016/5/23 22:03", "宝贝标题": "保湿面霜 50ml", "宝贝总数量": "2",
                "店铺名称": "小鹿美妆", "退款金额": "0", "确认收货时间": "2016-05-30 10:00:00",
            }),
            ef.row(header, {
                "订单编号": '="193012345678901235"', "买家会员名": "t**1",
                "买家实际支付金额": "88.00", "订单状态": "等待买家付款", "联系手机": "138****1234",
                "订单创建时间": "2019-05-23 22:02:11",
            }),
            ef.row(header, {
                "订单编号": '="193012345678901236"', "买家会员名": "阿紫",
                "买家实际支付金额": "59.90", "订单状态": "交易关闭",
                "订单关闭原因": "买家申请退款", "订单创建时间": "2019-05-23 22:02:11",
                "订单付款时间": "2019-05-23 22:05:00",
            }),
            ef.row(header, {
                "订单编号": "193012345678901237", "买家会员名": "阿紫",
                "买家实际支付金额": "20", "订单状态": "买家已付款，等待卖家发货",
                "订单创建时间": "2019-05-23", "订单付款时间": "2019-05-23 22:02:11",
            }),
            ef.row(header, {
                "订单编号": "193012345678901238", "买家会员名": "阿紫",
                "买家实际支付金额": "20", "订单状态": "卖家已发货，等待买家确认",
                "订单付款时间": "2019-05-23 22:02:11", "退款金额": "5",
            }),
        ],
        encoding="gb18030",
    )  # fmt: skip

    reader = open_export(path)

    assert (reader.platform, reader.file_kind, reader.unknown_columns) == ("taobao", "orders", [])
    assert reader.headers[13] == "收货地址"
    first, unpaid, refunded, paid, shipped = orders_of(path)
    assert first == order(
        platform="taobao",
        order_no="193012345678901234",
        shop="小鹿美妆",
        buyer_id="小鹿妈妈",
        buyer_nick="小鹿妈妈",
        phone="13800138000",
        receiver_name="王芳",
        address="浙江省 杭州市 西湖区 文三路 90 号",
        province="浙江省",
        status="completed",
        paid_amount_fen=129950,
        created_at=utc(2016, 5, 23, 14, 2),
        paid_at=utc(2016, 5, 23, 14, 3),
        completed_at=utc(2016, 5, 30, 2, 0),
        items=[ParsedItem("保湿面霜 50ml", None, 2, None, None)],
        rows=[3],
    )
    assert first.raw["订单编号"] == "193012345678901234"
    assert unpaid == order(
        platform="taobao",
        order_no="193012345678901235",
        buyer_nick="t**1",
        status="created",
        paid_amount_fen=0,
        created_at=utc(2019, 5, 23, 14, 2, 11),
        rows=[4],
    )
    assert (refunded.status, refunded.refund_state, refunded.paid_amount_fen) == (
        "closed",
        "full",
        5990,
    )
    assert (paid.status, paid.paid_at, paid.created_at) == (
        "paid",
        utc(2019, 5, 23, 14, 2, 11),
        utc(2019, 5, 22, 16, 0),
    )
    assert (shipped.status, shipped.refund_state, shipped.refund_amount_fen) == (
        "shipped",
        "partial",
        500,
    )


def test_taobao_qianniu_xlsx_repeats_the_order_total_on_item_rows(tmp_path: Path) -> None:
    header = ef.TAOBAO_QIANNIU
    common = {
        "订单编号": "3501234567890123456",
        "支付单号": "2019052322001",
        "买家实付金额": 0.1 + 0.2,
        "订单创建时间": datetime(2019, 5, 23, 22, 2, 11),
        "订单付款时间": datetime(2019, 5, 23, 22, 3, 0),
    }
    path = ef.write_xlsx(
        tmp_path / "qianniu.xlsx",
        [
            header,
            ef.row(header, common | {
                "商品标题": "棉拖鞋", "商品属性SKU": "颜色:粉;尺码:38", "购买数量": 1,
                "商品价格": 0.1, "商品ID": 612345678901,
            }),
            ef.row(header, common | {
                "商品标题": "除螨仪", "购买数量": 2, "商品价格": "0.10", "商品ID": "612345678902",
            }),
        ],
    )  # fmt: skip

    reader = open_export(path)

    assert (reader.platform, reader.unknown_columns) == ("taobao", [])
    assert "总金额(旧版)" in reader.headers
    [parsed] = orders_of(path)
    assert parsed == order(
        platform="taobao",
        order_no="3501234567890123456",
        status="paid",
        paid_amount_fen=30,
        created_at=utc(2019, 5, 23, 14, 2, 11),
        paid_at=utc(2019, 5, 23, 14, 3),
        items=[
            ParsedItem("棉拖鞋", "颜色:粉;尺码:38", 1, 10, "612345678901"),
            ParsedItem("除螨仪", None, 2, 10, "612345678902"),
        ],
        rows=[2, 3],
    )


def test_taobao_item_file_yields_item_rows_by_order_number(tmp_path: Path) -> None:
    header = ef.TAOBAO_ITEMS
    path = ef.write_csv(
        tmp_path / "ExportOrderDetailList201905231200.csv",
        [
            header,
            ef.row(header, {
                "订单编号": '="193012345678901234"', "标题": "保湿面霜", "价格": "64.75",
                "购买数量": "2", "商品属性": "规格:50ml", "订单状态": "交易成功",
            }),
            ef.row(header, {
                "订单编号": '="193012345678901234"', "标题": "小样", "价格": "0",
                "购买数量": "1", "商家编码": "SAMPLE-1",
            }),
        ],
        encoding="gb18030",
    )  # fmt: skip

    reader = open_export(path)

    assert (reader.platform, reader.file_kind) == ("taobao", "taobao_items")
    assert list(reader) == [
        ParsedItemRow("193012345678901234", ParsedItem("保湿面霜", "规格:50ml", 2, 6475, None), 2),
        ParsedItemRow("193012345678901234", ParsedItem("小样", "SAMPLE-1", 1, 0, None), 3),
    ]


def test_douyin_bom_csv_sums_sub_orders_and_strips_tabs(tmp_path: Path) -> None:
    header = ef.DOUYIN
    main = {
        "主订单编号": "\t4912345678901234567",
        "收件人": "陈晨",
        "收件人手机号": "138****0000",
        "省": "广东省",
        "市": "深圳市",
        "区": "南山区",
        "街道": "粤海街道",
        "详细地址": "科技园1栋",
        "订单提交时间": "2023-06-18 20:00:00",
        "支付完成时间": "2023-06-18 20:01:00",
        "流量来源": "直播",
        "达人ID": "71234567",
        "达人昵称": "小鹿直播间",
    }
    path = ef.write_csv(
        tmp_path / "douyin.csv",
        [
            header,
            ef.row(header, main | {
                "子订单编号": "4912345678901234568\t", "选购商品": "精华液", "商品规格": "30ml",
                "商品数量": "1", "商品ID": "3600000000001", "商品单价": "199.00",
                "订单应付金额": "189.00", "订单状态": "已完成", "售后状态": "-",
                "订单完成时间": "2023-06-25 09:00:00",
            }),
            ef.row(header, main | {
                "子订单编号": "4912345678901234569", "选购商品": "面膜", "商家编码": "MASK-5",
                "商品数量": "2", "商品单价": "30", "订单应付金额": "55.5", "订单状态": "已关闭",
                "售后状态": "退款成功",
            }),
            ef.row(header, {
                "主订单编号": "4912345678901234570", "子订单编号": "4912345678901234571",
                "选购商品": "精华液", "订单应付金额": "189.00", "订单状态": "待支付",
                "订单提交时间": "2023-06-18 21:00:00", "收件人手机号": "+86 139-0013-9000",
            }),
        ],
        encoding="utf-8-sig",
    )  # fmt: skip

    reader = open_export(path)

    assert (reader.platform, reader.unknown_columns) == ("douyin", [])
    sold, unpaid = orders_of(path)
    assert sold == order(
        platform="douyin",
        order_no="4912345678901234567",
        receiver_name="陈晨",
        address="广东省深圳市南山区粤海街道科技园1栋",
        province="广东省",
        status="completed",
        refund_state="partial",
        paid_amount_fen=24450,
        created_at=utc(2023, 6, 18, 12, 0),
        paid_at=utc(2023, 6, 18, 12, 1),
        completed_at=utc(2023, 6, 25, 1, 0),
        streamer_id="71234567",
        streamer_name="小鹿直播间",
        traffic_source="直播",
        items=[
            ParsedItem("精华液", "30ml", 1, 19900, "3600000000001"),
            ParsedItem("面膜", "MASK-5", 2, 3000, None),
        ],
        rows=[2, 3],
    )
    assert (unpaid.status, unpaid.paid_amount_fen, unpaid.phone) == ("created", 0, "13900139000")


def test_kuaishou_tab_separated_merges_identical_duplicate_rows(tmp_path: Path) -> None:
    header = ef.KUAISHOU
    line = ef.row(header, {
        "订单号": "2305181234567890", "订单创建时间": "2023-05-18 19:30:00",
        "订单支付时间": "2023-05-18 19:31:02", "订单状态": "交易成功", "实付款": "¥1,024.00",
        "成交数量": "4", "商品名称": "羊毛围巾", "商品单价": "256", "商品规格": "灰色",
        "渠道": "直播间", "CPS达人ID": "KS889", "CPS达人昵称": "围巾姐",
        "收货人姓名": "刘洋", "收货人电话": "13700137000", "收货地址-省": "江苏省",
        "收货地址": "江苏省南京市玄武区中山路1号", "售后状态": "售后中",
    })  # fmt: skip
    path = ef.write_csv(tmp_path / "kuaishou.csv", [header, line, line], delimiter="\t")

    [parsed] = orders_of(path)

    assert parsed == order(
        platform="kuaishou",
        order_no="2305181234567890",
        phone="13700137000",
        receiver_name="刘洋",
        address="江苏省南京市玄武区中山路1号",
        province="江苏省",
        status="completed",
        refund_state="requested",
        paid_amount_fen=102400,
        created_at=utc(2023, 5, 18, 11, 30),
        paid_at=utc(2023, 5, 18, 11, 31, 2),
        streamer_id="KS889",
        streamer_name="围巾姐",
        traffic_source="直播间",
        items=[ParsedItem("羊毛围巾", "灰色", 4, 25600, None)],
        rows=[2, 3],
    )


def test_kuaishou_repeated_order_rows_do_not_double_count(tmp_path: Path) -> None:
    header = ef.KUAISHOU
    common = {"订单号": "2305181234567891", "订单支付时间": "2023-05-18 19:31:02", "实付款": "50"}
    path = ef.write_csv(
        tmp_path / "kuaishou.csv",
        [
            header,
            ef.row(header, common | {"商品名称": "围巾", "成交数量": "1", "订单状态": "已发货"}),
            ef.row(header, common | {"商品名称": "手套", "成交数量": "1", "订单状态": "待发货"}),
        ],
    )

    [parsed] = orders_of(path)

    assert (parsed.paid_amount_fen, parsed.status, len(parsed.items)) == (5000, "paid", 2)


def test_youzan_semicolon_csv_keeps_both_distributor_columns(tmp_path: Path) -> None:
    header = ef.YOUZAN
    cells = ef.row(header, {
        "订单号": "E20230618123456789", "销售渠道": "微商城", "归属店铺": "小鹿生活馆",
        "订单状态": "交易成功", "订单创建时间": "2023-06-18 10:00:00",
        "买家付款时间": "2023-06-18 10:00:30", "交易成功时间": "2023-06-28 10:00:30",
        "订单实付金额": "300.00", "收货人/提货人": "周敏", "买家昵称": "敏敏",
        "买家手机号": "+86 137-0000-1111", "订单退款状态": "部分退款",
        "订单已退款金额": "100", "商品名称": "四件套", "商品规格": "1.8m", "商品数量": "1",
        "商品单价": "300",
    })  # fmt: skip
    cells[13], cells[20] = "导购小王", "导购小李"  # the two 分销员 columns
    path = ef.write_csv(tmp_path / "youzan.csv", [header, cells], delimiter=";")

    reader = open_export(path)
    [parsed] = orders_of(path)

    assert reader.headers.count("分销员") == 2
    assert parsed == order(
        platform="youzan",
        order_no="E20230618123456789",
        shop="小鹿生活馆",
        buyer_id="敏敏",
        buyer_nick="敏敏",
        phone="13700001111",
        receiver_name="周敏",
        status="completed",
        refund_state="partial",
        paid_amount_fen=30000,
        refund_amount_fen=10000,
        created_at=utc(2023, 6, 18, 2, 0),
        paid_at=utc(2023, 6, 18, 2, 0, 30),
        completed_at=utc(2023, 6, 28, 2, 0, 30),
        traffic_source="微商城",
        items=[ParsedItem("四件套", "1.8m", 1, 30000, None)],
        rows=[2],
    )
    assert (parsed.raw["分销员"], parsed.raw["分销员#2"]) == ("导购小王", "导购小李")


def test_xiaohongshu_html_saved_as_xls_with_full_width_brackets(tmp_path: Path) -> None:
    header = ef.XIAOHONGSHU
    common = {
        "订单号": "P712345678901234567",
        "订单状态": "已发货",
        "收件人姓名": "林夕",
        "收件人电话": "15000001111",
        "收件人地址": "上海市浦东新区世纪大道1号",
        "省": "上海市",
        "达人ID": "xhs_001",
        "达人名称": "夕夕",
        "支付时间": "2023-11-11 00:00:01",
        "订单创建时间": "2023-11-11 00:00:00",
    }
    path = ef.write_html_table(
        tmp_path / "小红书订单.xls",
        [
            header,
            ef.row(header, common | {"商品名称": "发夹", "SKU规格": "金色", "SKU件数": "1",
                                     "用户应付金额（元）": "100"}),
            ef.row(header, common | {"商品名称": "发圈", "SKU规格": "黑色", "SKU件数": "3",
                                     "用户应付金额（元）": "28.8"}),
            ef.row(header, {
                "订单号": "P712345678901234568", "订单状态": "已取消",
                "用户应付金额（元）": "9.9", "订单创建时间": "2023-11-11 00:01:00",
            }),
        ],
        encoding="gb18030",
    )  # fmt: skip

    reader = open_export(path)
    shipped, cancelled = orders_of(path)

    assert (reader.platform, reader.unknown_columns) == ("xiaohongshu", [])
    assert "用户应付金额(元)" in reader.headers
    assert shipped == order(
        platform="xiaohongshu",
        order_no="P712345678901234567",
        phone="15000001111",
        receiver_name="林夕",
        address="上海市浦东新区世纪大道1号",
        province="上海市",
        status="shipped",
        paid_amount_fen=12880,  # per SKU line, summed
        created_at=utc(2023, 11, 10, 16, 0),
        paid_at=utc(2023, 11, 10, 16, 0, 1),
        streamer_id="xhs_001",
        streamer_name="夕夕",
        items=[
            ParsedItem("发夹", "金色", 1, None, None),
            ParsedItem("发圈", "黑色", 3, None, None),
        ],
        rows=[2, 3],
    )
    assert (cancelled.status, cancelled.paid_amount_fen) == ("closed", 0)


def test_generic_csv_with_items_as_json_text(tmp_path: Path) -> None:
    items = [{"title": "围巾", "sku": "灰", "quantity": 2, "unit_price": "49.50"}]
    path = ef.write_csv(
        tmp_path / "orders.csv",
        [
            ef.GENERIC,
            ["A-1", "fan-42", "2024-03-01 12:00:00", "99.00", "", "", json.dumps(items)],
            ["A-2", "fan-43", "", "10", "created", "", ""],
        ],
    )

    paid, unpaid = orders_of(path)

    assert paid == order(
        platform="generic",
        order_no="A-1",
        buyer_id="fan-42",
        status="paid",
        paid_amount_fen=9900,
        paid_at=utc(2024, 3, 1, 4, 0),
        items=[ParsedItem("围巾", "灰", 2, 4950, None)],
        rows=[2],
    )
    assert (unpaid.status, unpaid.paid_amount_fen) == ("created", 0)


def test_generic_jsonl_with_platform_and_item_list(tmp_path: Path) -> None:
    path = ef.write_jsonl(
        tmp_path / "orders.jsonl",
        [
            {
                "order_no": "B-1", "buyer_id": "wx_abc", "paid_at": "2024-03-01T12:00:00+08:00",
                "paid_amount": "0.30", "status": "completed", "refund_amount": "0.30",
                "buyer_nick": "小白", "phone": "138 0013 8000", "platform": "douyin",
                "shop": "小鹿抖店", "items": [{"title": "发夹", "quantity": 1, "unit_price": 0.3}],
            },
            {"order_no": "B-2", "buyer_id": "wx_abd", "paid_at": None, "paid_amount": 0},
        ],
    )  # fmt: skip

    reader = open_export(path)
    refunded, unpaid = orders_of(path)

    assert (reader.platform, reader.unknown_columns) == ("generic", [])
    assert refunded == order(
        platform="douyin",
        order_no="B-1",
        shop="小鹿抖店",
        buyer_id="wx_abc",
        buyer_nick="小白",
        phone="13800138000",
        status="completed",
        refund_state="full",
        paid_amount_fen=30,
        refund_amount_fen=30,
        paid_at=utc(2024, 3, 1, 4, 0),
        items=[ParsedItem("发夹", None, 1, 30, None)],
        rows=[1],
    )
    assert (unpaid.platform, unpaid.status, unpaid.rows) == ("generic", "created", [2])


def test_taobao_classic_as_real_ole2_xls(tmp_path: Path) -> None:
    pytest.importorskip("xlwt", reason="xlwt (dev dependency) writes the OLE2 .xls fixture")
    header = ef.TAOBAO_CLASSIC
    path = ef.write_xls(
        tmp_path / "ExportOrderList.xls",
        [
            header,
            ef.row(header, {
                "订单编号": "193012345678901234", "买家会员名": "小鹿妈妈",
                "买家实际支付金额": 2.675, "订单状态": "交易成功", "宝贝总数量": 3,
                "订单创建时间": datetime(2019, 5, 23, 22, 2, 11),
                "订单付款时间": datetime(2019, 5, 23, 22, 3, 0), "宝贝标题": "面霜",
            }),
        ],
    )  # fmt: skip

    reader = open_export(path)
    [parsed] = orders_of(path)

    assert reader.file_format == "xls"
    assert (parsed.order_no, parsed.paid_amount_fen) == ("193012345678901234", 268)
    assert (parsed.created_at, parsed.paid_at) == (
        utc(2019, 5, 23, 14, 2, 11),
        utc(2019, 5, 23, 14, 3),
    )
    assert parsed.items == [ParsedItem("面霜", None, 3, None, None)]


def test_row_errors_do_not_stop_the_rows_after_them(tmp_path: Path) -> None:
    header = ef.DOUYIN
    path = ef.write_csv(
        tmp_path / "douyin.csv",
        [
            header,
            ef.row(header, {"主订单编号": "1", "订单应付金额": "abc", "订单状态": "已完成"}),
            ef.row(header, {"主订单编号": "2", "支付完成时间": "2023-13-45", "订单应付金额": "1"}),
            ef.row(header, {"主订单编号": "3", "订单应付金额": "1", "订单状态": "拼团中"}),
            ef.row(header, {"主订单编号": "", "订单应付金额": "1"}),
            ef.row(header, {"主订单编号": "4", "订单应付金额": "-1"}),
            ef.row(header, {"主订单编号": "5", "商品数量": "1.5", "选购商品": "面膜"}),
            ef.row(header, {"主订单编号": "6", "支付完成时间": "2023-06-18 20:01:00"}),
            ef.row(header, {"主订单编号": "7", "订单应付金额": "1", "订单状态": "待支付"}),
        ],
    )  # fmt: skip

    records = list(open_export(path))

    assert records[:-1] == [
        RowError(2, "订单应付金额", "abc", "Not a valid amount."),
        RowError(3, "支付完成时间", "2023-13-45", "Not a valid date-time."),
        RowError(4, "订单状态", "拼团中", "Unknown order status."),
        RowError(5, "主订单编号", None, "Missing order number."),
        RowError(6, "订单应付金额", "-1", "Amount is negative."),
        RowError(7, "商品数量", "1.5", "Quantity is not a whole number."),
        RowError(8, "订单应付金额", None, "Paid order has no paid amount."),
    ]
    last = records[-1]
    assert isinstance(last, ParsedOrder)
    assert (last.order_no, last.rows) == ("7", [9])
