"""Kuaishou shop (快手小店) order export.

A Kuaishou order carries one product line, so a repeated 订单号 over several rows repeats the
order's own 实付款 rather than splitting it: amounts are order level (the first one found
counts, never a sum).
"""

from __future__ import annotations

from .spec import PlatformSpec

SPEC = PlatformSpec(
    platform="kuaishou",
    columns={
        "order_no": ("订单号",),
        "phone": ("收货人电话",),
        "receiver_name": ("收货人姓名",),
        "address": ("收货地址",),
        "province": ("收货地址-省",),
        "status": ("订单状态",),
        "refund_status": ("售后状态",),
        "paid_amount": ("实付款",),
        "refund_amount": ("退款金额",),
        "created_at": ("订单创建时间",),
        "paid_at": ("订单支付时间",),
        "completed_at": ("订单完成时间", "交易成功时间"),
        "streamer_id": ("CPS达人ID",),
        "streamer_name": ("CPS达人昵称",),
        "traffic_source": ("渠道",),
        "item_title": ("商品名称",),
        "item_sku": ("商品规格", "SKU编码"),
        "item_quantity": ("成交数量",),
        "item_unit_price": ("商品单价",),
        "item_product_id": ("商品ID",),
    },
    required=("order_no", "paid_at", "paid_amount"),
    signatures=(("实付款", "成交数量"), ("CPS达人ID",)),
    statuses={
        "待付款": "created",
        "待支付": "created",
        "待发货": "paid",
        "已发货": "shipped",
        "已收货": "shipped",
        "交易成功": "completed",
        "交易关闭": "closed",
    },
    amount_scope="order",
    known_columns=(
        "赠品订单号",
        "活动订单编号",
        "预售定金支付时间",
        "快递费",
        "店铺优惠",
        "平台补贴",
        "主播补贴",
        "混资活动优惠",
        "支付优惠",
        "支付方式",
        "买家留言",
        "账号类型",
        "账号明细",
        "订单备注",
        "旗帜颜色",
        "活动订单",
        "预售/承诺发货时间",
        "订单载体",
        "SKU编码",
        "预估推广佣金",
        "收货地址-市",
        "收货地址-区",
        "收货地址-街道",
        "发货时间",
        "快递公司",
        "快递单号",
    ),
)
