"""Xiaohongshu shop (小红书) order export.

One row per SKU line, and every amount on a row belongs to that line: 商品总价(元), the
discounts, 用户应付金额(元) (what the user paid for the line after discounts) and
商家应收金额(元)(支付金额). An order's paid amount is therefore the sum over its lines, as with
Douyin sub-orders. Order numbers are "P" + 18 digits.
"""

from __future__ import annotations

from .spec import PlatformSpec

SPEC = PlatformSpec(
    platform="xiaohongshu",
    columns={
        "order_no": ("订单号",),
        "phone": ("收件人电话",),
        "receiver_name": ("收件人姓名",),
        "address": ("收件人地址",),
        "province": ("省",),
        "status": ("订单状态",),
        "refund_status": ("售后状态",),
        "paid_amount": ("用户应付金额(元)",),
        "refund_amount": ("退款金额(元)",),
        "created_at": ("订单创建时间",),
        "paid_at": ("支付时间",),
        "completed_at": ("订单完成时间", "完成时间"),
        "streamer_id": ("达人ID",),
        "streamer_name": ("达人名称",),
        "item_title": ("商品名称", "SKU名称"),
        "item_sku": ("SKU规格", "商家编码"),
        "item_quantity": ("SKU件数",),
        "item_product_id": ("商品ID",),
    },
    required=("order_no", "paid_at", "paid_amount"),
    signatures=(("用户应付金额(元)",), ("小红书编码",)),
    statuses={
        "待付款": "created",
        "待发货": "paid",
        "部分发货": "shipped",
        "已发货": "shipped",
        "已完成": "completed",
        "已取消": "closed",
        "已关闭": "closed",
    },
    amount_scope="row",
    known_columns=(
        "订单类型",
        "订单标记",
        "市",
        "区",
        "区域编码",
        "小红书编码",
        "条形码",
        "规格ID",
        "是否为赠品",
        "商品总价(元)",
        "平台优惠(元)",
        "店铺优惠(元)",
        "支付渠道优惠(元)",
        "SKU商家改价(元)",
        "商家应收金额(元)(支付金额)",
        "支付方式",
        "快递公司",
        "快递单号",
        "承诺发货时间",
    ),
)
