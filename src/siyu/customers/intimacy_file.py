"""Fan-club intimacy levels (粉丝亲密度) read from a file: the fan-club lists streamers export.

A header row names the columns (English or Chinese, any order, matched loosely); the
platform comes from a ``platform`` column or is given for the whole file. Rows that cannot be
used are reported by number with the reason; the rest apply.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from siyu.customers.platforms import IDENTITY_PLATFORMS
from siyu.orders.importers import FatalImportError
from siyu.orders.importers.headers import header_key
from siyu.orders.importers.reading import UnreadableRow, open_source
from siyu.orders.importers.values import clean_text

# Loosely matched (header_key): the first column found for each field is read.
COLUMNS = {
    "platform": ("platform", "平台"),
    "external_id": (
        "external_id", "buyer_id", "用户ID", "买家ID", "抖音号", "快手号", "小红书号",
        "买家会员名", "买家昵称",
    ),
    "level": ("level", "intimacy", "亲密度", "粉丝亲密度", "粉丝团等级", "亲密度等级", "等级"),
}  # fmt: skip
MAX_LEVEL = 1000
# Platform cells as Chinese lists write them.
PLATFORM_NAMES = {
    "淘宝": "taobao", "天猫": "taobao", "抖音": "douyin", "快手": "kuaishou",
    "小红书": "xiaohongshu", "有赞": "youzan", "微信": "wechat", "企业微信": "wecom",
}  # fmt: skip


@dataclass
class IntimacyFile:
    levels: list[tuple[str, str, int]] = field(default_factory=list)
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (row number, reason)
    rows_read: int = 0


def read_intimacy_file(path: Path, platform: str | None) -> IntimacyFile:
    """Read every usable row; raises FatalImportError when the file cannot be used at all."""
    if platform is not None and platform not in IDENTITY_PLATFORMS:
        choices = ", ".join(IDENTITY_PLATFORMS)
        raise FatalImportError(f"Unknown platform {platform!r}; choose {choices}.")
    rows = (row for row in open_source(path).rows() if not isinstance(row, UnreadableRow))
    header = next((row for row in rows if any(clean_text(cell) for cell in row[1])), None)
    if header is None:
        raise FatalImportError("The file is empty.")
    positions = _positions([clean_text(cell) for cell in header[1]])
    missing = [name for name in ("external_id", "level") if name not in positions]
    if platform is None and "platform" not in positions:
        missing.append("platform (or give --platform)")
    if missing:
        raise FatalImportError(f"Missing columns: {', '.join(missing)}.")
    result = IntimacyFile()
    for number, cells in rows:
        texts = [clean_text(cell) for cell in cells]
        if not any(texts):
            continue
        result.rows_read += 1
        parsed = _level_row(texts, positions, platform)
        if isinstance(parsed, str):
            result.rejected.append((number, parsed))
        else:
            result.levels.append(parsed)
    return result


def _positions(headers: list[str]) -> dict[str, int]:
    keys = [header_key(text) for text in headers]
    found: dict[str, int] = {}
    for name, aliases in COLUMNS.items():
        for alias in aliases:
            if header_key(alias) in keys:
                found[name] = keys.index(header_key(alias))
                break
    return found


def _level_row(
    texts: list[str], positions: dict[str, int], platform: str | None
) -> tuple[str, str, int] | str:
    """The row's (platform, external id, level), or why it cannot be used."""

    def cell(name: str) -> str:
        index = positions.get(name)
        return texts[index] if index is not None and index < len(texts) else ""

    text = cell("platform")
    row_platform = PLATFORM_NAMES.get(text, text.casefold()) or platform
    if row_platform not in IDENTITY_PLATFORMS:
        return f"Unknown platform {cell('platform')!r}."
    external_id = cell("external_id")
    if not external_id or len(external_id) > 128:
        return "Missing or over-long fan id."
    level_text = cell("level").removeprefix("Lv").removeprefix("LV").removeprefix("lv").strip()
    if not level_text.isdecimal() or int(level_text) > MAX_LEVEL:
        return f"Level {cell('level')!r} is not a whole number from 0 to {MAX_LEVEL}."
    return row_platform, external_id, int(level_text)
