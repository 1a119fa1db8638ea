"""Douyin shop (抖店) order export.

The standard report has one row per sub-order (子订单编号) under its main order (主订单编号);
rows of one main order are grouped into one order. 订单应付金额 is the sub-order's own amount,
so the order's paid amount is the SUM over its rows (amount_scope="row"); a custom report with
one row per main order sums a single row. The basic report has no buyer id and its phone is
often masked, so identity comes from the phone when it is readable.
"""

from __future__ import annotations

from .spec import PlatformSpec

SPEC = PlatformSpec(
    platform="douyin",
    columns={
        "order_no": ("主订单编号",),
        "phone": ("收件人手机号",),
        "receiver_name": ("收件人",),
        "province": ("省",),
        "city": ("市",),
        "district": ("区",),
        "street": ("街道",),
        "address_detail": ("详细地址",),
        "status": ("订单状态",),
        "refund_status": ("售后状态",),
        "paid_amount": ("订单应付金额",),
        "created_at": ("订单提交时间",),
        "paid_at": ("支付完成时间",),
        "completed_at": ("订单完成时间",),
        "streamer_id": ("达人ID",),
        "streamer_name": ("达人昵称",),
        "traffic_source": ("流量来源",),
        "item_title": ("选购商品",),
        "item_sku": ("商品规格", "商家编码"),
        "item_quantity": ("商品数量",),
        "item_unit_price": ("商品单价",),
        "item_product_id": ("商品ID",),
    },
    required=("order_no", "paid_at", "paid_amount"),
    signatures=(("主订单编号", "子订单编号"), ("主订单编号", "订单应付金额")),
    statuses={
        "待支付": "created",
        "待付款": "created",
        "备货中": "paid",
        "待发货": "paid",
        "已支付": "paid",
        "部分发货": "shipped",
        "已发货": "shipped",
        "已完成": "completed",
        "已关闭": "closed",
        "已取消": "closed",
    },
    amount_scope="row",
    address_parts=("province", "city", "district", "street", "address_detail"),
    known_columns=(
        "子订单编号",
        "运费",
        "优惠总金额",
        "平台优惠",
        "商家优惠",
        "达人优惠",
        "商家改价",
        "支付优惠",
        "红包抵扣",
        "支付方式",
        "手续费",
        "是否修改过地址",
        "地址修改时段",
        "买家留言",
        "旗帜颜色",
        "商家备注",
        "APP渠道",
        "承诺发货时间",
        "订单类型",
        "鲁班落地页ID",
        "所属门店ID",
        "取消原因",
        "预约发货时间",
        "仓库ID",
        "仓库名称",
        "货号",
        "商品金额",
        "快递信息",
        "拼团订单团编号",
        "税费",
    ),
)
