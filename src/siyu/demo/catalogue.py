"""A fictional beauty and daily-goods catalogue (~150 SKUs) with seasonal demand."""

import math
import random
from dataclasses import dataclass

from siyu.demo import wordlists as words
from siyu.demo.sampling import Weighted

_SEASON_MONTHS = {
    "all": frozenset(range(1, 13)),
    "winter": frozenset({10, 11, 12, 1, 2}),
    "spring": frozenset({3, 4, 5}),
    "summer": frozenset({5, 6, 7, 8}),
}


@dataclass(frozen=True, slots=True)
class Product:
    product_id: str  # the platform's item id
    title: str
    sku_text: str
    sku_id: str
    merchant_code: str  # 商家编码: the seller's own SKU code
    barcode: str
    price_fen: int
    season: str


@dataclass(frozen=True)
class Catalogue:
    products: tuple[Product, ...]
    by_month: dict[int, Weighted[Product]]  # demand differs with the season

    def pick(self, rng: random.Random, month: int) -> Product:
        return self.by_month[month].draw(rng)


def build_catalogue() -> Catalogue:
    products = tuple(_all_products())
    by_month = {
        month: Weighted((product, _weight(product, month)) for product in products)
        for month in range(1, 13)
    }
    return Catalogue(products, by_month)


def _all_products() -> list[Product]:
    products = []
    for line_no, (category, name, variants, season) in enumerate(words.PRODUCT_LINES):
        # Each line is sold under two brands, which brings the catalogue to ~150 SKUs.
        for brand_no in range(2):
            brand = words.BRANDS[(line_no + brand_no * 3) % len(words.BRANDS)]
            item_no = line_no * 2 + brand_no
            products.extend(_variants(item_no, category, f"{brand} {name}", variants, season))
    return products


def _variants(
    item_no: int, category: str, title: str, variants: tuple[tuple[str, int], ...], season: str
) -> list[Product]:
    product_id = str(612_000_000_000 + item_no * 7_919_113)
    return [
        Product(
            product_id=product_id,
            title=title,
            sku_text=sku_text,
            sku_id=str(4_800_000_000_000 + item_no * 100 + variant_no),
            merchant_code=f"SY-{category}-{item_no:03d}-{variant_no + 1}",
            barcode=f"69{item_no * 10 + variant_no:011d}",
            price_fen=price_fen,
            season=season,
        )
        for variant_no, (sku_text, price_fen) in enumerate(variants)
    ]


def _weight(product: Product, month: int) -> float:
    # Cheap everyday items sell more units than big-ticket ones.
    base = 1000 / math.sqrt(product.price_fen)
    if product.season == "all":
        return base
    return base * (3.0 if month in _SEASON_MONTHS[product.season] else 0.2)
