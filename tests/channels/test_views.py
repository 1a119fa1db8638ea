"""The public channels console: every page renders in Chinese and English, forms redirect,
refused forms re-render with their message, an upload shows its rejects and the report."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.channels.models import Material, PlannedPost, Post
from siyu.workspace.models import Role, Workspace
from tests import factories

from . import export_files as ef
from .test_api import seed_posts

PAGES = (
    "/content",
    "/content?platform=kuaishou&days=7",
    "/content/posts",
    "/content/materials",
    "/content/calendar",
    "/content/calendar?view=month",
    "/content/accounts",
    "/content/imports",
    "/content/report",
)


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_every_page_renders(
    client: TestClient, session: Session, workspace: Workspace, tmp_path: Path, language: str
) -> None:
    seed_posts(session, workspace, tmp_path)
    factories.sign_in(client, session, workspace)
    client.cookies.set("siyu_lang", language)
    for page in PAGES:
        response = client.get(page)
        assert response.status_code == 200, (page, response.text[:300])
    figures = client.get("/content").text
    assert ("公域" in figures) == (language == "zh_CN")
    assert "两天前" in figures


def test_upload_shows_rejects_and_the_report_downloads(
    client: TestClient, session: Session, workspace: Workspace, tmp_path: Path
) -> None:
    csrf = factories.sign_in(client, session, workspace)
    rows = [ef.KUAISHOU, ["1", "好", "2026-11-03 20:00", "1.2万", "3", "4", "1", "0"],
            ["2", "坏", "2026-11-03 20:00", "很多", "1", "1", "1", "1"]]  # fmt: skip
    body = ef.write_csv(tmp_path / "快手作品.csv", rows).read_bytes()
    response = client.post(
        "/content/imports",
        data={"csrf_token": csrf, "platform": "auto"},
        files={"files": ("快手作品.csv", body, "text/csv")},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    page = client.get(response.headers["location"])
    assert "快手作品.csv" in page.text and "快手" in page.text and "很多" in page.text
    report = client.get(response.headers["location"] + "/rejects.csv")
    lines = list(csv.reader(io.StringIO(report.text.lstrip("\ufeff"))))
    assert lines[0] == ["行号", "列", "值", "原因"] or lines[0][0] in ("Row", "行")
    assert lines[1][:3] == ["3", "播放量", "很多"]


def test_a_bad_file_shows_why_it_was_rejected(
    client: TestClient, session: Session, workspace: Workspace, tmp_path: Path
) -> None:
    csrf = factories.sign_in(client, session, workspace)
    response = client.post(
        "/content/imports",
        data={"csrf_token": csrf},
        files={"files": ("orders.csv", "订单号,金额\n1,9.9\n".encode(), "text/csv")},
    )
    assert response.status_code == 200
    assert "整个文件" in response.text or "whole file" in response.text


def test_materials_posts_links_and_the_calendar(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    csrf = factories.sign_in(client, session, workspace)
    created = client.post(
        "/content/materials",
        data={"csrf_token": csrf, "title": "秋冬大衣", "tags": "大衣，穿搭", "spend": "300"},
        follow_redirects=False,
    )
    assert created.status_code == 303
    material = session.scalars(select(Material)).one()
    assert (material.tags, material.spend_fen) == (["大衣", "穿搭"], 30000)
    added = client.post(
        f"/content/materials/{material.id}/posts",
        data={"csrf_token": csrf, "platform": "douyin", "title": "大衣｜上新",
              "published_at": "2026-11-03 20:00", "url": "https://www.douyin.com/video/1"},
        follow_redirects=False,
    )  # fmt: skip
    assert added.status_code == 303, added.text
    post = session.scalars(select(Post)).one()
    linked = client.post(
        f"/content/posts/{post.id}/link", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert linked.status_code == 303
    session.refresh(post)
    assert post.link_code and f"/p/{post.link_code}" in client.get("/content/posts").text

    planned = client.post(
        "/content/calendar",
        data={"csrf_token": csrf, "platform": "weibo", "kind": "live_announcement",
              "day": "2026-11-05", "title": "周五晚8点直播预告"},
        follow_redirects=False,
    )  # fmt: skip
    assert planned.status_code == 303
    cadence = client.post(
        "/content/calendar/cadence",
        data={"csrf_token": csrf, "platform": "douyin", "per_week": "4.5"},
        follow_redirects=False,
    )
    assert cadence.status_code == 303
    week = client.get("/content/calendar?view=week&day=2026-11-05").text
    assert "周五晚8点直播预告" in week and "大衣｜上新" in week and "4.5" in week
    plan = session.scalars(select(PlannedPost)).one()
    removed = client.post(
        f"/content/calendar/{plan.id}/delete", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert removed.status_code == 303


def test_refused_forms_rerender_with_their_message(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    csrf = factories.sign_in(client, session, workspace)
    cases = (
        ("/content/materials", {"title": " "}),
        ("/content/materials", {"title": "x", "spend": "abc"}),
        ("/content/accounts", {"platform": "douyin", "handle": "x", "url": "javascript:x"}),
        ("/content/calendar/cadence", {"platform": "douyin", "per_week": "lots"}),
        ("/content/calendar", {"platform": "tiktok", "day": "2026-11-05", "title": "x"}),
    )
    for path, data in cases:
        response = client.post(path, data={"csrf_token": csrf, **data})
        assert response.status_code == 422, (path, response.text[:200])
        assert 'role="alert"' in response.text


def test_an_analyst_sees_but_cannot_change(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    csrf = factories.sign_in(client, session, workspace, Role.analyst)
    assert '/content/materials" enctype' not in client.get("/content/materials").text
    response = client.post("/content/materials", data={"csrf_token": csrf, "title": "x"})
    assert response.status_code == 403
