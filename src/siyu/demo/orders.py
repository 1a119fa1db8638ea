"""One platform-neutral order: items, amounts in fen, timeline, refund and attribution.

The platform writers turn these into each back end's own columns and wording.
"""

import enum
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from siyu.demo import wordlists as words
from siyu.demo.catalogue import Catalogue, Product
from siyu.demo.people import Fan, mask_phone
from siyu.demo.sampling import Weighted
from siyu.demo.seasons import is_promotion

UNPAID_SHARE = 0.04
REFUND_SHARE = 0.06  # of paid orders
MASKED_PHONE_SHARE = 0.3  # Douyin, Kuaishou and Xiaohongshu hide part of the numbers
MASKING_PLATFORMS = frozenset({"douyin", "kuaishou", "xiaohongshu"})
# An unpaid order stays open this long, then the platform closes it.
_PAYMENT_WINDOW = timedelta(hours=24)
_PRODUCTS_PER_ORDER = Weighted(((1, 70), (2, 22), (3, 8)))
_QUANTITY = Weighted(((1, 85), (2, 12), (3, 3)))
_DOUYIN_SOURCES = Weighted((("直播", 60), ("短视频", 15), ("商品卡", 15), ("搜索", 10)))


class Stage(enum.Enum):
    AWAITING_PAYMENT = "awaiting_payment"
    CLOSED_UNPAID = "closed_unpaid"
    PAID = "paid"  # awaiting shipment
    SHIPPED = "shipped"
    COMPLETED = "completed"
    REFUNDED = "refunded"  # fully refunded, so the platform closed it


@dataclass(frozen=True, slots=True)
class Line:
    product: Product
    quantity: int
    discount_fen: int  # this line's share of the order's discounts
    shipping_fen: int  # the order's shipping fee sits on its first line

    @property
    def goods_fen(self) -> int:
        return self.product.price_fen * self.quantity

    @property
    def paid_fen(self) -> int:
        return self.goods_fen - self.discount_fen + self.shipping_fen


@dataclass(frozen=True, slots=True)
class Discount:
    shop_fen: int = 0  # seller coupon (满99减3 and the like)
    platform_fen: int = 0  # cross-shop promotion during 618 and Double 11
    streamer_fen: int = 0  # the streamer's own live-room coupon

    @property
    def total_fen(self) -> int:
        return self.shop_fen + self.platform_fen + self.streamer_fen


@dataclass(frozen=True, slots=True)
class Promoter:
    """Who brought the order: a streamer (达人) or, on Youzan, a fan distributor (分销员)."""

    id: str
    name: str
    phone: str = ""


@dataclass(frozen=True, slots=True)
class Timeline:
    created_at: datetime
    paid_at: datetime | None = None
    shipped_at: datetime | None = None
    completed_at: datetime | None = None
    refunded_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Refund:
    amount_fen: int = 0
    full: bool = False
    line_index: int | None = None  # the refunded line of a partial refund, if one line


@dataclass(frozen=True, slots=True)
class DemoOrder:
    platform: str
    seq: int  # position in the platform's export, oldest first
    fan: Fan
    lines: tuple[Line, ...]
    discount: Discount
    timeline: Timeline
    stage: Stage
    refund: Refund
    close_reason: str
    phone_masked: bool
    promoter: Promoter | None
    traffic_source: str
    express_company: str
    tracking_no: str
    buyer_message: str
    goods_fen: int  # sum over lines, kept because every writer needs it
    paid_fen: int  # what the buyer pays (or paid): goods - discounts + shipping

    def retimed(self, seq: int, fan: Fan, timeline: Timeline) -> "DemoOrder":
        """The same basket and outcome for another fan at another time (benchmark filler).

        Spelled out because dataclasses.replace is several times slower on this hot path.
        """
        return DemoOrder(
            self.platform, seq, fan, self.lines, self.discount, timeline, self.stage,
            self.refund, self.close_reason, self.phone_masked, self.promoter,
            self.traffic_source, self.express_company, self.tracking_no, self.buyer_message,
            self.goods_fen, self.paid_fen,
        )  # fmt: skip

    def line_refund_fen(self, index: int) -> int:
        """How much of line `index` was refunded (a one-line partial refund sits on line 0)."""
        refund = self.refund
        if refund.full:
            return self.lines[index].paid_fen
        if refund.line_index == index or (index == 0 and refund.line_index is None):
            return refund.amount_fen
        return 0

    def discount_parts(self, line: Line) -> tuple[int, int, int]:
        """The line's discount split into platform, streamer and shop parts, exact to the fen."""
        discount = self.discount
        if not discount.total_fen:
            return 0, 0, 0
        platform = discount.platform_fen * line.discount_fen // discount.total_fen
        streamer = discount.streamer_fen * line.discount_fen // discount.total_fen
        return platform, streamer, line.discount_fen - platform - streamer

    @property
    def shipping_fen(self) -> int:
        return self.lines[0].shipping_fen

    @property
    def quantity(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def shown_phone(self) -> str:
        """The phone as the file shows it: in clear, masked, or empty."""
        mobile = self.fan.mobile or ""
        return mask_phone(mobile) if self.phone_masked and mobile else mobile


@dataclass(frozen=True)
class OrderFactory:
    """Builds orders for one platform; everything random comes from the caller's rng."""

    platform: str
    catalogue: Catalogue
    as_of: datetime  # the export moment: nothing after it has happened yet
    distributors: tuple[Promoter, ...] = ()

    def make(self, rng: random.Random, seq: int, fan: Fan, created_at: datetime) -> DemoOrder:
        products = self._products(rng, created_at)
        discount = _discount(rng, products, created_at)
        lines = _lines(rng, products, discount.total_fen)
        timeline, stage, refund = self._timeline(rng, created_at, lines)
        source, promoter = self._attribution(rng)
        shipped = timeline.shipped_at is not None
        return DemoOrder(
            platform=self.platform,
            seq=seq,
            fan=fan,
            lines=lines,
            discount=discount,
            timeline=timeline,
            stage=stage,
            refund=refund,
            close_reason=_close_reason(rng, stage),
            phone_masked=self.platform in MASKING_PLATFORMS and rng.random() < MASKED_PHONE_SHARE,
            promoter=promoter,
            traffic_source=source,
            express_company=rng.choice(words.EXPRESS_COMPANIES) if shipped else "",
            tracking_no=f"7{rng.randrange(10**13):013d}" if shipped else "",
            buyer_message=rng.choice(words.BUYER_MESSAGES),
            goods_fen=sum(line.goods_fen for line in lines),
            paid_fen=sum(line.paid_fen for line in lines),
        )

    def _products(self, rng: random.Random, created_at: datetime) -> list[Product]:
        # Kuaishou orders carry one product each; elsewhere carts hold 1-3 products.
        count = 1 if self.platform == "kuaishou" else _PRODUCTS_PER_ORDER.draw(rng)
        month = created_at.month
        products = [self.catalogue.pick(rng, month) for _ in range(count)]
        return list({product.sku_id: product for product in products}.values())

    def _timeline(
        self, rng: random.Random, created_at: datetime, lines: tuple[Line, ...]
    ) -> tuple[Timeline, Stage, Refund]:
        if rng.random() < UNPAID_SHARE:
            return self._unpaid(created_at)
        paid_at = created_at + timedelta(seconds=3 + int(rng.expovariate(1 / 45)))
        if paid_at > self.as_of:
            return self._unpaid(created_at)
        shipped_at = paid_at + timedelta(hours=rng.uniform(4, 72))
        # Buyers confirm receipt 3-10 days after paying, always after the parcel left.
        earliest = max(3.0, (shipped_at - paid_at).total_seconds() / 86_400 + 0.5)
        completed_at = paid_at + timedelta(days=rng.uniform(earliest, 10))
        planned = Timeline(created_at, paid_at, shipped_at, completed_at)
        refund = Refund()
        if rng.random() < REFUND_SHARE:
            refunded_at = paid_at + timedelta(days=rng.uniform(0.05, 12))
            if refunded_at <= self.as_of:
                planned, refund = _refund(rng, planned, refunded_at, lines)
        timeline = self._known(planned)
        return timeline, Stage.REFUNDED if refund.full else self._stage(timeline), refund

    def _unpaid(self, created_at: datetime) -> tuple[Timeline, Stage, Refund]:
        still_open = created_at + _PAYMENT_WINDOW > self.as_of
        stage = Stage.AWAITING_PAYMENT if still_open else Stage.CLOSED_UNPAID
        return Timeline(created_at), stage, Refund()

    def _known(self, timeline: Timeline) -> Timeline:
        """Drops the events that lie after the export moment."""
        # Completion or refund is always the last event; if both lie in the past, so does
        # everything else (the common case: an old order, all of it known).
        finals = [m for m in (timeline.completed_at, timeline.refunded_at) if m is not None]
        if finals and max(finals) <= self.as_of:
            return timeline

        def known(moment: datetime | None) -> datetime | None:
            return moment if moment is not None and moment <= self.as_of else None

        return Timeline(
            timeline.created_at,
            known(timeline.paid_at),
            known(timeline.shipped_at),
            known(timeline.completed_at),
            known(timeline.refunded_at),
        )

    @staticmethod
    def _stage(timeline: Timeline) -> Stage:
        if timeline.completed_at is not None:
            return Stage.COMPLETED
        return Stage.SHIPPED if timeline.shipped_at is not None else Stage.PAID

    def _attribution(self, rng: random.Random) -> tuple[str, Promoter | None]:
        """Traffic source and promoter, as far as this platform records them."""
        if self.platform == "douyin":
            source = _DOUYIN_SOURCES.draw(rng)
            return source, _streamer(rng) if source in ("直播", "短视频") else None
        if self.platform in ("kuaishou", "xiaohongshu"):
            return "", _streamer(rng) if rng.random() < 0.65 else None
        if self.platform == "youzan" and self.distributors and rng.random() < 0.15:
            return "", rng.choice(self.distributors)
        return "", None


def _streamer(rng: random.Random) -> Promoter:
    # The house streamer brings most orders; a few guest creators bring the rest.
    streamer_id, nickname = words.STREAMERS[0 if rng.random() < 0.8 else rng.randint(1, 3)]
    return Promoter(streamer_id, nickname)


def _discount(rng: random.Random, products: list[Product], created_at: datetime) -> Discount:
    """Decided on unit prices, so that extra units never shrink a line's discount share."""
    goods_fen = sum(product.price_fen for product in products)
    # Cross-shop promotion at the peaks: ¥50 off every ¥300.
    platform_fen = goods_fen // 30_000 * 5_000 if is_promotion(created_at.date()) else 0
    shop_fen = 0
    if rng.random() < 0.45:
        for threshold, off in ((29_900, 3_000), (19_900, 2_000), (9_900, 300)):
            if goods_fen >= threshold:
                shop_fen = off
                break
    streamer_fen = 500 if goods_fen >= 5_000 and rng.random() < 0.15 else 0
    return Discount(shop_fen, platform_fen, streamer_fen)


def _lines(rng: random.Random, products: list[Product], discount_fen: int) -> tuple[Line, ...]:
    """Quantities, and the discount spread over lines in proportion to goods, exact to the fen."""
    quantities = [_QUANTITY.draw(rng) for _ in products]
    goods = [product.price_fen * qty for product, qty in zip(products, quantities, strict=True)]
    total_goods = sum(goods)
    shares = [discount_fen * amount // total_goods for amount in goods]
    shares[0] += discount_fen - sum(shares)
    # Shipping is free from ¥39; below that the buyer pays ¥5, recorded on the first line.
    shipping = 0 if total_goods >= 3_900 else 500
    return tuple(
        Line(product, qty, share, shipping if index == 0 else 0)
        for index, (product, qty, share) in enumerate(
            zip(products, quantities, shares, strict=True)
        )
    )


def _refund(
    rng: random.Random, planned: Timeline, refunded_at: datetime, lines: tuple[Line, ...]
) -> tuple[Timeline, Refund]:
    paid_fen = sum(line.paid_fen for line in lines)
    if rng.random() < 0.45:
        # A full refund before shipping cancels the parcel; after it, the goods come back.
        shipped = planned.shipped_at is not None and planned.shipped_at < refunded_at
        shipped_at = planned.shipped_at if shipped else None
        closed = Timeline(planned.created_at, planned.paid_at, shipped_at, None, refunded_at)
        return closed, Refund(paid_fen, full=True)
    refunded = Timeline(
        planned.created_at, planned.paid_at, planned.shipped_at, planned.completed_at, refunded_at
    )
    if len(lines) > 1:
        index = rng.randrange(len(lines))
        return refunded, Refund(lines[index].paid_fen, line_index=index)
    # One-line orders get a partial money-only refund (price protection, a damaged item).
    amount = max(100, paid_fen * rng.randint(10, 40) // 10_000 * 100)
    return refunded, Refund(min(amount, paid_fen - 1))


def _close_reason(rng: random.Random, stage: Stage) -> str:
    if stage is Stage.CLOSED_UNPAID:
        return rng.choice(("未及时付款", "买家不想买了", "拍错了"))
    return "退款" if stage is Stage.REFUNDED else ""
