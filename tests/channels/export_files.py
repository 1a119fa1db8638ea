"""Creator-centre export files for the tests: the demo generator's, and hand-written ones of
the platforms it does not write (Kuaishou, Weibo, WeChat Channels) and of broken exports."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from siyu.demo.content_exports import ContentWork, make_works, write_content_export

FIRST_DAY = date(2026, 11, 1)


def works(platform: str, days: int = 28, per_week: float = 4.5) -> list[ContentWork]:
    return make_works(platform, FIRST_DAY, days, per_week, seed=16)


def export(tmp_path: Path, platform: str, all_works: Sequence[ContentWork], as_of: date) -> Path:
    suffix = "xlsx" if platform == "xiaohongshu" else "csv"
    return write_content_export(
        tmp_path / f"{platform}-{as_of:%m%d}.{suffix}", platform, all_works, as_of
    )


def write_csv(path: Path, rows: Sequence[Sequence[object]], encoding: str = "utf-8-sig") -> Path:
    with path.open("w", encoding=encoding, newline="") as stream:
        csv.writer(stream).writerows(rows)
    return path


KUAISHOU = ("作品ID", "作品描述", "发布时间", "播放量", "点赞数", "评论数", "分享数", "涨粉数")
WEIBO = ("微博ID", "微博内容", "发表时间", "阅读数", "转发数", "评论数", "点赞数")
CHANNELS = ("视频描述", "发布时间", "播放量", "喜欢", "点赞", "评论", "分享", "关注量")
