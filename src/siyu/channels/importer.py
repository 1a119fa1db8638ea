"""Reading creator-centre exports: one column vocabulary for every platform and export
version, platform detection from the headers, and Chinese number forms.

The file reader, header normalisation and cell cleaning are the order importers' own
(``orders/importers``): the same sniffing of CSV, xlsx and encodings, the same Excel guards.
A row becomes a ``WorkFigures`` or a ``RowError``; a file that cannot be read at all raises
``FatalImportError``, so nothing of it is written.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from operator import itemgetter
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
_FORMS_KEPT = 4096


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
    return _written_count(text)


# An export repeats the same few written forms (1.2万, "-") down a column: each is read once.
@lru_cache(maxsize=_FORMS_KEPT)
def _written_count(text: str) -> int | None:
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


@lru_cache(maxsize=_FORMS_KEPT)
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


@lru_cache(maxsize=_FORMS_KEPT)
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
        # Most exports write ISO moments (2026-11-03 20:15): read in C; any other form goes
        # the order importers' way (or is refused there).
        with suppress(ValueError):
            cell = datetime.fromisoformat(cell)
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
    read = _RowReader(export.columns, zone)
    for row in export.rows:
        if isinstance(row, UnreadableRow):
            yield RowError(row.row, None, None, row.reason)
            continue
        number, cells = row
        texts = clean_cells(cells)
        if any(texts):
            yield read.work(number, cells, texts)


# The fields a row is read for, in the order the reader hands their texts over.
_READ_ORDER = (
    "post_id",
    "title",
    "published_at",
    "kind",
    "url",
    *FIGURES,
    "completion",
    "avg_watch",
)
_PLAIN_DIGITS = 16  # fewer digits than MAX_COUNT has: a plain count always in range


class _RowReader:
    """Reads one file's data rows: which columns hold each field is settled once per file,
    so a row costs only its own cells (the first non-empty of a field's columns wins)."""

    def __init__(self, columns: ColumnMap, zone: ZoneInfo) -> None:
        self.headers = columns.headers
        self.zone = zone
        self.where = {field: tuple(columns.positions.get(field) or ()) for field in ALIASES}
        self.width = len(columns.headers)
        # Most exports name each field in one column at most: then a row's texts are picked
        # in one C-level call (a field without a column reads the blank past the row's end).
        if all(len(self.where[field]) <= 1 for field in _READ_ORDER):
            indexes = [(self.where[field] or (self.width,))[0] for field in _READ_ORDER]
            self.pick: Callable[[list[str]], tuple[str, ...]] = itemgetter(*indexes)
        else:
            self.pick = self._pick_first

    def _pick_first(self, texts: list[str]) -> tuple[str, ...]:
        return tuple(_first(texts, self.where[field]) for field in _READ_ORDER)

    def column(self, field: str, texts: list[str]) -> str:
        """The header a field's value came from (its first column when it had none)."""
        positions = self.where[field]
        for index in positions:
            if index < len(texts) and texts[index]:
                return self.headers[index]
        return self.headers[positions[0]] if positions else field

    def work(self, number: int, cells: list[Cell], texts: list[str]) -> WorkFigures | RowError:
        if len(texts) != self.width:  # a short or long row: blanks to the header's width
            texts = [*texts[: self.width], *[""] * (self.width - len(texts))]
        texts.append("")
        picked = self.pick(texts)
        post_id, title, published, kind, url = picked[:5]
        try:
            published_at = self._published(cells, texts) if published else None
            plays, likes, comments, shares, favorites, follower_gain = [
                int(text) if text.isdecimal() and len(text) < _PLAIN_DIGITS else _count_or_0(text)
                for text in picked[5:11]
            ]
            completion = parse_permille(picked[11])
            avg_watch = parse_seconds(picked[12])
        except ValueError:
            return self._refusal(number, cells, texts)
        work_id = _present(post_id)
        work_title = _present(title)
        if work_id is None and (work_title is None or published_at is None):
            reason = N_("A work needs its id, or its title and publish time.")
            return RowError(number, self.column("title", texts), work_title, reason)
        return WorkFigures(
            number,
            work_id[:64] if work_id else None,
            (work_title or work_id or "")[:300],
            published_at,
            _kind(kind),
            _present(url),
            plays,
            likes,
            comments,
            shares,
            favorites,
            follower_gain,
            completion,
            avg_watch,
        )

    def _refusal(self, number: int, cells: list[Cell], texts: list[str]) -> RowError:
        """The first field of a refused row that does not read, with its column and why
        (read again field by field: rare, so the common row never pays for the tracking)."""
        readers: tuple[tuple[str, Callable[[str], object]], ...] = (
            *((field, parse_count) for field in FIGURES),
            ("completion", parse_permille),
            ("avg_watch", parse_seconds),
        )
        field = "published_at"
        try:
            self._published(cells, texts)
            for field, read in readers:
                read(_first(texts, self.where[field]))
        except ValueError as error:
            return RowError(
                number, self.column(field, texts), self._value(field, cells, texts), str(error)
            )
        raise AssertionError("a refused row reads on a second look")  # pragma: no cover

    def _published(self, cells: list[Cell], texts: list[str]) -> datetime | None:
        for index in self.where["published_at"]:
            if index < len(texts) and texts[index]:
                raw = cells[index] if index < len(cells) else ""
                return parse_published(
                    raw if isinstance(raw, datetime) else texts[index], self.zone
                )
        return None

    def _value(self, field: str, cells: list[Cell], texts: list[str]) -> str:
        """The refused cell as the row gave it, for the reject report."""
        for index in self.where[field]:
            if index < len(texts) and texts[index]:
                raw = cells[index] if index < len(cells) else ""
                return str(raw if isinstance(raw, datetime) else texts[index])
        return ""


def _count_or_0(text: str) -> int:
    return parse_count(text) or 0


def _first(texts: list[str], positions: tuple[int, ...]) -> str:
    for index in positions:
        if index < len(texts) and texts[index]:
            return texts[index]
    return ""


def _present(text: str) -> str | None:
    text = text.strip()
    return None if is_absent(text) else text


@lru_cache(maxsize=_FORMS_KEPT)
def _kind(text: str) -> str:
    for word, kind in KIND_WORDS.items():
        if word in text:
            return kind
    return "video"
