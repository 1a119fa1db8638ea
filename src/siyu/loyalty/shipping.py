"""Where a gift ships: a recipient's name, phone and address, or the older single text.

Both are stored in one encrypted field (``address_enc``): the structured form as JSON, the text
as it is. Next to it the redemption keeps a masked line (name and phone masked, no street) for
the shipping queue; the clear address is an audited reveal.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass

from siyu.kit.crypto import mask_name, mask_phone

PHONE = re.compile(r"^\+?\d{7,15}$")
_PHONE_NOISE = re.compile(r"[\s\-()（）]")
MASKED_WIDTH = 200


@dataclass(frozen=True)
class ShippingAddress:
    name: str
    phone: str
    address: str
    province: str | None = None
    city: str | None = None
    district: str | None = None

    @property
    def region(self) -> str:
        return "".join(part for part in (self.province, self.city, self.district) if part)

    def line(self) -> str:
        """One line for a parcel label: 王芳 13800138000 浙江省杭州市西湖区 文三路 90 号."""
        return " ".join(part for part in (self.name, self.phone, self.region, self.address) if part)

    def masked(self) -> str:
        """王* 138****8000 浙江省杭州市西湖区: enough to tell parcels apart, no street."""
        line = f"{mask_name(self.name)} {mask_phone(self.phone)} {self.region}".strip()
        return line[:MASKED_WIDTH]


def normalise_phone(text: str) -> str:
    return _PHONE_NOISE.sub("", text)


def stored_text(address: str | ShippingAddress | None) -> str | None:
    """The plaintext to encrypt: JSON for a structured address, the text for the older form."""
    if isinstance(address, ShippingAddress):
        fields = {key: value for key, value in asdict(address).items() if value}
        return json.dumps(fields, ensure_ascii=False, sort_keys=True)
    text = (address or "").strip()
    return text or None


def from_stored(text: str) -> str | ShippingAddress:
    """A decrypted address back as it was given."""
    if text.startswith("{"):
        try:
            fields = json.loads(text)
            return ShippingAddress(**fields)
        except (ValueError, TypeError):
            return text
    return text


def masked_text(address: str | ShippingAddress | None) -> str | None:
    """The queue's masked line; an older text address shows only its first characters."""
    if address is None:
        return None
    if isinstance(address, ShippingAddress):
        return address.masked()
    text = address.strip()
    return (text[:6] + "…") if len(text) > 6 else "…" if text else None


def clear_line(text: str) -> str:
    """A decrypted address as one readable line."""
    address = from_stored(text)
    return address.line() if isinstance(address, ShippingAddress) else address
