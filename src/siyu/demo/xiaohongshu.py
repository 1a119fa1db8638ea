"""Xiaohongshu shop (小红书) export: a real .xlsx, one row per SKU line, lines adjacent."""

import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

from openpyxl import Workbook

from siyu.demo.cells import columns, iso_time, order_number, yuan
from siyu.demo.orders import DemoOrder, Stage

COLUMNS = columns(
    """
    订单号 订单状态 售后状态 订单类型 订单标记 收件人姓名 收件人电话
    收件人地址 省 市 区 区域编码 小红书编码 条形码 规格ID 达人ID
    达人名称 SKU名称 SKU规格 SKU件数 是否为赠品 商品总价(元)
    用户应付金额(元) 平台优惠(元) 店铺优惠(元) 支付渠道优惠(元)
    SKU商家改价(元) 商家应收金额(元)（支付金额） 支付方式 支付时间
    快递公司 快递单号 订单创建时间 承诺发货时间 商家编码 商品ID 商品名称
    """
)
STATUS = {
    Stage.AWAITING_PAYMENT: "待付款",
    Stage.CLOSED_UNPAID: "已取消",
    Stage.PAID: "待发货",
    Stage.SHIPPED: "已发货",
    Stage.COMPLETED: "已完成",
    Stage.REFUNDED: "已关闭",
}
_ORDER_BASE = 710_362_905_118_000_000  # 18 digits after the P
_PROMISED_SHIPPING = timedelta(hours=48)
_CORE_TIMES = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def write(path: Path, orders: Iterable[DemoOrder], exported_at: datetime) -> None:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("订单列表")
    sheet.append(COLUMNS)
    for order in orders:
        for row in _rows(order):
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    path.write_bytes(_pinned_times(buffer.getvalue(), exported_at))


def _rows(order: DemoOrder) -> Iterator[list[str]]:
    number = f"P{order_number(_ORDER_BASE, order.seq)}"
    timeline, address, promoter = order.timeline, order.fan.address, order.promoter
    paid_at = timeline.paid_at
    for index, line in enumerate(order.lines):
        platform_off, streamer_off, shop_off = order.discount_parts(line)
        product = line.product
        refunded = order.line_refund_fen(index)
        yield [
            number,
            STATUS[order.stage],
            "退款成功" if refunded else "无售后",
            "普通订单",
            "",
            order.fan.receiver if not order.phone_masked else order.fan.receiver[0] + "**",
            order.shown_phone,
            f"{address.province}{address.city}{address.district}{address.street}{address.detail}",
            address.province, address.city, address.district, address.region_code,
            f"XHS{product.sku_id}",
            product.barcode,
            product.sku_id,
            promoter.id if promoter else "",
            promoter.name if promoter else "",
            f"{product.title} {product.sku_text}",
            product.sku_text,
            str(line.quantity),
            "否",
            yuan(line.goods_fen),
            yuan(line.paid_fen),
            yuan(platform_off),
            yuan(shop_off + streamer_off),
            "0.00",
            "0.00",
            # The platform pays its own subsidy to the seller on top of what the buyer paid.
            yuan(line.paid_fen + platform_off),
            "微信支付" if order.seq % 2 else "支付宝",
            iso_time(paid_at),
            order.express_company,
            order.tracking_no,
            iso_time(timeline.created_at),
            iso_time(paid_at + _PROMISED_SHIPPING) if paid_at else "",
            product.merchant_code,
            product.product_id,
            product.title,
        ]  # fmt: skip


def _pinned_times(xlsx: bytes, moment: datetime) -> bytes:
    """Replaces the save-time clock openpyxl writes (document properties, zip entry dates)
    with the export moment, so the same seed gives the same bytes."""
    when = moment.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    date_time = (moment.year, moment.month, moment.day, moment.hour, moment.minute, 0)
    source = zipfile.ZipFile(io.BytesIO(xlsx))
    target_buffer = io.BytesIO()
    with source, zipfile.ZipFile(target_buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            data = source.read(entry)
            if entry.filename == "docProps/core.xml":
                data = _CORE_TIMES.sub(rb"\g<1>" + when + rb"\g<2>", data)
            target.writestr(zipfile.ZipInfo(entry.filename, date_time), data, zipfile.ZIP_DEFLATED)
    return target_buffer.getvalue()
