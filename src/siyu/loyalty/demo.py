"""Demo points: tiers 普通/银卡/金卡/黑钻, a stocked mall on three shelves, conversions of some of
the demo fans' orders (completed and still pending), redemptions in every state, an operator
adjustment and gifts. Everything goes through the service, so the ledger checks clean."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy.orm import Session

from siyu.kit.clock import utcnow
from siyu.kit.errors import Problem
from siyu.loyalty import conversions as loyalty_conversions
from siyu.loyalty import earn_rules, service
from siyu.loyalty import gifts as loyalty_gifts
from siyu.loyalty import mall as loyalty_mall
from siyu.loyalty import tiers as loyalty_tiers
from siyu.orders.ownership import latest_settled_order_keys
from siyu.workspace.audit import Actor
from siyu.workspace.service import members_of

ACTOR = Actor("system", label="siyu demo")
FANS = 150
TIERS = (  # code, name, rank, points floor, spend floor (fen), multiplier ‰, benefits
    ("normal", "普通", 0, 0, None, 1000, "积分兑换"),
    ("silver", "银卡", 1, 300, None, 1100, "积分 1.1 倍"),
    ("gold", "金卡", 2, 800, None, 1200, "积分 1.2 倍，专属礼品"),
    ("black", "黑钻", 3, 2000, 3_000_000, 1500, "积分 1.5 倍，黑钻专享正装；年消费满 3 万元"),
)
ITEMS = (
    # name, shelf, points, cash price fen, unit cost fen, stock, limit, tier, virtual
    ("雅诗兰黛小棕瓶精华 50ml", "aspirational", 6800, 72000, 38000, 5, 1, "gold", False),
    ("兰蔻菁纯面霜 30ml", "aspirational", 8800, 125000, 52000, 3, 1, "black", False),
    ("SK-II 神仙水 75ml", "aspirational", 4200, 54000, 26000, 8, 1, None, False),
    ("纯棉洗脸巾 3 包", "essentials", 300, 3990, 1200, 400, 5, None, False),
    ("四件套 全棉磨毛", "essentials", 1800, 19900, 8500, 60, 1, None, False),
    ("保温杯 500ml", "essentials", 900, 8900, 3200, 120, 2, None, False),
    ("无门槛 10 元券", "essentials", 200, 1000, 1000, 1000, 3, None, True),
    ("珊瑚绒棉拖鞋", "seasonal", 600, 5900, 1800, 150, 2, None, False),
    ("除螨仪 手持款", "seasonal", 2600, 29900, 11000, 25, 1, None, False),
)
ADDRESSES = (
    "浙江省杭州市西湖区文三路 90 号",
    "广东省广州市天河区体育西路 103 号",
    "上海市徐汇区漕溪北路 595 号",
)
CARRIERS = ("顺丰", "中通", "圆通", "韵达")


def seed(session: Session, workspace_id: int) -> None:
    rng = random.Random(5)
    for code, name, rank, floor, spend, multiplier, benefits in TIERS:
        loyalty_tiers.save_tier(
            session,
            workspace_id,
            code,
            name,
            rank,
            floor,
            multiplier,
            benefits,
            min_spend_fen_12m=spend,
            actor=ACTOR,
        )
    coupon = _coupon_template(session, workspace_id)
    items = [_item(session, workspace_id, row, coupon) for row in ITEMS]
    fans = _convert_orders(session, workspace_id, rng)
    loyalty_tiers.recompute_tiers(session, workspace_id)
    _redeem(session, workspace_id, fans, items, rng)
    _gifts(session, workspace_id, fans, items)
    earn_rules.add_earn_rule(
        session,
        workspace_id,
        "双 11 双倍积分",
        2000,
        starts_at=utcnow() + timedelta(days=20),
        ends_at=utcnow() + timedelta(days=23),
    )


def _coupon_template(session: Session, workspace_id: int) -> int:
    """The coupon the mall's virtual item hands out (a claimed coupon, nothing shipped)."""
    from siyu.coupons.service import TemplateDraft, create_template

    draft = TemplateDraft(
        name="积分兑换 无门槛10元",
        kind="no_threshold",
        discount_fen=1000,
        valid_days=30,
        cost_fen=1000,
        how_to_use="下单时在店铺优惠里选择使用",
    )
    return create_template(session, workspace_id, draft, ACTOR).id


def _item(session: Session, workspace_id: int, row: tuple[object, ...], coupon: int) -> int:
    name, shelf, points, cash, cost, stock, limit, tier, virtual = row
    now = utcnow()
    values = {
        "name": name,
        "shelf": shelf,
        "points_price": points,
        "cash_price_fen": cash,
        "cost_fen": cost,
        "stock": stock,
        "per_customer_limit": limit,
        "min_tier_code": tier,
        "virtual": virtual,
        "coupon_template_id": coupon if virtual else None,
        "description": f"{name}，积分兑换，"
        + ("兑换后自动放进“我的优惠券”。" if virtual else "包邮到家。"),
    }
    if shelf == "seasonal":
        values |= {
            "available_from": now - timedelta(days=30),
            "available_until": now + timedelta(days=90),
        }
    return loyalty_mall.create_item(session, workspace_id, values, ACTOR).id


def _convert_orders(session: Session, workspace_id: int, rng: random.Random) -> list[int]:
    """Each of the fans with the most recent paid orders converts some of them."""
    by_fan: dict[int, list[tuple[str, str]]] = {}
    for customer_id, platform, order_no in latest_settled_order_keys(session, workspace_id, 4000):
        by_fan.setdefault(customer_id, []).append((platform, order_no))
    fans = sorted(by_fan, key=lambda c: -len(by_fan[c]))[:FANS]
    for customer_id in fans:
        for platform, order_no in by_fan[customer_id][: rng.randint(1, 6)]:
            try:
                with session.begin_nested():
                    loyalty_conversions.convert_order(
                        session, workspace_id, customer_id, platform, order_no, ACTOR
                    )
            except Problem:
                continue
        if rng.random() < 0.3:
            service.adjust(
                session,
                workspace_id,
                customer_id,
                rng.choice((200, 500, 1000, 2500)),
                "直播间抽奖",
                ACTOR,
                f"demo-lucky-{customer_id}",
            )
    return fans


def _redeem(
    session: Session, workspace_id: int, fans: list[int], items: list[int], rng: random.Random
) -> None:
    """Redemptions in every state: waiting to ship, shipped, delivered and cancelled."""
    made = 0
    for n, customer_id in enumerate(fans):
        points = service.summary(session, workspace_id, customer_id).balance
        affordable = [
            i
            for i in items
            if loyalty_mall.get_item(session, workspace_id, i).points_price <= points
        ]
        if not affordable:
            continue
        item_id = rng.choice(affordable)
        try:
            with session.begin_nested():
                redemption, _ = loyalty_mall.redeem(
                    session,
                    workspace_id,
                    customer_id,
                    item_id,
                    1,
                    f"demo-{n}",
                    ACTOR,
                    address=ADDRESSES[n % len(ADDRESSES)],
                )
        except Problem:
            continue
        made += 1
        if redemption.state != "pending":  # a coupon or other virtual item: handed over
            continue
        state = made % 4
        if state in (1, 2):
            loyalty_mall.ship(
                session, workspace_id, redemption.id, CARRIERS[n % 4], f"SF{1000000 + n}", ACTOR
            )
        if state == 2:
            loyalty_mall.deliver(session, workspace_id, redemption.id, ACTOR)
        if state == 3 and made % 8 == 3:
            loyalty_mall.cancel(session, workspace_id, redemption.id, "粉丝改主意了", ACTOR)


def _gifts(session: Session, workspace_id: int, fans: list[int], items: list[int]) -> None:
    operator_id = next(
        (
            member.operator_id
            for member in members_of(session, workspace_id)
            if member.operator.email.startswith("operator@")
        ),
        None,
    )
    if operator_id is None or len(fans) < 3:
        return
    loyalty_gifts.send_gift(
        session,
        workspace_id,
        operator_id,
        fans[0],
        description="一杯喜茶",
        reason="生日",
        cost_fen=2500,
        actor=ACTOR,
    )
    loyalty_gifts.send_gift(
        session,
        workspace_id,
        operator_id,
        fans[1],
        description="",
        reason="老粉复购十次",
        cost_fen=None,
        actor=ACTOR,
        item_id=items[4],
        address=ADDRESSES[0],
    )
    loyalty_gifts.send_gift(
        session,
        workspace_id,
        operator_id,
        fans[2],
        description="给女儿的发夹",
        reason="直播间互动",
        cost_fen=6800,
        actor=ACTOR,
    )
