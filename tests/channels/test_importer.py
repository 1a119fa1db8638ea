"""Creator-centre exports: each platform's file imports to the right counts, a later export
updates the figures and keeps a daily history, bad rows are listed, bad files are rejected."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.channels.importer import parse_count, parse_permille, parse_seconds
from siyu.channels.models import ContentUpload, ContentUploadReject, Post, PostDay
from siyu.channels.service import import_export
from siyu.demo.content_exports import figures_as_of
from siyu.workspace.models import Workspace
from tests.factories import ACTOR

from . import export_files as ef

MID, END = date(2026, 11, 15), date(2026, 11, 29)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3,456", 3456),
        ("1.2万", 12000),
        ("10w+", 100000),
        ("1.5亿", 150_000_000),
        ("2.5k", 2500),
        ("-", None),
        ("", None),
        ("42", 42),
    ],
)
def test_chinese_counts(text: str, expected: int | None) -> None:
    assert parse_count(text) == expected


@pytest.mark.parametrize("text", ["abc", "1.2万万", "-5", "12元"])
def test_counts_that_are_not_counts(text: str) -> None:
    with pytest.raises(ValueError):
        parse_count(text)


def test_rates_and_durations() -> None:
    assert parse_permille("35.2%") == 352
    assert parse_permille("0.352") == 352
    assert parse_seconds("12.5秒") == 12
    assert parse_seconds("1分20秒") == 80
    assert parse_seconds("01:20") == 80
    assert parse_seconds("-") is None
    with pytest.raises(ValueError):
        parse_permille("135%")


def _posts(session: Session, workspace: Workspace, platform: str) -> int:
    return (
        session.scalar(
            select(func.count()).where(Post.workspace_id == workspace.id, Post.platform == platform)
        )
        or 0
    )


@pytest.mark.parametrize("platform", ["douyin", "xiaohongshu", "bilibili"])
def test_each_platform_imports_and_a_later_export_updates(
    session: Session, workspace: Workspace, tmp_path: Path, platform: str
) -> None:
    works = ef.works(platform)
    first = import_export(
        session, workspace, ef.export(tmp_path, platform, works, MID), actor=ACTOR, as_of=MID
    )
    published_by_mid = [w for w in works if w.published.date() <= MID]
    assert first.fatal is None
    assert first.platform == platform  # detected from the headers
    assert (first.rows_read, first.rows_rejected) == (len(published_by_mid), 0)
    assert (first.posts_created, first.posts_updated) == (len(published_by_mid), 0)

    second = import_export(
        session, workspace, ef.export(tmp_path, platform, works, END), actor=ACTOR, as_of=END
    )

    assert second.posts_updated == len(published_by_mid)
    assert second.posts_created == len(works) - len(published_by_mid)
    assert _posts(session, workspace, platform) == len(works)
    sample = published_by_mid[0]
    post = session.scalars(
        select(Post).where(
            Post.workspace_id == workspace.id, Post.platform_post_id == sample.work_id
        )
    ).one()
    expected = figures_as_of(sample, END)
    assert post.comments == expected["comments"] and post.follower_gain == expected["follower_gain"]
    history = session.scalars(
        select(PostDay.day).where(PostDay.post_id == post.id).order_by(PostDay.day)
    ).all()
    assert history == [MID, END]


def test_reimporting_the_same_day_replaces_that_days_figures(
    session: Session, workspace: Workspace, tmp_path: Path
) -> None:
    works = ef.works("douyin")
    path = ef.export(tmp_path, "douyin", works, END)
    import_export(session, workspace, path, actor=ACTOR, as_of=END)
    again = import_export(session, workspace, path, actor=ACTOR, as_of=END)
    assert again.posts_created == 0 and again.posts_updated == len(works)
    days = session.scalar(select(func.count()).where(PostDay.workspace_id == workspace.id))
    assert days == len(works)


@pytest.mark.parametrize(
    ("platform", "header", "row"),
    [
        ("kuaishou", ef.KUAISHOU,
         ["5012345678", "冬季穿搭", "2026-11-03 20:00", "1.2万", "356", "40", "12", "8"]),
        ("weibo", ef.WEIBO,
         ["4901234567890", "今晚8点直播预告", "2026年11月03日 12:00", "10w+", "88", "56", "1,204"]),
        ("channels", ef.CHANNELS,
         ["冬季大衣上新", "2026/11/03 19:30", "3,456", "12", "210", "18", "9", "7"]),
    ],
)  # fmt: skip
def test_other_platforms_are_detected_from_their_headers(
    session: Session,
    workspace: Workspace,
    tmp_path: Path,
    platform: str,
    header: tuple[str, ...],
    row: list[str],
) -> None:
    path = ef.write_csv(tmp_path / f"{platform}.csv", [header, row])
    summary = import_export(session, workspace, path, actor=ACTOR)
    assert (summary.platform, summary.posts_created, summary.rows_rejected) == (platform, 1, 0)
    post = session.scalars(select(Post).where(Post.workspace_id == workspace.id)).one()
    assert post.plays in (12000, 100000, 3456)


def test_rows_match_by_title_and_publish_time_without_an_id(
    session: Session, workspace: Workspace, tmp_path: Path
) -> None:
    header = ef.CHANNELS
    old = ef.write_csv(
        tmp_path / "a.csv", [header, ["上新", "2026-11-03 19:30", "100", "", "5", "1", "0", "0"]]
    )
    new = ef.write_csv(
        tmp_path / "b.csv", [header, ["上新", "2026-11-03 19:30", "900", "", "50", "3", "2", "1"]]
    )
    import_export(session, workspace, old, actor=ACTOR, as_of=MID)
    summary = import_export(session, workspace, new, actor=ACTOR, as_of=END)
    assert (summary.posts_created, summary.posts_updated) == (0, 1)
    assert session.scalars(select(Post.plays).where(Post.workspace_id == workspace.id)).one() == 900


def test_bad_rows_are_listed_by_row_number_and_good_rows_import(
    session: Session, workspace: Workspace, tmp_path: Path
) -> None:
    header = ef.KUAISHOU
    path = ef.write_csv(
        tmp_path / "ks.csv",
        [
            header,
            ["1", "好作品", "2026-11-03 20:00", "1.2万", "356", "40", "12", "8"],
            ["2", "坏数字", "2026-11-03 20:00", "很多", "1", "1", "1", "1"],
            ["3", "坏时间", "昨天", "100", "1", "1", "1", "1"],
            ["", "", "", "100", "1", "1", "1", "1"],
            ["1", "重复", "2026-11-03 20:00", "1", "1", "1", "1", "1"],
        ],
    )
    summary = import_export(session, workspace, path, actor=ACTOR)
    assert (summary.rows_read, summary.rows_rejected, summary.posts_created) == (5, 4, 1)
    rejects = session.scalars(
        select(ContentUploadReject).order_by(ContentUploadReject.row_number)
    ).all()
    assert [(r.row_number, r.column_name) for r in rejects] == [
        (3, "播放量"),
        (4, "发布时间"),
        (5, "作品描述"),
        (6, None),
    ]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([["订单号", "买家", "金额"], ["1", "a", "9.9"]], "No header row"),
        ([["标题", "发布时间", "点赞"], ["x", "2026-11-03", "1"]], "cannot be told"),
        ([["作品名称", "作品ID", "发布时间", "5s完播率"], ["x", "1", "2026-11-03", "1%"]],
         "no figures"),
    ],
)  # fmt: skip
def test_bad_files_are_rejected_whole(
    session: Session, workspace: Workspace, tmp_path: Path, rows: list[list[str]], message: str
) -> None:
    summary = import_export(
        session, workspace, ef.write_csv(tmp_path / "bad.csv", rows), actor=ACTOR
    )
    assert summary.fatal is not None and message in summary.fatal
    assert _posts(session, workspace, "douyin") == 0
    upload = session.scalars(select(ContentUpload)).one()
    assert upload.status == "failed"


def test_empty_and_unreadable_files_are_rejected(
    session: Session, workspace: Workspace, tmp_path: Path
) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    latin = tmp_path / "latin.csv"
    latin.write_bytes("Titel,Datum\nM\u00fcller Gr\u00fc\u00dfe,1\n".encode("latin-1"))
    for path in (empty, latin):
        assert import_export(session, workspace, path, actor=ACTOR).fatal


def test_a_chosen_platform_overrides_detection(
    session: Session, workspace: Workspace, tmp_path: Path
) -> None:
    rows = [["标题", "发布时间", "点赞"], ["x", "2026-11-03 10:00", "1"]]
    path = ef.write_csv(tmp_path / "plain.csv", rows)
    summary = import_export(session, workspace, path, platform="weibo", actor=ACTOR)
    assert (summary.platform, summary.posts_created) == ("weibo", 1)


def test_history_day_defaults_to_today_in_the_workspace_zone(
    session: Session, workspace: Workspace, tmp_path: Path
) -> None:
    from siyu.kit.clock import today

    path = ef.export(tmp_path, "bilibili", ef.works("bilibili", days=7), date(2026, 11, 8))
    import_export(session, workspace, path, actor=ACTOR)
    days = set(session.scalars(select(PostDay.day).where(PostDay.workspace_id == workspace.id)))
    assert days == {today(workspace.timezone)}
    assert today(workspace.timezone) - timedelta(days=1) not in days


def test_fields_named_twice_short_rows_and_chinese_dates_read_as_written(
    session: Session, workspace: Workspace, tmp_path: Path
) -> None:
    """Two columns for one field (the first non-empty wins), rows shorter than the header,
    dates with 年月日, and a bad cell reported under the column it was read from."""
    header = ["作品ID", "作品描述", "发布时间", "播放量", "点赞数", "获赞数", "评论数", "完播率"]
    path = ef.write_csv(
        tmp_path / "ks.csv",
        [
            header,
            ["1", "两列点赞", "2026年11月03日 20:15", "1.2万", "", "356", "40", "35.2%"],
            ["2", "短行", "2026/11/04 08:00", "100"],
            ["3", "坏点赞", "2026-11-05 09:00", "100", "", "很多", "1", "1%"],
            ["4", "坏完播", "2026-11-05 10:00", "100", "1", "", "1", "135%"],
        ],
    )
    summary = import_export(session, workspace, path, platform="kuaishou", actor=ACTOR)
    assert (summary.rows_read, summary.rows_rejected, summary.posts_created) == (4, 2, 2)
    rejects = session.scalars(
        select(ContentUploadReject).order_by(ContentUploadReject.row_number)
    ).all()
    assert [(r.row_number, r.column_name, r.value) for r in rejects] == [
        (4, "获赞数", "很多"),
        (5, "完播率", "135%"),
    ]
    posts = {p.title: p for p in session.scalars(select(Post))}
    first, short = posts["两列点赞"], posts["短行"]
    assert (first.plays, first.likes, first.comments, first.completion_permille) == (
        12000,
        356,
        40,
        352,
    )
    assert first.published_at is not None
    assert first.published_at.strftime("%Y-%m-%d %H:%M") == "2026-11-03 12:15"  # UTC
    assert (short.plays, short.likes, short.completion_permille) == (100, 0, None)
    days = session.scalars(select(PostDay.plays).order_by(PostDay.plays)).all()
    assert list(days) == [100, 12000]
