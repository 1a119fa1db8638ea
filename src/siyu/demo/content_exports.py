"""Creator-centre data exports for the demo, the tests and the content benchmark.

A `ContentWork` is one short video or note as its platform knows it; `write_content_export`
writes what that platform's creator centre lets a team download on a given day: Douyin's
creator centre (CSV, counts over ten thousand as 1.2万), Xiaohongshu's (xlsx, thousands
commas, 首次发布时间), Bilibili's (CSV, plain numbers, BV ids). Figures grow with the days
since publishing, so a later export of the same works carries newer, larger figures.
Everything is deterministic for a seed; no global random state is used.
"""

from __future__ import annotations

import csv
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from siyu.kit.tabular import write_rows

DEMO_PLATFORMS = ("douyin", "xiaohongshu", "bilibili")
HEADERS: dict[str, tuple[str, ...]] = {
    "douyin": (
        "作品名称", "作品ID", "发布时间", "体裁", "审核状态", "播放量", "完播率", "5s完播率",
        "平均播放时长", "点赞量", "评论量", "分享量", "收藏量", "主页访问量", "粉丝增量",
    ),
    "xiaohongshu": (
        "笔记标题", "笔记ID", "首次发布时间", "笔记类型", "观看量", "人均观看时长", "点赞",
        "评论", "收藏", "分享", "涨粉",
    ),
    "bilibili": (
        "稿件标题", "BV号", "投稿时间", "播放", "弹幕", "点赞", "投币", "收藏", "分享", "评论",
        "涨粉",
    ),
}  # fmt: skip
SUBJECTS = (
    "秋冬大衣怎么选", "小个子显高穿搭", "通勤包一周不重样", "百元内好物清单", "直播间爆款开箱",
    "羊毛衫怎么洗不缩水", "一衣三穿", "平价护肤步骤", "年货囤货攻略", "主播的日常",
    "面料实验室", "梨形身材裤子推荐", "围巾的十种系法", "旅行行李箱收纳", "新品抢先看",
    "粉丝问答", "仓库探访", "直播间幕后", "搭配师教你配色", "一周早餐",
)  # fmt: skip
_PLATFORM_TITLE = {
    "douyin": "{subject}｜{hook}",
    "xiaohongshu": "{subject}🔥{hook}",
    "bilibili": "【小鹿】{subject}：{hook}",
}
HOOKS = ("看完不踩雷", "姐妹们冲", "实测一个月", "第{n}期", "干货合集", "建议收藏")
_PEAK_PLAYS = {"douyin": 42_000, "xiaohongshu": 9_000, "bilibili": 6_500}


@dataclass(frozen=True)
class ContentWork:
    platform: str
    work_id: str
    title: str
    published: datetime  # local time of the workspace
    kind: str
    reach: float  # how far above or below the platform's typical work this one travels


def make_works(
    platform: str, first: date, days: int, per_week: float, seed: int
) -> list[ContentWork]:
    """The works a team published on ``platform`` over ``days`` days from ``first``."""
    rng = random.Random(f"{seed}-{platform}")
    works: list[ContentWork] = []
    for offset in range(days):
        if rng.random() >= per_week / 7:
            continue
        subject = SUBJECTS[(offset + len(works)) % len(SUBJECTS)]
        hook = rng.choice(HOOKS).format(n=len(works) + 1)
        moment = datetime.combine(first + timedelta(days=offset), time(rng.choice((12, 18, 20))))
        works.append(
            ContentWork(
                platform=platform,
                work_id=_work_id(platform, rng),
                title=_PLATFORM_TITLE[platform].format(subject=subject, hook=hook),
                published=moment.replace(minute=rng.randrange(60)),
                kind="note" if platform == "xiaohongshu" and rng.random() < 0.4 else "video",
                reach=rng.lognormvariate(0, 0.8),
            )
        )
    return works


def _work_id(platform: str, rng: random.Random) -> str:
    if platform == "bilibili":
        alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
        return "BV1" + "".join(rng.choice(alphabet) for _ in range(9))
    if platform == "xiaohongshu":
        return "".join(rng.choice("0123456789abcdef") for _ in range(24))
    return str(rng.randrange(7_300_000_000_000_000_000, 7_400_000_000_000_000_000))


def figures_as_of(work: ContentWork, as_of: date) -> dict[str, int]:
    """The work's running totals on ``as_of``: they saturate over about two weeks."""
    age = max((as_of - work.published.date()).days, 0) + 1
    grown = 1 - math.exp(-age / 4)
    plays = int(_PEAK_PLAYS[work.platform] * work.reach * grown)
    return {
        "plays": plays,
        "likes": int(plays * 0.045),
        "comments": int(plays * 0.006),
        "shares": int(plays * 0.004),
        "favorites": int(plays * 0.012),
        "follower_gain": int(plays * 0.0025),
    }


def _count(value: int, style: str) -> str:
    if style == "wan" and value >= 10_000:
        return f"{value / 10_000:.1f}万"
    if style == "commas":
        return f"{value:,}"
    return str(value)


def _douyin(work: ContentWork, f: dict[str, int]) -> list[object]:
    return [
        work.title, work.work_id, work.published.strftime("%Y-%m-%d %H:%M"),
        "视频", "已发布", _count(f["plays"], "wan"), f"{min(30 + work.reach * 5, 92):.1f}%",
        f"{min(55 + work.reach * 4, 97):.1f}%", f"{8 + work.reach * 3:.1f}秒",
        _count(f["likes"], "wan"),
        f["comments"], f["shares"], f["favorites"], f["plays"] // 40, f["follower_gain"],
    ]  # fmt: skip


def _xiaohongshu(work: ContentWork, f: dict[str, int]) -> list[object]:
    return [
        work.title, work.work_id, work.published.strftime("%Y-%m-%d %H:%M:%S"),
        "图文" if work.kind == "note" else "视频", _count(f["plays"], "commas"),
        "-" if work.kind == "note" else f"{12 + work.reach * 4:.0f}s",
        _count(f["likes"], "commas"), f["comments"], f["favorites"], f["shares"],
        f["follower_gain"],
    ]  # fmt: skip


def _bilibili(work: ContentWork, f: dict[str, int]) -> list[object]:
    return [
        work.title, work.work_id, work.published.strftime("%Y/%m/%d %H:%M"), f["plays"],
        f["comments"] * 3, f["likes"], f["likes"] // 4, f["favorites"], f["shares"],
        f["comments"], f["follower_gain"],
    ]  # fmt: skip


ROW_WRITERS: dict[str, Callable[[ContentWork, dict[str, int]], list[object]]] = {
    "douyin": _douyin,
    "xiaohongshu": _xiaohongshu,
    "bilibili": _bilibili,
}


def export_rows(works: Sequence[ContentWork], as_of: date) -> list[list[object]]:
    """The rows of the export downloaded on ``as_of``: the works published by then."""
    return [
        ROW_WRITERS[work.platform](work, figures_as_of(work, as_of))
        for work in works
        if work.published.date() <= as_of
    ]


def write_content_export(
    path: Path, platform: str, works: Sequence[ContentWork], as_of: date
) -> Path:
    """The creator centre's export; xlsx for Xiaohongshu, CSV (UTF-8 with BOM) otherwise."""
    rows = export_rows([work for work in works if work.platform == platform], as_of)
    if path.suffix == ".xlsx":
        with path.open("wb") as stream:
            write_rows(stream, HEADERS[platform], rows, "xlsx", sheet="数据")
        return path
    with path.open("w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(HEADERS[platform])
        writer.writerows(rows)
    return path


def export_name(platform: str, as_of: date) -> str:
    suffix = "xlsx" if platform == "xiaohongshu" else "csv"
    return f"{platform}_作品数据_{as_of:%Y%m%d}.{suffix}"


def many_works(platform: str, count: int, first: date, seed: int) -> list[ContentWork]:
    """``count`` works, several a day from ``first``: the content import benchmark's file."""
    rng = random.Random(f"{seed}-{platform}-many")
    return [
        ContentWork(
            platform=platform,
            work_id=_work_id(platform, rng),
            title=_PLATFORM_TITLE[platform].format(
                subject=SUBJECTS[n % len(SUBJECTS)], hook=f"第{n + 1}期"
            ),
            published=datetime.combine(first + timedelta(days=n // 24), time(n % 24)),
            kind="video",
            reach=rng.lognormvariate(0, 0.8),
        )
        for n in range(count)
    ]
