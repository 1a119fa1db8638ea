"""Taobao / Tmall: the classic 订单报表 (ExportOrderList), the newer 千牛 export, and the
companion item file (ExportOrderDetailList).

Amounts are order level: the order file has one row per order, and where a 千牛 export
repeats an order over item rows it repeats the same 买家实付金额 on each, so the first amount
found for the order counts (no summing). A closed order whose 订单关闭原因 mentions 退款 had
its money returned, which the file shows only through that reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from .spec import PlatformSpec, RefundClass, RowView, classify_refund_text

_STATUSES = {
    "等待买家付款": "created",
    "等待付款确认": "created",
    "买家已付款，等待卖家发货": "paid",
    "等待卖家发货": "paid",
    "卖家部分发货": "shipped",
    "卖家已发货，等待买家确认": "shipped",
    "卖家已发货": "shipped",
    "买家已签收": "shipped",
    "交易成功": "completed",
    "交易关闭": "closed",
    "交易自动关闭": "closed",
    "付款以前，卖家或买家主动关闭交易": "closed",
}

_ORDER_COLUMNS = {
    "order_no": ("订单编号",),
    "shop": ("店铺名称",),
    "buyer_id": ("买家会员名",),
    "buyer_nick": ("买家会员名",),
    "phone": ("联系手机", "联系电话"),
    "receiver_name": ("收货人姓名",),
    "address": ("收货地址", "修改后的收货地址"),
    "status": ("订单状态",),
    "close_reason": ("订单关闭原因",),
    "paid_amount": ("买家实际支付金额", "买家实付金额"),
    "refund_amount": ("退款金额",),
    "created_at": ("订单创建时间", "买家下单时间"),
    "paid_at": ("订单付款时间", "买家付款时间"),
    "completed_at": ("确认收货时间",),
    "item_title": ("宝贝标题", "商品标题"),
    "item_sku": ("商品属性SKU", "宝贝规格", "修改后的sku"),
    "item_quantity": ("购买数量", "宝贝总数量"),
    "item_unit_price": ("商品价格",),
    "item_product_id": ("商品ID",),
}

# Recognised so they are not reported as unknown; Siyu has no use for them yet.
_ORDER_KNOWN = (
    "买家支付宝账号",
    "买家应付货款",
    "买家应付邮费",
    "买家支付积分",
    "总金额",
    "返点积分",
    "买家实际支付积分",
    "买家留言",
    "运送方式",
    "宝贝种类",
    "物流单号",
    "物流公司",
    "订单备注",
    "店铺Id",
    "卖家服务费",
    "买家服务费",
    "发票抬头",
    "是否手机订单",
    "分阶段订单信息",
    "特权订金订单id",
    "定金排名",
    "异常信息",
    "天猫卡券抵扣",
    "集分宝抵扣",
    "是否是O2O交易",
    "打款商家金额",
    "支付单号",
    "支付详情",
    "是否主动赔付",
    "主动赔付金额",
    "主动赔付出账时间",
    "C2B小额收款",
    "确认收货打款金额",
    "含应开票给个人红包",
    "总金额(旧版)",
    "发货时间",
    "运单号",
)


@dataclass(frozen=True)
class TaobaoOrderSpec(PlatformSpec):
    def refund_class(self, view: RowView) -> RefundClass:
        reason = view.text("close_reason") or ""
        if "退款" in reason:
            return "refunded"
        return classify_refund_text(view.text("refund_status"))


ORDERS = TaobaoOrderSpec(
    platform="taobao",
    columns=_ORDER_COLUMNS,
    required=("order_no", "paid_at", "paid_amount"),
    signatures=(("买家会员名",), ("买家实际支付金额",), ("买家实付金额", "支付单号")),
    statuses=_STATUSES,
    amount_scope="order",
    known_columns=_ORDER_KNOWN,
)

ITEMS = PlatformSpec(
    platform="taobao",
    file_kind="taobao_items",
    columns={
        "order_no": ("订单编号", "主订单编号"),
        "item_title": ("标题",),
        "item_unit_price": ("价格",),
        "item_quantity": ("购买数量",),
        "item_sku": ("商品属性", "套餐信息", "商家编码"),
        "item_product_id": ("商品ID", "宝贝ID"),
        "status": ("订单状态",),
        "refund_status": ("退款状态",),
        "refund_amount": ("退款金额",),
    },
    required=("order_no", "item_title", "item_unit_price", "item_quantity"),
    signatures=(("订单编号", "标题", "价格", "购买数量"),),
    statuses=_STATUSES,
    known_columns=("外部系统编号", "备注", "子订单编号", "支付单号"),
)
