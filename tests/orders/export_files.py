"""Writers for small seller-export fixtures that carry the real files' quirks.

Headers are copied from the platforms' exports as sellers get them, including Taobao's
trailing spaces, Youzan's duplicated 分销员 and full-width brackets. ``row`` fills a header
from a mapping keyed by the header text without its spaces, so a test names only the cells
it cares about.
"""

from __future__ import annotations

import csv
import html
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

Cell = str | int | float | datetime | None

TAOBAO_CLASSIC = [
    "订单编号", "买家会员名", "买家支付宝账号", "买家应付货款", "买家应付邮费", "买家支付积分",
    "总金额", "返点积分", "买家实际支付金额", "买家实际支付积分", "订单状态", "买家留言",
    "收货人姓名", "收货地址 ", "运送方式", "联系电话 ", "联系手机", "订单创建时间",
    "订单付款时间 ", "宝贝标题 ", "宝贝种类 ", "物流单号 ", "物流公司", "订单备注", "宝贝总数量",
    "店铺Id", "店铺名称", "订单关闭原因", "卖家服务费", "买家服务费", "发票抬头", "是否手机订单",
    "退款金额", "确认收货时间", "打款商家金额", "支付单号",
]  # fmt: skip

TAOBAO_QIANNIU = [
    "订单编号", "支付单号", "支付详情", "买家应付货款", "买家应付邮费", "总金额", "买家实付金额",
    "订单创建时间", "订单付款时间", "商品标题", "退款金额", "商品属性SKU", "购买数量", "商品价格",
    "商品ID", "确认收货时间", "总金额（旧版）",
]  # fmt: skip

TAOBAO_ITEMS = [
    "订单编号", "标题", "价格", "购买数量", "外部系统编号", "商品属性", "套餐信息", "备注",
    "订单状态", "商家编码",
]  # fmt: skip

DOUYIN = [
    "主订单编号", "子订单编号", "选购商品", "商品规格", "商品数量", "商品ID", "商家编码",
    "商品单价", "订单应付金额", "运费", "优惠总金额", "收件人", "收件人手机号", "省", "市",
    "区", "街道", "详细地址", "订单提交时间", "订单完成时间", "支付完成时间", "APP渠道",
    "流量来源", "订单状态", "达人ID", "达人昵称", "售后状态",
]  # fmt: skip

KUAISHOU = [
    "订单号", "订单创建时间", "订单支付时间", "订单状态", "实付款", "快递费", "成交数量",
    "售后状态", "商品名称", "商品ID", "商品规格", "SKU编码", "商品单价", "渠道", "CPS达人ID",
    "CPS达人昵称", "收货人姓名", "收货人电话", "收货地址-省", "收货地址",
]  # fmt: skip

YOUZAN = [
    "订单号", "销售渠道", "归属店铺", "订单类型", "订单状态", "订单创建时间", "买家付款时间",
    "交易成功时间", "订单实付金额", "收货人/提货人", "收货人手机号/提货人手机号", "买家昵称",
    "买家手机号", "分销员", "订单退款状态", "订单已退款金额", "商品名称", "商品规格", "商品数量",
    "商品单价", "分销员", "分销员手机号",
]  # fmt: skip

XIAOHONGSHU = [
    "订单号", "订单状态", "售后状态", "收件人姓名", "收件人电话", "收件人地址", "省", "市", "区",
    "小红书编码", "达人ID", "达人名称", "SKU名称", "SKU规格", "SKU件数", "商品总价（元）",
    "用户应付金额（元）", "商家应收金额(元)（支付金额）", "支付时间", "订单创建时间", "商品ID",
    "商品名称",
]  # fmt: skip

GENERIC = ["order_no", "buyer_id", "paid_at", "paid_amount", "status", "refund_amount", "items"]


def row(header: Sequence[str], values: Mapping[str, Cell]) -> list[Cell]:
    """One row for ``header``: cells named by header text without spaces, others empty."""
    unknown = set(values) - {name.strip() for name in header}
    assert not unknown, f"not in header: {unknown}"
    return [values.get(name.strip(), "") for name in header]


def write_csv(
    path: Path,
    rows: Sequence[Sequence[Cell]],
    *,
    encoding: str = "utf-8",
    delimiter: str = ",",
) -> Path:
    """``encoding="utf-8-sig"`` writes the BOM the way Douyin does; "gb18030" is Taobao's."""
    with path.open("w", encoding=encoding, newline="") as stream:
        csv.writer(stream, delimiter=delimiter).writerows(rows)
    return path


def write_xlsx(path: Path, rows: Sequence[Sequence[Cell]]) -> Path:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for cells in rows:
        sheet.append(list(cells))
    workbook.save(path)
    return path


def write_xls(path: Path, rows: Sequence[Sequence[Cell]]) -> Path:
    """A real OLE2 .xls; dates become date cells, numbers number cells."""
    import xlwt  # type: ignore[import-untyped]

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("订单")
    date_style = xlwt.easyxf(num_format_str="yyyy-mm-dd hh:mm:ss")
    for row_index, cells in enumerate(rows):
        for column, cell in enumerate(cells):
            if isinstance(cell, datetime):
                sheet.write(row_index, column, cell, date_style)
            elif cell not in (None, ""):
                sheet.write(row_index, column, cell)
    book.save(str(path))
    return path


def write_html_table(
    path: Path, rows: Sequence[Sequence[Cell]], *, encoding: str = "utf-8"
) -> Path:
    """What several back ends call an Excel export: an HTML table saved under an .xls name."""
    lines = [
        "<html><head>",
        f'<meta http-equiv="Content-Type" content="text/html; charset={encoding}">',
        "</head><body><table border=1>",
    ]
    for index, cells in enumerate(rows):
        tag = "th" if index == 0 else "td"
        rendered = "".join(f"<{tag}>{html.escape(_text(cell))}</{tag}>" for cell in cells)
        lines.append(f"<tr>{rendered}</tr>")
    lines.append("</table></body></html>")
    path.write_bytes("\n".join(lines).encode(encoding))
    return path


def write_jsonl(path: Path, records: Sequence[Mapping[str, Any] | str]) -> Path:
    """One JSON object a line; a str entry is written as it is (for broken lines)."""
    lines = [
        item if isinstance(item, str) else json.dumps(item, ensure_ascii=False) for item in records
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _text(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, datetime):
        return cell.strftime("%Y-%m-%d %H:%M:%S")
    return str(cell)
