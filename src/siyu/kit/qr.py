"""QR codes for links people scan: fan links, live codes and fan groups' join codes (segno)."""

from __future__ import annotations

import io

import segno

PNG_SCALE = 8  # pixels per module: a 200-character link prints at about 500 px
BORDER = 4  # the quiet zone the standard asks for, in modules


def _code(data: str) -> segno.QRCode:
    return segno.make_qr(data, error="m")


def qr_png(data: str, *, scale: int = PNG_SCALE) -> bytes:
    out = io.BytesIO()
    _code(data).save(out, kind="png", scale=scale, border=BORDER)
    return out.getvalue()


def qr_svg(data: str, *, scale: int = PNG_SCALE) -> bytes:
    out = io.BytesIO()
    _code(data).save(out, kind="svg", scale=scale, border=BORDER, xmldecl=True)
    return out.getvalue()


def qr_png_data_uri(data: str, *, scale: int = 6) -> str:
    """For an ``<img>`` inside a page: WeChat recognises a long-pressed PNG, not an SVG."""
    return str(_code(data).png_data_uri(scale=scale, border=BORDER))
