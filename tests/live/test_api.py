"""The live API's contract: lives, reservations, share links and visits, the leaderboard,
draws and the report."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from siyu.workspace.models import Workspace
from tests import factories
from tests.coupons import make_fans
from tests.live.test_fairdraw import recompute

PROBLEM = "urn:siyu:problem:"
START = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _live(api: TestClient, **overrides: Any) -> dict[str, Any]:
    body = {
        "title": "周五宠粉夜",
        "platform": "douyin",
        "starts_at": START.isoformat(),
        "ends_at": (START + timedelta(hours=3)).isoformat(),
        "streamer_id": "xiaolu",
        "room_url": "https://live.douyin.com/1",
    } | overrides
    response = api.post("/api/v1/lives", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _visit(client: TestClient, code: str, cookie: str | None = None) -> str:
    client.cookies.clear()
    if cookie:
        client.cookies.set("siyu_lv", cookie)
    response = client.get(f"/s/{code}", follow_redirects=False)
    assert response.status_code == 302, response.text
    return str(response.cookies.get("siyu_lv") or cookie)


def test_create_list_get_patch(api: TestClient) -> None:
    live = _live(api)
    assert live["id"] and live["platform"] == "douyin" and live["phase"] == "ended"
    assert api.get(f"/api/v1/lives/{live['id']}").json()["title"] == "周五宠粉夜"
    assert [x["id"] for x in api.get("/api/v1/lives").json()["items"]] == [live["id"]]
    patched = api.patch(f"/api/v1/lives/{live['id']}", json={"title": "新标题", "room_url": None})
    assert patched.status_code == 200 and patched.json()["title"] == "新标题"
    assert patched.json()["room_url"] is None


def test_bad_lives_are_refused(api: TestClient) -> None:
    backwards = {"ends_at": (START - timedelta(hours=1)).isoformat()}
    response = api.post(
        "/api/v1/lives",
        json={"title": "x", "platform": "douyin", "starts_at": START.isoformat(), **backwards},
    )
    assert response.status_code == 422 and response.json()["type"] == PROBLEM + "live-invalid"
    naive = {"title": "x", "platform": "douyin", "starts_at": "2026-12-01T12:00:00"}
    assert api.post("/api/v1/lives", json=naive | backwards).status_code == 422
    unknown = {"title": "x", "platform": "weibo", "starts_at": START.isoformat()}
    assert api.post("/api/v1/lives", json=unknown | backwards).status_code == 422
    assert api.get("/api/v1/lives/999999").status_code == 404


def test_reserving_twice_answers_the_first_reservation(
    api: TestClient, session: Session, workspace: Workspace
) -> None:
    fan = make_fans(session, workspace.id, 1)[0]
    session.commit()
    live = _live(api)
    first = api.post(f"/api/v1/lives/{live['id']}/reservations", json={"customer_id": fan})
    again = api.post(f"/api/v1/lives/{live['id']}/reservations", json={"customer_id": fan})
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    stranger = api.post(f"/api/v1/lives/{live['id']}/reservations", json={"customer_id": 999999})
    assert stranger.status_code == 422


def test_share_links_visits_invites_and_the_leaderboard(
    api: TestClient, session: Session, workspace: Workspace
) -> None:
    a, b, x, y, z = make_fans(session, workspace.id, 5)
    session.commit()
    live = _live(api)
    path = f"/api/v1/lives/{live['id']}"
    link_a = api.post(f"{path}/share-links", json={"customer_id": a})
    assert link_a.status_code == 201
    assert api.post(f"{path}/share-links", json={"customer_id": a}).json() == link_a.json()
    code_a = link_a.json()["code"]
    assert link_a.json()["url"].endswith(f"/s/{code_a}")
    code_b = api.post(f"{path}/share-links", json={"customer_id": b}).json()["code"]

    cookie = _visit(api, code_a)
    _visit(api, code_a, cookie)  # the same visitor again: counted once
    _visit(api, code_b)
    api.cookies.clear()
    # b's invite comes first, then a reaches one too: b ranks first on the tie
    for fan, code in ((x, code_b), (y, code_a), (z, code_a)):
        body = {"customer_id": fan, "via": code}
        assert api.post(f"{path}/reservations", json=body).status_code == 201
    # a fan reserving through their own link is no invite
    assert (
        api.post(f"{path}/reservations", json={"customer_id": a, "via": code_a}).status_code == 201
    )

    board = api.get(f"{path}/leaderboard", params={"limit": 5}).json()["items"]
    assert board == [
        {"customer_id": a, "invites": 2, "rank": 1},
        {"customer_id": b, "invites": 1, "rank": 2},
    ]
    assert (
        api.get(f"{path}/leaderboard", params={"limit": 1}).json()["items"][0]["customer_id"] == a
    )
    report = api.get(f"{path}/report").json()
    assert report == {
        "reservations": 4,
        "share_visits": 2,
        "effective_invites": 3,
        "orders": 0,
        "gmv_fen": 0,
        "share_attributed_orders": 0,
        "share_attributed_gmv_fen": 0,
    }
    assert api.get("/s/nope", follow_redirects=False).status_code == 404
    wrong = api.post(f"{path}/reservations", json={"customer_id": x, "via": "nope"})
    assert wrong.status_code in (200, 422)


def test_ties_go_to_who_reached_the_count_first(
    api: TestClient, session: Session, workspace: Workspace
) -> None:
    a, b, x, y = make_fans(session, workspace.id, 4)
    session.commit()
    path = f"/api/v1/lives/{_live(api)['id']}"
    code_a = api.post(f"{path}/share-links", json={"customer_id": a}).json()["code"]
    code_b = api.post(f"{path}/share-links", json={"customer_id": b}).json()["code"]
    api.post(f"{path}/reservations", json={"customer_id": x, "via": code_b})
    api.post(f"{path}/reservations", json={"customer_id": y, "via": code_a})
    board = api.get(f"{path}/leaderboard").json()["items"]
    assert [(s["customer_id"], s["rank"]) for s in board] == [(b, 1), (a, 2)]


def test_draws_are_committed_then_recomputable_and_idempotent(
    api: TestClient, session: Session, workspace: Workspace
) -> None:
    fans = make_fans(session, workspace.id, 12)
    session.commit()
    path = f"/api/v1/lives/{_live(api)['id']}"
    for fan in fans:
        api.post(f"{path}/reservations", json={"customer_id": fan})
    created = api.post(f"{path}/draws", json={"name": "锦鲤", "pool": "reservers", "winners": 3})
    assert created.status_code == 201
    draw = created.json()
    assert len(draw["commitment"]) == 64
    result = api.post(f"/api/v1/draws/{draw['id']}/run")
    assert result.status_code == 200
    body = result.json()
    assert hashlib.sha256(bytes.fromhex(body["seed"])).hexdigest() == draw["commitment"]
    assert body["commitment"] == draw["commitment"] and body["pool_size"] == 12
    assert body["winners"] == recompute(body["seed"], fans, 3)
    assert api.post(f"/api/v1/draws/{draw['id']}/run").json() == body
    empty = api.post(f"{path}/draws", json={"name": "空", "pool": "buyers", "winners": 2}).json()
    assert api.post(f"/api/v1/draws/{empty['id']}/run").json()["winners"] == []
    segment = api.post(f"{path}/draws", json={"name": "x", "pool": "segment", "winners": 1})
    assert segment.status_code == 422
    assert api.post("/api/v1/draws/999999/run").status_code == 404


def test_another_workspaces_live_is_not_found(
    api: TestClient, client: TestClient, session: Session
) -> None:
    other = factories.make_workspace(session)
    _token, secret = factories.make_token(session, other)
    session.commit()
    live = _live(api)
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get(f"/api/v1/lives/{live['id']}", headers=headers).status_code == 404
    board = client.get(f"/api/v1/lives/{live['id']}/leaderboard", headers=headers)
    assert board.status_code == 404


def test_bad_input_is_a_clear_4xx(api: TestClient) -> None:
    huge = 2**63
    live = _live(api)
    path = f"/api/v1/lives/{live['id']}"
    assert api.get(f"/api/v1/lives/{huge}").status_code == 422  # past BIGINT
    assert api.post(f"{path}/reservations", json={"customer_id": huge}).status_code == 422
    assert api.post(f"{path}/share-links", json={"customer_id": -1}).status_code == 422
    assert api.get(f"{path}/leaderboard", params={"limit": 0}).status_code == 422
    assert api.get(f"{path}/leaderboard", params={"limit": 10**6}).status_code == 422
    assert api.patch(path, json={"title": None}).status_code == 422
    assert api.patch(path, json={"title": "a\u0000b"}).status_code == 422
    many = {"name": "x", "pool": "reservers", "winners": 1001}
    assert api.post(f"{path}/draws", json=many).status_code == 422
    foreign = {"coupon_campaign_ids": [huge]}
    assert api.patch(path, json=foreign).status_code in (404, 422)
