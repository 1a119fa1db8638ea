"""Youzan (有赞) order export.

分销员 appears twice in real files; columns are read by position, so both survive (neither is
used here). 订单实付金额 and 订单已退款金额 are order totals that an item-level export repeats
on every item row: amounts are order level (first one found, never summed). The buyer's
platform identity is 买家昵称.
"""

from __future__ import annotations

from .spec import PlatformSpec

SPEC = PlatformSpec(
    platform="youzan",
    columns={
        "order_no": ("订单号",),
        "shop": ("归属店铺",),
        "buyer_id": ("买家昵称",),
        "buyer_nick": ("买家昵称",),
        "phone": ("买家手机号", "收货人手机号/提货人手机号", "收货人手机号"),
        "receiver_name": ("收货人/提货人", "收货人"),
        "address": ("详细收货地址/提货地址", "详细收货地址", "收货地址"),
        "province": ("收货人省份", "省"),
        "status": ("订单状态",),
        "refund_status": ("订单退款状态",),
        "paid_amount": ("订单实付金额",),
        "refund_amount": ("订单已退款金额",),
        "created_at": ("订单创建时间",),
        "paid_at": ("买家付款时间",),
        "completed_at": ("交易成功时间",),
        "traffic_source": ("销售渠道",),
        "item_title": ("商品名称", "全部商品名称"),
        "item_sku": ("商品规格", "规格编码", "商品编码"),
        "item_quantity": ("商品数量", "商品购买数量"),
        "item_unit_price": ("商品单价",),
        "item_product_id": ("商品ID",),
    },
    required=("order_no", "paid_at", "paid_amount"),
    signatures=(("订单实付金额", "归属店铺"),),
    statuses={
        "等待买家付款": "created",
        "待付款": "created",
        "等待卖家发货": "paid",
        "待发货": "paid",
        "等待成团": "paid",
        "已发货": "shipped",
        "卖家已发货": "shipped",
        "交易成功": "completed",
        "交易完成": "completed",
        "交易关闭": "closed",
    },
    amount_scope="order",
    known_columns=(
        "订单类型",
        "推广方式",
        "订单来源",
        "付款方式",
        "支付流水号",
        "商品金额合计",
        "运费",
        "店铺优惠合计",
        "应收订单金额",
        "支付优惠合计",
        "订单实收金额",
        "订单抵用积分数",
        "买家备注",
        "订单星级",
        "买家是否会员",
        "分销员",
        "销售导购",
        "专属导购",
        "分销员手机号",
    ),
)
