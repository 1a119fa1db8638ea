"""Posts belong to the account they went out from: importing into an account (named, or the
platform's only one), the API's account filter, the per-account figures page, and the
migration that links the posts already stored."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from siyu.channels import service
from siyu.channels.models import ContentUpload, Post
from siyu.kit.clock import today
from siyu.migrations import downgrade, upgrade
from siyu.workspace.models import Role, Workspace
from tests import factories
from tests.factories import ACTOR
from tests.test_migrations import scratch_engine  # noqa: F401 - the fixture

from . import export_files as ef
from .test_api import _local

ROLES = tuple(Role)


def _kuaishou(tmp_path: Path, workspace: Workspace, name: str = "ks.csv") -> Path:
    rows = [
        ef.KUAISHOU,
        ["k1", "两天前", _local(2, workspace), "1.2万", "300", "30", "10", "20"],
        ["k2", "五天前", _local(5, workspace), "8,000", "100", "10", "5", "5"],
    ]
    return ef.write_csv(tmp_path / name, rows)


def _weibo(tmp_path: Path, workspace: Workspace) -> Path:
    rows = [ef.WEIBO, ["w1", "直播预告", _local(3, workspace), "5000", "20", "8", "60"]]
    return ef.write_csv(tmp_path / "wb.csv", rows)


def _account(session: Session, workspace: Workspace, platform: str, handle: str) -> int:
    account = service.add_account(session, workspace.id, platform, handle, None)
    session.commit()
    return account.id


def _accounts_of_posts(session: Session, workspace: Workspace) -> dict[str, int | None]:
    rows = session.execute(
        select(Post.title, Post.account_id).where(Post.workspace_id == workspace.id)
    )
    return {title: account_id for title, account_id in rows}


def _import(session: Session, workspace: Workspace, path: Path, **kwargs: object) -> object:
    summary = service.import_export(session, workspace, path, actor=ACTOR, **kwargs)  # type: ignore[arg-type]
    session.commit()
    return summary


# --- importing ------------------------------------------------------------------------------


def test_named_account_by_handle_or_id_links_the_posts(
    session: Session, workspace: Workspace, tmp_path: Path
) -> None:
    first = _account(session, workspace, "kuaishou", "小鹿快手")
    second = _account(session, workspace, "kuaishou", "小鹿快手二号")
    summary = _import(session, workspace, _kuaishou(tmp_path, workspace), account="小鹿快手")
    assert summary.fatal is None  # type: ignore[attr-defined]
    assert set(_accounts_of_posts(session, workspace).values()) == {first}
    # A later export into the other account (named by its id) moves the works it updates.
    _import(session, workspace, _kuaishou(tmp_path, workspace, "again.csv"), account=str(second))
    assert set(_accounts_of_posts(session, workspace).values()) == {second}


def test_the_platforms_only_account_is_used_when_none_is_named(
    session: Session, workspace: Workspace, tmp_path: Path
) -> None:
    only = _account(session, workspace, "kuaishou", "小鹿快手")
    _account(session, workspace, "weibo", "官博一")
    _account(session, workspace, "weibo", "官博二")
    _import(session, workspace, _kuaishou(tmp_path, workspace))
    _import(session, workspace, _weibo(tmp_path, workspace))
    linked = _accounts_of_posts(session, workspace)
    assert linked == {"两天前": only, "五天前": only, "直播预告": None}  # two on Weibo: unknown


def test_an_unknown_or_mismatched_account_rejects_the_file_whole(
    session: Session, workspace: Workspace, tmp_path: Path
) -> None:
    weibo = _account(session, workspace, "weibo", "官博")
    other = factories.make_workspace(session)
    foreign = _account(session, other, "kuaishou", "别人的快手")
    path = _kuaishou(tmp_path, workspace)
    for account, message in (
        ("官博", "another platform"),
        (weibo, "another platform"),
        ("没有这个号", "No account"),
        (str(foreign), "No account"),
    ):
        summary = _import(session, workspace, path, account=account)
        assert summary.fatal and message in summary.fatal, (account, summary)  # type: ignore[attr-defined]
    assert session.scalar(select(func.count()).select_from(Post)) == 0
    failed = session.scalars(
        select(ContentUpload.status).where(ContentUpload.workspace_id == workspace.id)
    )
    assert set(failed) == {"failed"}


# --- the API ----------------------------------------------------------------------------------


def _two_accounts(session: Session, workspace: Workspace, tmp_path: Path) -> tuple[int, int]:
    kuaishou = _account(session, workspace, "kuaishou", "小鹿快手")
    weibo = _account(session, workspace, "weibo", "官博")
    _import(session, workspace, _kuaishou(tmp_path, workspace), account=kuaishou)
    _import(session, workspace, _weibo(tmp_path, workspace), account=weibo)
    return kuaishou, weibo


def test_posts_and_summary_filter_by_account(
    api: TestClient, session: Session, workspace: Workspace, tmp_path: Path
) -> None:
    kuaishou, weibo = _two_accounts(session, workspace, tmp_path)
    posts = api.get("/api/v1/content/posts", params={"account_id": kuaishou})
    assert posts.status_code == 200, posts.text
    items = posts.json()["items"]
    assert {item["title"] for item in items} == {"两天前", "五天前"}
    assert {item["account_id"] for item in items} == {kuaishou}
    summary = api.get("/api/v1/content/summary", params={"account_id": weibo, "days": 7})
    assert summary.status_code == 200, summary.text
    assert (summary.json()["works"], summary.json()["plays"]) == (1, 5000)
    both = api.get("/api/v1/content/summary", params={"days": 7}).json()
    assert both["works"] == 3


def test_another_workspaces_account_is_not_found(
    api: TestClient, session: Session, tmp_path: Path
) -> None:
    other = factories.make_workspace(session)
    foreign = _account(session, other, "kuaishou", "别人的快手")
    _import(session, other, _kuaishou(tmp_path, other), account=foreign)
    for path in ("/api/v1/content/posts", "/api/v1/content/summary"):
        for account_id in (foreign, 10**15):
            response = api.get(path, params={"account_id": account_id})
            assert response.status_code == 404, (path, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")
            assert "别人" not in response.text
        assert api.get(path, params={"account_id": "x"}).status_code == 422


# --- the console --------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES, ids=lambda role: role.value)
@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_the_account_page_shows_its_figures(
    client: TestClient,
    session: Session,
    workspace: Workspace,
    tmp_path: Path,
    role: Role,
    language: str,
) -> None:
    kuaishou, _weibo_id = _two_accounts(session, workspace, tmp_path)
    yesterday = today(workspace.timezone) - timedelta(days=1)
    service.record_followers(session, workspace.id, kuaishou, yesterday - timedelta(days=99), 900)
    service.record_followers(session, workspace.id, kuaishou, yesterday - timedelta(days=39), 1000)
    service.record_followers(session, workspace.id, kuaishou, yesterday, 1250)
    session.commit()
    factories.sign_in(client, session, workspace, role)
    client.cookies.set("siyu_lang", language)
    html = {"Accept": "text/html"}
    listing = client.get("/content/accounts", headers=html)
    assert f'href="/content/accounts/{kuaishou}"' in listing.text
    page = client.get(f"/content/accounts/{kuaishou}?days=30", headers=html)
    assert page.status_code == 200, page.text[:300]
    assert "两天前" in page.text and "直播预告" not in page.text
    assert "+250" in page.text  # 1,000 before the 30 days, 1,250 now
    assert ("账号数据" in listing.text) == (language == "zh_CN")
    assert 'id="chart-followers"' in page.text and "content-data" in page.text
    quarter = client.get(f"/content/accounts/{kuaishou}?days=90", headers=html)
    assert "+350" in quarter.text
    other = factories.make_workspace(session)
    foreign = _account(session, other, "kuaishou", "别人的快手")
    missing = client.get(f"/content/accounts/{foreign}", headers=html)
    assert missing.status_code == 404 and "别人" not in missing.text


def test_the_upload_form_imports_into_the_chosen_account(
    client: TestClient, session: Session, workspace: Workspace, tmp_path: Path
) -> None:
    kuaishou = _account(session, workspace, "kuaishou", "小鹿快手")
    _account(session, workspace, "kuaishou", "小鹿快手二号")
    weibo = _account(session, workspace, "weibo", "官博")
    csrf = factories.sign_in(client, session, workspace)
    form = client.get("/content/imports").text
    assert 'name="account_id"' in form and "小鹿快手二号" in form
    body = _kuaishou(tmp_path, workspace).read_bytes()

    def post(account_id: object) -> object:
        return client.post(
            "/content/imports",
            data={"csrf_token": csrf, "platform": "auto", "account_id": str(account_id)},
            files={"files": ("快手作品.csv", body, "text/csv")},
            follow_redirects=False,
        )

    mismatched = post(weibo)
    assert mismatched.status_code == 303  # the upload's page says why it was rejected
    shown = client.get(mismatched.headers["location"]).text
    assert "所选账号与文件不在同一平台" in shown or "another platform" in shown
    run = session.scalars(select(ContentUpload).order_by(ContentUpload.id.desc())).first()
    assert run is not None and run.status == "failed" and "another platform" in (run.error or "")
    assert session.scalar(select(func.count()).select_from(Post)) == 0
    assert post("abc").status_code == 422
    other = factories.make_workspace(session)
    assert post(_account(session, other, "kuaishou", "别人的快手")).status_code == 404
    assert post(kuaishou).status_code == 303
    session.expire_all()
    assert set(_accounts_of_posts(session, workspace).values()) == {kuaishou}


# --- the migration ------------------------------------------------------------------------


def test_the_migration_links_posts_of_a_platforms_only_account(
    scratch_engine: Engine,  # noqa: F811
) -> None:
    with scratch_engine.connect() as connection:
        upgrade(connection=connection)
        downgrade("0021-1", connection=connection)
        connection.commit()
        insert = connection.execute
        for slug in ("a", "b"):
            insert(
                text(
                    "INSERT INTO workspaces (slug, name, timezone, settings, created_at)"
                    " VALUES (:slug, :slug, 'Asia/Shanghai', '{}', '2026-12-01 00:00:00')"
                ),
                {"slug": slug},
            )
        ids = {
            slug: id_ for slug, id_ in connection.execute(text("SELECT slug, id FROM workspaces"))
        }
        accounts = [("a", "douyin", "抖一"), ("a", "weibo", "博一"), ("a", "weibo", "博二"),
                    ("b", "douyin", "别人的抖音")]  # fmt: skip
        for slug, platform, handle in accounts:
            insert(
                text(
                    "INSERT INTO content_accounts (workspace_id, platform, handle, created_at)"
                    " VALUES (:ws, :platform, :handle, '2026-12-01 00:00:00')"
                ),
                {"ws": ids[slug], "platform": platform, "handle": handle},
            )
        posts = [("a", "douyin", "抖音作品"), ("a", "weibo", "微博"), ("a", "bilibili", "B站"),
                 ("b", "douyin", "别人的作品")]  # fmt: skip
        for slug, platform, title in posts:
            insert(
                text(
                    "INSERT INTO content_posts (workspace_id, platform, kind, title, plays, likes,"
                    " comments, shares, favorites, follower_gain, created_at) VALUES (:ws,"
                    " :platform, 'video', :title, 0, 0, 0, 0, 0, 0, '2026-12-01 00:00:00')"
                ),
                {"ws": ids[slug], "platform": platform, "title": title},
            )
        connection.commit()
        upgrade("0021", connection=connection)
        connection.commit()
        joined = connection.execute(
            text(
                "SELECT p.title, a.handle FROM content_posts p"
                " LEFT JOIN content_accounts a ON a.id = p.account_id"
            )
        )
        handles = {title: handle for title, handle in joined}
        assert handles == {
            "抖音作品": "抖一",
            "微博": None,
            "B站": None,
            "别人的作品": "别人的抖音",
        }
        downgrade("0021-1", connection=connection)
        connection.commit()
        upgrade(connection=connection)
        connection.commit()
