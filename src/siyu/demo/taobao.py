"""Taobao / Tmall classic 订单报表: ExportOrderList and its ExportOrderDetailList companion.

Both are GB18030 CSV. Five headers carry a trailing space, as in real files; order numbers
are wrapped as ="…" and phones prefixed with ' (Excel text guards).
"""

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from siyu.demo.cells import excel_time, iso_time, order_number, yuan
from siyu.demo.orders import DemoOrder, Stage
from siyu.demo.people import Fan, mask_phone

ENCODING = "gb18030"
CLASSIC_COLUMNS = (
    "订单编号", "买家会员名", "买家支付宝账号", "买家应付货款", "买家应付邮费", "买家支付积分",
    "总金额", "返点积分", "买家实际支付金额", "买家实际支付积分", "订单状态", "买家留言",
    "收货人姓名", "收货地址 ", "运送方式", "联系电话 ", "联系手机", "订单创建时间",
    "订单付款时间 ", "宝贝标题 ", "宝贝种类 ", "物流单号 ", "物流公司", "订单备注", "宝贝总数量",
    "店铺Id", "店铺名称", "订单关闭原因", "卖家服务费", "买家服务费", "发票抬头", "是否手机订单",
    "分阶段订单信息", "特权订金订单id", "定金排名", "修改后的sku", "修改后的收货地址", "异常信息",
    "天猫卡券抵扣", "集分宝抵扣", "是否是O2O交易",
)  # fmt: skip
# Appended by later versions of the report.
LATER_COLUMNS = ("退款金额", "确认收货时间", "打款商家金额", "支付单号")
DETAIL_COLUMNS = (
    "订单编号", "标题", "价格", "购买数量", "外部系统编号", "商品属性", "套餐信息", "备注",
    "订单状态", "商家编码",
)  # fmt: skip
LATER_DETAIL_COLUMNS = ("子订单编号", "主订单编号", "支付单号", "退款状态", "退款金额")

STATUS = {
    Stage.AWAITING_PAYMENT: "等待买家付款",
    Stage.CLOSED_UNPAID: "交易关闭",
    Stage.PAID: "买家已付款，等待卖家发货",
    Stage.SHIPPED: "卖家已发货，等待买家确认",
    Stage.COMPLETED: "交易成功",
    Stage.REFUNDED: "交易关闭",
}
SHOP_ID = "573012468"
SHOP_NAME = "桃桃的好物小铺"
_ORDER_BASE = 1_930_417_586_230_000_000


@dataclass(frozen=True)
class Layout:
    """Which generation of the report a file is: newer ones have more columns and ISO dates."""

    later_columns: bool = True
    iso_dates: bool = True

    @property
    def header(self) -> tuple[str, ...]:
        return CLASSIC_COLUMNS + (LATER_COLUMNS if self.later_columns else ())

    @property
    def detail_header(self) -> tuple[str, ...]:
        return DETAIL_COLUMNS + (LATER_DETAIL_COLUMNS if self.later_columns else ())


def order_id(order: DemoOrder, salt: int = 0) -> str:
    return str(order_number(_ORDER_BASE + salt * 10**13, order.seq))


def payment_no(order: DemoOrder) -> str:
    """Alipay's 支付单号: the payment date, then a unique tail."""
    paid_at = order.timeline.paid_at
    if paid_at is None:
        return ""
    day = str(paid_at)[:10].replace("-", "")
    return f"{day}2200{order_number(10**14, order.seq):016d}"


class ClassicRows:
    """Builds order-list rows; caches each fan's cells, which repeat across their orders."""

    def __init__(self, layout: Layout, salt: int = 0) -> None:
        self.layout = layout
        self.salt = salt
        self._fan_cells: dict[int, list[str]] = {}
        self._format = iso_time if layout.iso_dates else excel_time
        # Older files were saved through Excel, which left 元 on the fee cells.
        self._fee = "0.00" if layout.iso_dates else "0.00元"

    def row(self, order: DemoOrder) -> list[str]:
        timeline = order.timeline
        fmt = self._format
        fan_cells = self._fan_cells.get(order.fan.number) or self._cache_fan(order.fan)
        paid_fen = order.paid_fen if timeline.paid_at is not None else 0
        row = [
            f'="{order_id(order, self.salt)}"',
            *fan_cells[:2],
            yuan(order.goods_fen - order.discount.total_fen),
            yuan(order.shipping_fen),
            "0",
            yuan(order.paid_fen),
            "0",
            yuan(paid_fen),
            "0",
            STATUS[order.stage],
            order.buyer_message,
            *fan_cells[2:],
            fmt(timeline.created_at),
            fmt(timeline.paid_at),
            "，".join(line.product.title for line in order.lines),
            str(len(order.lines)),
            order.tracking_no,
            order.express_company,
            "",
            str(order.quantity),
            SHOP_ID,
            SHOP_NAME,
            order.close_reason,
            self._fee,
            self._fee,
            "", "手机订单", "", "", "", "", "", "", "0.00", "0.00", "",
        ]  # fmt: skip
        if self.layout.later_columns:
            settled = order.paid_fen - order.refund.amount_fen if timeline.completed_at else 0
            row += [
                yuan(order.refund.amount_fen),
                fmt(timeline.completed_at),
                yuan(settled),
                payment_no(order),
            ]
        return row

    def _cache_fan(self, fan: Fan) -> list[str]:
        cells = [
            fan.nick_on("taobao"),
            mask_phone(fan.mobile) if fan.mobile else "",  # 买家支付宝账号 shows masked
            fan.receiver,
            fan.address.full,
            "快递",
            f"'{fan.landline}" if fan.landline else "",
            f"'{fan.mobile}" if fan.mobile else "",
        ]
        self._fan_cells[fan.number] = cells
        return cells


def detail_rows(order: DemoOrder, layout: Layout, salt: int = 0) -> Iterable[list[str]]:
    number = order_id(order, salt)
    for index, line in enumerate(order.lines):
        row = [
            f'="{number}"',
            line.product.title,
            yuan(line.product.price_fen),
            str(line.quantity),
            "",
            f"规格：{line.product.sku_text}",
            "",
            "",
            STATUS[order.stage],
            line.product.merchant_code,
        ]
        if layout.later_columns:
            refunded = order.line_refund_fen(index)
            row += [
                f'="{int(number) + index + 1}"',
                f'="{number}"',
                payment_no(order),
                "退款成功" if refunded else "",
                yuan(refunded),
            ]
        yield row


def write_classic(
    list_path: Path, detail_path: Path | None, orders: Iterable[DemoOrder], layout: Layout
) -> None:
    """Writes the order list, and the item file beside it when `detail_path` is given."""
    with list_path.open("w", encoding=ENCODING, newline="") as list_file:
        list_writer = csv.writer(list_file)
        list_writer.writerow(layout.header)
        rows = ClassicRows(layout)
        if detail_path is None:
            list_writer.writerows(rows.row(order) for order in orders)
            return
        with detail_path.open("w", encoding=ENCODING, newline="") as detail_file:
            detail_writer = csv.writer(detail_file)
            detail_writer.writerow(layout.detail_header)
            for order in orders:
                list_writer.writerow(rows.row(order))
                detail_writer.writerows(detail_rows(order, layout))
