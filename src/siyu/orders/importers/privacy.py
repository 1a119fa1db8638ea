"""The raw row kept with an order, without the personal data the export carries in clear."""

from __future__ import annotations

from functools import cache, lru_cache

from . import SPECS
from .headers import header_key

# Personal data lives encrypted on the customer; the raw row kept with an order must not hold
# it in clear. These are the columns any export uses for it.
_PII_FIELDS = ("phone", "receiver_name", "address", "street", "address_detail")
_PII_HEADERS = frozenset(
    header_key(alias)
    for spec in SPECS
    for name in _PII_FIELDS
    for alias in spec.columns.get(name, ())
) | {header_key(name) for name in ("买家支付宝账号", "分销员手机号", "修改后的收货地址")}


def scrub_raw(raw: dict[str, str]) -> dict[str, str]:
    """The raw row without its personal-data columns (a repeated header carries "#2")."""
    pii = _pii_names(tuple(raw))  # the rows of one file share their names
    if not pii:
        return raw
    scrubbed = raw.copy()  # copying and deleting a few beats rebuilding the dict
    for name in pii:
        del scrubbed[name]
    return scrubbed


@lru_cache(maxsize=64)
def _pii_names(names: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(name for name in names if _is_pii_header(name))


@cache
def _is_pii_header(name: str) -> bool:
    return header_key(name.split("#", 1)[0]) in _PII_HEADERS
