"""Reading creator-centre exports: one column vocabulary for every platform and export
version, platform detection from the headers, and Chinese number forms.

The file reader, header normalisation and cell cleaning are the order importers' own
(``orders/importers``): the same sniffing of CSV, xlsx and encodings, the same Excel guards.
A row becomes a ``WorkFigures`` or a ``RowError``; a file that cannot be read at all raises
``FatalImportError``, so nothing of it is written.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from zoneinfo import ZoneInfo

from siyu.kit.i18n import N_
from siyu.orders.importers.headers import ColumnMap, build_column_map, header_key
from siyu.orders.importers.reading import UnreadableRow, open_source
from siyu.orders.importers.records import FatalImportError, RowError
from siyu.orders.importers.values import Cell, clean_cells, is_absent, parse_moment

# Every spelling seen across platforms and export versions, most specific first.
ALIASES: Mapping[str, Sequence[str]] = {
    "post_id": ("作品ID", "视频ID", "笔记ID", "稿件BV号", "BV号", "微博ID", "内容ID", "item_id"),
    "title": (
        "作品名称", "作品标题", "视频标题", "笔记标题", "稿件标题", "作品描述", "视频描述",
        "微博内容", "标题", "描述", "内容",
    ),
    "published_at": ("首次发布时间", "发布时间", "发布日期", "投稿时间", "发表时间", "创建时间"),
    "kind": ("体裁", "作品类型", "笔记类型", "类型"),
    "url": ("作品链接", "视频链接", "笔记链接", "稿件链接", "链接"),
    "plays": (
        "播放量", "播放次数", "播放数", "播放", "观看量", "观看次数", "观看数", "阅读量", "阅读数",
        "浏览量",
    ),
    "likes": ("点赞量", "点赞数", "点赞", "获赞数"),
    "comments": ("评论量", "评论数", "评论"),
    "shares": ("分享量", "分享数", "分享", "转发量", "转发数", "转发"),
    "favorites": ("收藏量", "收藏数", "收藏"),
    "follower_gain": ("粉丝增量", "涨粉量", "涨粉数", "涨粉", "新增粉丝", "净增粉丝", "关注量"),
    "completion": ("完播率", "完整观看率"),
    "avg_watch": ("平均播放时长", "平均观看时长", "人均观看时长"),
}  # fmt: skip
FIGURES = ("plays", "likes", "comments", "shares", "favorites", "follower_gain")
# Columns only one platform's creator centre writes: they tell the platform from the headers.
SIGNATURES: Mapping[str, Sequence[str]] = {
    "douyin": ("作品名称", "5s完播率", "2s跳出率", "封面点击率", "主页访问量"),
    "kuaishou": ("作品描述", "涨粉数", "作品ID"),
    "xiaohongshu": ("笔记标题", "笔记ID", "首次发布时间", "笔记类型", "人均观看时长"),
    "bilibili": ("稿件标题", "BV号", "稿件BV号", "投稿时间", "投币", "弹幕"),
    "weibo": ("微博内容", "微博ID", "阅读数", "转发数"),
    "channels": ("视频描述", "喜欢", "推荐"),
}
PLATFORM_CHOICES = ("auto", *SIGNATURES)
KIND_WORDS = {
    "直播预告": "live_announcement",
    "图文": "note",
    "笔记": "note",
    "文章": "note",
    "视频": "video",
}
_HEADER_SCAN_ROWS = 10
_MIN_HEADER_FIELDS = 3
_COUNT = re.compile(r"([+-]?\d+(?:\.\d+)?)\s*(万|w|W|亿|k|K|千)?\+?")
_MULTIPLIERS = {
    None: 1,
    "万": 10_000,
    "w": 10_000,
    "W": 10_000,
    "亿": 100_000_000,
    "k": 1_000,
    "K": 1_000,
    "千": 1_000,
}
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*%")
_DURATION_CLOCK = re.compile(r"(?:(\d+):)?(\d{1,2}):(\d{1,2})")
_DURATION_WORDS = re.compile(
    r"(?:(\d+)\s*(?:分钟|分|min|m))?\s*(?:(\d+(?:\.\d+)?)\s*(?:秒|s|sec)?)?"
)
_CHINESE_DATE = str.maketrans({"年": "-", "月": "-", "日": " ", "号": " "})
MAX_COUNT = 10**15
_NOWHERE: list[int] = []


@dataclass(slots=True)
class WorkFigures:
    """One work of an export: what identifies it and the figures as of the export."""

    row: int
    post_id: str | None
    title: str
    published_at: datetime | None
    kind: str
    url: str | None
    plays: int
    likes: int
    comments: int
    shares: int
    favorites: int
    follower_gain: int
    completion_permille: int | None
    avg_watch_seconds: int | None


@dataclass(slots=True)
class ExportFile:
    path: Path
    platform: str
    columns: ColumnMap
    header_row: int
    rows: Iterator[tuple[int, list[Cell]] | UnreadableRow]


def parse_count(text: str) -> int | None:
    """A count as creator centres write it: 3,456 · 1.2万 · 10w+ · 1.5亿 · "-" for none."""
    if text.isdigit():  # most cells: plain digits
        return _bounded(int(text))
    text = text.replace(",", "").replace("，", "").strip()
    if is_absent(text):
        return None
    match = _COUNT.fullmatch(text)
    if match is None:
        raise ValueError(N_("Not a count."))
    number, unit = match.groups()
    return _bounded(int(Decimal(number) * _MULTIPLIERS[unit]))


def _bounded(value: int) -> int:
    if value < 0:
        raise ValueError(N_("A count cannot be negative."))
    if value > MAX_COUNT:
        raise ValueError(N_("The count is out of range."))
    return value


def parse_permille(text: str) -> int | None:
    """A rate as 35.2% or 0.352, in thousandths."""
    text = text.strip()
    if is_absent(text):
        return None
    match = _PERCENT.fullmatch(text)
    try:
        value = Decimal(match.group(1)) * 10 if match else Decimal(text) * 1000
    except InvalidOperation:
        raise ValueError(N_("Not a rate.")) from None
    if not 0 <= value <= 1000:
        raise ValueError(N_("A rate lies between 0 and 100%."))
    return int(value)


def parse_seconds(text: str) -> int | None:
    """A duration as 12.5 · 12.5秒 · 12s · 1分20秒 · 01:20, in whole seconds."""
    text = text.strip()
    if is_absent(text):
        return None
    clock = _DURATION_CLOCK.fullmatch(text)
    if clock:
        hours, minutes, seconds = (int(part or 0) for part in clock.groups())
        return hours * 3600 + minutes * 60 + seconds
    words = _DURATION_WORDS.fullmatch(text)
    if words is None or not any(words.groups()):
        raise ValueError(N_("Not a duration."))
    minutes_text, seconds_text = words.groups()
    return int(minutes_text or 0) * 60 + int(Decimal(seconds_text or 0))


def parse_published(cell: Cell, zone: ZoneInfo) -> datetime | None:
    if isinstance(cell, str):
        cell = cell.translate(_CHINESE_DATE).strip()
    return parse_moment(cell, zone)


def open_export(path: Path, platform: str = "auto") -> ExportFile:
    """The file's header row, its platform and a stream of its data rows."""
    source = open_source(path)
    rows = source.rows()
    for _ in range(_HEADER_SCAN_ROWS):
        row = next(rows, None)
        if row is None:
            break
        if isinstance(row, UnreadableRow):
            continue
        number, cells = row
        headers = clean_cells(cells)
        columns = build_column_map(headers, ALIASES)
        if sum(1 for field in ALIASES if columns.has(field)) >= _MIN_HEADER_FIELDS:
            chosen = platform if platform != "auto" else detect_platform(headers)
            _check_columns(columns)
            return ExportFile(path, chosen, columns, number, rows)
    raise FatalImportError(
        N_(
            "No header row with a work's title, publish time and figures was found in the"
            " first rows: the file is not a creator centre's data export."
        )
    )


def detect_platform(headers: Sequence[str]) -> str:
    keys = {header_key(name) for name in headers}
    scores = {
        platform: sum(1 for name in names if header_key(name) in keys)
        for platform, names in SIGNATURES.items()
    }
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    best, runner_up = ranked[0], ranked[1]
    if best[1] == 0 or best[1] == runner_up[1]:
        raise FatalImportError(
            N_(
                "The platform cannot be told from the file's headers: choose it"
                " (Douyin, Kuaishou, Xiaohongshu, Bilibili, Weibo or WeChat Channels)."
            )
        )
    return best[0]


def _check_columns(columns: ColumnMap) -> None:
    if not (columns.has("post_id") or columns.has("title")):
        raise FatalImportError(N_("The file has no column naming the work (its id or its title)."))
    if not any(columns.has(field) for field in FIGURES):
        raise FatalImportError(
            N_("The file has no figures (plays, likes, comments, shares or favourites).")
        )


def work_rows(export: ExportFile, zone: ZoneInfo) -> Iterator[WorkFigures | RowError]:
    """Every data row as a work or an error; blank rows are skipped."""
    where = {field: export.columns.positions.get(field) or _NOWHERE for field in ALIASES}
    for row in export.rows:
        if isinstance(row, UnreadableRow):
            yield RowError(row.row, None, None, row.reason)
            continue
        number, cells = row
        texts = clean_cells(cells)
        if any(texts):
            yield _Row(export.columns.headers, where, cells, texts).work(number, zone)


@dataclass(slots=True)
class _Row:
    """One data row's cells, looked up by field (the first non-empty of its columns)."""

    headers: list[str]
    where: dict[str, list[int]]
    cells: list[Cell]
    texts: list[str]

    def cell(self, field: str) -> tuple[str, Cell]:
        positions = self.where[field]
        for index in positions:
            if index < len(self.texts) and self.texts[index]:
                raw = self.cells[index]
                return self.headers[index], raw if isinstance(raw, datetime) else self.texts[index]
        return (self.headers[positions[0]] if positions else field), ""

    def text(self, field: str) -> str:
        for index in self.where[field]:
            if index < len(self.texts) and self.texts[index]:
                return self.texts[index]
        return ""

    def work(self, number: int, zone: ZoneInfo) -> WorkFigures | RowError:
        current = "published_at"
        try:
            published_at = parse_published(self.cell("published_at")[1], zone)
            counts = []
            for current in FIGURES:
                counts.append(parse_count(self.text(current)) or 0)
            current = "completion"
            completion = parse_permille(self.text("completion"))
            current = "avg_watch"
            avg_watch = parse_seconds(self.text("avg_watch"))
        except ValueError as error:
            column, value = self.cell(current)
            return RowError(number, column, str(value), str(error))
        post_id = _present(self.text("post_id"))
        title = _present(self.text("title"))
        if post_id is None and (title is None or published_at is None):
            reason = N_("A work needs its id, or its title and publish time.")
            return RowError(number, self.cell("title")[0], title, reason)
        plays, likes, comments, shares, favorites, follower_gain = counts
        return WorkFigures(
            row=number,
            post_id=post_id[:64] if post_id else None,
            title=(title or post_id or "")[:300],
            published_at=published_at,
            kind=_kind(self.text("kind")),
            url=_present(self.text("url")),
            plays=plays,
            likes=likes,
            comments=comments,
            shares=shares,
            favorites=favorites,
            follower_gain=follower_gain,
            completion_permille=completion,
            avg_watch_seconds=avg_watch,
        )


def _present(text: str) -> str | None:
    text = text.strip()
    return None if is_absent(text) else text


def _kind(text: str) -> str:
    for word, kind in KIND_WORDS.items():
        if word in text:
            return kind
    return "video"
