"""Douyin (抖店), Kuaishou (快手小店) and Youzan (有赞) CSV exports; Xiaohongshu is in its own
module because it is an .xlsx."""

import csv
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

from siyu.demo import xiaohongshu
from siyu.demo.cells import columns, iso_time, order_number, stamp, yuan
from siyu.demo.orders import DemoOrder, Stage

DOUYIN_COLUMNS = columns(
    """
    主订单编号 子订单编号 选购商品 商品规格 商品数量 商品ID 商家编码
    商品单价 订单应付金额 运费 优惠总金额 平台优惠 商家优惠 达人优惠 商家改价
    支付优惠 红包抵扣 支付方式 手续费 收件人 收件人手机号 省 市 区 街道
    详细地址 是否修改过地址 地址修改时段 买家留言 订单提交时间 旗帜颜色
    商家备注 订单完成时间 支付完成时间 APP渠道 流量来源 订单状态
    承诺发货时间 订单类型 鲁班落地页ID 达人ID 达人昵称 所属门店ID
    售后状态 取消原因 预约发货时间 仓库ID 仓库名称
    """
)
KUAISHOU_COLUMNS = columns(
    """
    订单号 赠品订单号 活动订单编号 订单创建时间 订单支付时间 预售定金支付时间
    订单状态 实付款 快递费 店铺优惠 平台补贴 主播补贴 混资活动优惠 支付优惠
    支付方式 成交数量 买家留言 账号类型 账号明细 订单备注 旗帜颜色 售后状态
    活动订单 预售/承诺发货时间 订单载体 商品名称 商品ID 商品规格 SKU编码
    商品单价 渠道 CPS达人ID CPS达人昵称 预估推广佣金 收货人姓名
    收货人电话 收货地址-省 收货地址-市 收货地址-区 收货地址-街道 收货地址
    发货时间 快递公司 快递单号
    """
)
# 分销员 appears twice in real Youzan files (a dict-based reader keeps only one).
YOUZAN_COLUMNS = columns(
    """
    订单号 销售渠道 归属店铺 订单类型 订单状态 推广方式 订单来源 订单创建时间
    买家付款时间 交易成功时间 付款方式 支付流水号 商品金额合计 运费
    店铺优惠合计 应收订单金额 订单实付金额 支付优惠合计 订单实收金额
    订单抵用积分数 收货人/提货人 收货人手机号/提货人手机号 买家备注 订单星级
    买家昵称 买家是否会员 买家手机号 分销员 销售导购 专属导购 订单退款状态
    订单已退款金额 分销员 分销员手机号 全部商品名称 商品购买数量
    """
)

DOUYIN_STATUS = {
    Stage.AWAITING_PAYMENT: "待支付",
    Stage.CLOSED_UNPAID: "已关闭",
    Stage.PAID: "待发货",
    Stage.SHIPPED: "已发货",
    Stage.COMPLETED: "已完成",
    Stage.REFUNDED: "已关闭",
}
KUAISHOU_STATUS = {
    Stage.AWAITING_PAYMENT: "待付款",
    Stage.CLOSED_UNPAID: "交易关闭",
    Stage.PAID: "待发货",
    Stage.SHIPPED: "已发货",
    Stage.COMPLETED: "交易成功",
    Stage.REFUNDED: "交易关闭",
}
YOUZAN_STATUS = KUAISHOU_STATUS
SHOP_NAME = "桃桃的好物小铺"
_PROMISED_SHIPPING = timedelta(hours=48)


def write(platform: str, out_dir: Path, orders: Iterator[DemoOrder], exported_at: datetime) -> Path:
    """Writes the platform's export into `out_dir` and returns its path."""
    name = stamp(exported_at) + "00"  # these back ends stamp files to the second
    if platform == "xiaohongshu":
        path = out_dir / f"小红书订单导出_{name}.xlsx"
        xiaohongshu.write(path, orders, exported_at)
        return path
    if platform == "douyin":
        path = out_dir / f"抖店订单导出_{name}.csv"
        rows = (row for order in orders for row in _douyin_rows(order))
        _write_csv(path, "utf-8-sig", DOUYIN_COLUMNS, rows)
    elif platform == "kuaishou":
        path = out_dir / f"快手小店订单导出_{name}.csv"
        _write_csv(path, "utf-8", KUAISHOU_COLUMNS, (_kuaishou_row(order) for order in orders))
    elif platform == "youzan":
        path = out_dir / f"有赞订单导出_{name}.csv"
        _write_csv(path, "utf-8-sig", YOUZAN_COLUMNS, (_youzan_row(order) for order in orders))
    else:
        raise ValueError(f"unknown platform {platform!r}")
    return path


def _write_csv(
    path: Path, encoding: str, header: tuple[str, ...], rows: Iterable[list[str]]
) -> None:
    with path.open("w", encoding=encoding, newline="") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows)


def masked_name(order: DemoOrder) -> str:
    """Platforms that hide the phone hide most of the name too: 王**."""
    name = order.fan.receiver
    return name[0] + "*" * (len(name) - 1) if order.phone_masked else name


def promised_shipping(order: DemoOrder) -> str:
    paid_at = order.timeline.paid_at
    return iso_time(paid_at + _PROMISED_SHIPPING) if paid_at else ""


def _douyin_rows(order: DemoOrder) -> Iterator[list[str]]:
    """One row per sub-order (商品维度); the order's rows are adjacent."""
    main_id = order_number(6_925_031_877_460_000_000, order.seq)
    timeline, address = order.timeline, order.fan.address
    promoter = order.promoter
    for index, line in enumerate(order.lines):
        platform_off, streamer_off, shop_off = order.discount_parts(line)
        refunded = order.line_refund_fen(index)
        partial = refunded and refunded < line.paid_fen
        yield [
            f"\t{main_id}",  # the leading tab keeps Excel from rounding the number
            f"\t{main_id + index + 1}",
            line.product.title,
            line.product.sku_text,
            str(line.quantity),
            f"{line.product.product_id}\t",  # and some ids carry it at the end instead
            line.product.merchant_code,
            yuan(line.product.price_fen),
            yuan(line.paid_fen),
            yuan(line.shipping_fen),
            yuan(line.discount_fen),
            yuan(platform_off),
            yuan(shop_off),
            yuan(streamer_off),
            "0.00", "0.00", "0.00",
            "抖音支付" if order.seq % 3 else "微信",
            "0.00",
            masked_name(order),
            order.shown_phone,
            address.province, address.city, address.district, address.street, address.detail,
            "否", "",
            order.buyer_message,
            iso_time(timeline.created_at),
            "", "",
            iso_time(timeline.completed_at),
            iso_time(timeline.paid_at),
            "抖音" if order.seq % 4 else "抖音极速版",
            order.traffic_source,
            DOUYIN_STATUS[order.stage],
            promised_shipping(order),
            "普通订单",
            "",
            promoter.id if promoter else "",
            promoter.name if promoter else "",
            "",
            ("部分退款" if partial else "退款成功") if refunded else "",
            order.close_reason if order.stage is Stage.CLOSED_UNPAID else "",
            "", "", "",
        ]  # fmt: skip


def _kuaishou_row(order: DemoOrder) -> list[str]:
    """One row per order; Kuaishou orders hold a single product."""
    line, timeline, address = order.lines[0], order.timeline, order.fan.address
    platform_off, streamer_off, shop_off = order.discount_parts(line)
    promoter = order.promoter
    commission = order.paid_fen // 5 if promoter else 0  # 20% CPS commission
    refund = order.refund
    after_sale = "退款成功" if refund.full else "部分退款" if refund.amount_fen else ""
    return [
        str(order_number(2_318_264_905_170_000, order.seq)),
        "", "",
        iso_time(timeline.created_at),
        iso_time(timeline.paid_at),
        "",
        KUAISHOU_STATUS[order.stage],
        yuan(order.paid_fen),
        yuan(order.shipping_fen),
        yuan(shop_off),
        yuan(platform_off),
        yuan(streamer_off),
        "0.00", "0.00",
        "微信支付" if order.seq % 2 else "支付宝",
        str(line.quantity),
        order.buyer_message,
        "", "", "", "",
        after_sale,
        "否",
        promised_shipping(order),
        "直播间" if promoter else "商品详情页",
        line.product.title,
        line.product.product_id,
        line.product.sku_text,
        line.product.merchant_code,
        yuan(line.product.price_fen),
        "快手",
        promoter.id if promoter else "",
        promoter.name if promoter else "",
        yuan(commission),
        masked_name(order),
        order.shown_phone,
        address.province, address.city, address.district, address.street,
        f"{address.province}{address.city}{address.district}{address.street}{address.detail}",
        iso_time(timeline.shipped_at),
        order.express_company,
        order.tracking_no,
    ]  # fmt: skip


def _youzan_row(order: DemoOrder) -> list[str]:
    timeline, fan = order.timeline, order.fan
    created = timeline.created_at
    number = f"E{created:%Y%m%d%H%M%S}{order.seq * 7_351 % 10**8:08d}"
    paid = timeline.paid_at is not None
    due_fen = order.paid_fen
    distributor = order.promoter
    refund = order.refund
    refund_state = "全额退款" if refund.full else "部分退款" if refund.amount_fen else ""
    return [
        number,
        "微商城",
        SHOP_NAME,
        "普通订单",
        YOUZAN_STATUS[order.stage],
        "分销员推广" if distributor else "",
        "微信小程序",
        iso_time(created),
        iso_time(timeline.paid_at),
        iso_time(timeline.completed_at),
        "微信支付" if paid else "",
        f"4200{order_number(1_270_000_000_000_000_000_000, order.seq):024d}" if paid else "",
        yuan(order.goods_fen),
        yuan(order.shipping_fen),
        yuan(order.discount.total_fen),
        yuan(due_fen),
        yuan(due_fen if paid else 0),
        "0.00",
        yuan(due_fen if paid else 0),
        "0",
        fan.receiver,
        fan.mobile or "",
        order.buyer_message,
        "",
        fan.nick_on("youzan"),
        "是" if fan.number % 4 == 0 else "否",
        fan.mobile or "",
        distributor.id if distributor else "",
        "", "",
        refund_state,
        yuan(refund.amount_fen),
        distributor.name if distributor else "",
        distributor.phone if distributor else "",
        "；".join(line.product.title for line in order.lines),
        str(order.quantity),
    ]  # fmt: skip
