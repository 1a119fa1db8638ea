"""The content API's contract: posts as a cursor page, the summary over the days before today
in the workspace's time zone; bad input is a 422."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from siyu.channels.service import import_export
from siyu.kit.clock import utcnow
from siyu.workspace.models import Workspace
from tests.factories import ACTOR

from . import export_files as ef

POST_FIELDS = {
    "id", "platform", "account_id", "title", "published_at", "plays", "likes", "comments", "shares",
    "favorites", "follower_gain",
}  # fmt: skip


def _local(days_ago: float, workspace: Workspace) -> str:
    moment = utcnow() - timedelta(days=days_ago)
    return moment.astimezone(ZoneInfo(workspace.timezone)).strftime("%Y-%m-%d %H:%M")


def seed_posts(session: Session, workspace: Workspace, tmp_path: Path) -> None:
    """Three Kuaishou works (2, 5 and 40 days ago) and one Weibo post (3 days ago)."""
    kuaishou = [
        ef.KUAISHOU,
        ["k1", "两天前", _local(2, workspace), "1.2万", "300", "30", "10", "20"],
        ["k2", "五天前", _local(5, workspace), "8,000", "100", "10", "5", "5"],
        ["k3", "很久以前", _local(40, workspace), "99万", "9999", "999", "99", "999"],
    ]
    weibo = [ef.WEIBO, ["w1", "直播预告", _local(3, workspace), "5000", "20", "8", "60"]]
    for name, rows in (("ks.csv", kuaishou), ("wb.csv", weibo)):
        summary = import_export(
            session, workspace, ef.write_csv(tmp_path / name, rows), actor=ACTOR
        )
        assert summary.fatal is None and summary.rows_rejected == 0
    session.commit()


def test_posts_are_a_cursor_page_with_the_contract_fields(
    api: TestClient, session: Session, workspace: Workspace, tmp_path: Path
) -> None:
    seed_posts(session, workspace, tmp_path)
    first = api.get("/api/v1/content/posts", params={"platform": "kuaishou", "limit": 2})
    assert first.status_code == 200, first.text
    body = first.json()
    assert set(body) == {"items", "next_cursor"}
    assert all(set(item) == POST_FIELDS for item in body["items"])
    assert len(body["items"]) == 2 and body["next_cursor"]
    rest = api.get(
        "/api/v1/content/posts",
        params={"platform": "kuaishou", "limit": 2, "cursor": body["next_cursor"]},
    ).json()
    titles = {item["title"] for item in body["items"] + rest["items"]}
    assert titles == {"两天前", "五天前", "很久以前"} and rest["next_cursor"] is None
    every = api.get("/api/v1/content/posts").json()["items"]
    assert {item["platform"] for item in every} == {"kuaishou", "weibo"}


def test_summary_counts_the_days_before_today(
    api: TestClient, session: Session, workspace: Workspace, tmp_path: Path
) -> None:
    seed_posts(session, workspace, tmp_path)
    response = api.get("/api/v1/content/summary", params={"platform": "kuaishou", "days": 7})
    assert response.status_code == 200, response.text
    assert response.json() == {
        "works": 2,
        "works_per_week": 2.0,
        "plays": 20000,
        "likes": 400,
        "avg_likes": 200.0,
        "avg_comments": 20.0,
        "follower_gain": 25,
    }
    everything = api.get("/api/v1/content/summary", params={"days": 90}).json()
    assert everything["works"] == 4 and everything["plays"] == 20000 + 990000 + 5000


def test_an_empty_workspace_has_zero_figures(api: TestClient) -> None:
    body = api.get("/api/v1/content/summary").json()
    assert body == {
        "works": 0,
        "works_per_week": 0.0,
        "plays": 0,
        "likes": 0,
        "avg_likes": 0.0,
        "avg_comments": 0.0,
        "follower_gain": 0,
    }


def test_bad_input_is_refused(api: TestClient) -> None:
    for path, params in (
        ("/api/v1/content/posts", {"platform": "taobao"}),
        ("/api/v1/content/posts", {"limit": 0}),
        ("/api/v1/content/summary", {"days": 0}),
        ("/api/v1/content/summary", {"days": 367}),
        ("/api/v1/content/summary", {"platform": "tiktok"}),
    ):
        response = api.get(path, params=params)
        assert response.status_code == 422, (path, params)
        assert response.headers["content-type"].startswith("application/problem+json")
    assert api.get("/api/v1/content/posts", params={"cursor": "!!"}).status_code == 400


def test_the_api_needs_a_token(client: TestClient) -> None:
    assert client.get("/api/v1/content/posts").status_code == 401
