"""``siyu import content`` as a team runs it: a real process on its own SQLite file."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from tests.orders.test_cli import Siyu, siyu  # noqa: F401 - the fixture

from . import export_files as ef

KEYS = {"file", "platform", "rows_read", "rows_rejected", "posts_created", "posts_updated"}


def test_json_per_file_and_a_later_export_updates(siyu: Siyu, tmp_path: Path) -> None:  # noqa: F811
    works = ef.works("bilibili")
    first = ef.export(tmp_path, "bilibili", works, date(2026, 11, 15))
    later = ef.export(tmp_path, "bilibili", works, date(2026, 11, 29))
    bad = ef.write_csv(
        tmp_path / "bad.csv", [ef.KUAISHOU, ["1", "x", "2026-11-03", "很多", "1", "1", "1", "1"]]
    )

    done = siyu("import", "content", str(first), str(bad), "--workspace", "tangtang", "--json")

    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.strip().splitlines()]
    assert all(set(line) == KEYS for line in lines)
    assert lines[0]["platform"] == "bilibili" and lines[0]["posts_created"] > 0
    assert (lines[1]["platform"], lines[1]["rows_rejected"]) == ("kuaishou", 1)
    assert "row 2 [播放量]" in done.stderr

    again = siyu("import", "content", str(later), "--workspace", "tangtang", "--json")
    summary = json.loads(again.stdout)
    assert summary["posts_updated"] == lines[0]["posts_created"]
    assert summary["posts_created"] == len(works) - lines[0]["posts_created"]


def test_a_bad_file_or_option_exits_non_zero(siyu: Siyu, tmp_path: Path) -> None:  # noqa: F811
    orders = ef.write_csv(tmp_path / "orders.csv", [["订单号", "金额"], ["1", "9.9"]])
    rejected = siyu("import", "content", str(orders), "--workspace", "tangtang")
    assert rejected.returncode == 1 and "No header row" in rejected.stderr
    unknown = siyu("import", "content", str(orders), "--workspace", "tangtang", "--platform", "x")
    assert unknown.returncode == 2
    missing = siyu("import", "content", "nope.csv", "--workspace", "tangtang")
    assert missing.returncode == 2


def test_import_orders_still_works(siyu: Siyu, tmp_path: Path) -> None:  # noqa: F811
    assert siyu("import", "orders", "--help").returncode == 0
    assert "content" in siyu("import", "--help").stdout


def _add_account(tmp_path: Path, platform: str, handle: str) -> int:
    from sqlalchemy.orm import Session

    from siyu.channels.service import add_account
    from siyu.db import make_engine
    from siyu.workspace.service import get_workspace_by_slug

    engine = make_engine(f"sqlite:///{tmp_path / 'cli.db'}")
    with Session(engine) as session:
        workspace = get_workspace_by_slug(session, "tangtang")
        account_id = add_account(session, workspace.id, platform, handle, None).id
        session.commit()
    engine.dispose()
    return account_id


def _accounts_of_posts(tmp_path: Path) -> set[int | None]:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from siyu.channels.models import Post
    from siyu.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'cli.db'}")
    with Session(engine) as session:
        found = set(session.scalars(select(Post.account_id)))
    engine.dispose()
    return found


def test_account_links_the_posts_and_must_match_the_platform(
    siyu: Siyu,  # noqa: F811
    tmp_path: Path,
) -> None:
    bilibili = _add_account(tmp_path, "bilibili", "小鹿Live")
    _add_account(tmp_path, "weibo", "小鹿官博")
    export = ef.export(tmp_path, "bilibili", ef.works("bilibili"), date(2026, 11, 15))
    base = ("import", "content", str(export), "--workspace", "tangtang")

    mismatched = siyu(*base, "--account", "小鹿官博")
    assert mismatched.returncode == 1
    assert "another platform" in mismatched.stderr
    unknown = siyu(*base, "--account", "没有这个号")
    assert unknown.returncode == 1 and "No account" in unknown.stderr
    assert _accounts_of_posts(tmp_path) == set()

    done = siyu(*base, "--account", "小鹿Live", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["posts_created"] > 0
    assert _accounts_of_posts(tmp_path) == {bilibili}
    by_id = siyu(*base, "--account", str(bilibili))
    assert by_id.returncode == 0, by_id.stderr
