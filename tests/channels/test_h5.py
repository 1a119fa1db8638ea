"""A post's short link: the visitor is counted once, a known fan is attributed to the post, and
the fan's later orders show in the content → fans → GMV report."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.channels import figures, service
from siyu.channels.h5 import VISITOR_COOKIE
from siyu.channels.models import PostFan, PostVisit
from siyu.customers.fan_links import FAN_COOKIE, FanClaim, sign_fan_session
from siyu.kit.clock import utcnow
from siyu.workspace.models import Workspace


def _post_with_link(session: Session, workspace: Workspace, spend_fen: int = 0) -> tuple[int, str]:
    material = service.create_material(
        session, workspace.id, service.MaterialIn(title="秋冬大衣", spend_fen=spend_fen)
    )
    post = service.add_post(
        session,
        workspace.id,
        service.PostIn(platform="douyin", title="大衣｜上新", material_id=material.id),
    )
    service.ensure_link(session, workspace.id, post.id)
    session.commit()
    assert post.link_code
    return post.id, post.link_code


def _visits(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(PostVisit)) or 0


def test_a_visitor_is_counted_once_and_lands_on_the_fan_page(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    _post_id, code = _post_with_link(session, workspace)
    first = client.get(f"/p/{code}", follow_redirects=False)
    assert first.status_code == 302
    assert first.headers["location"] == f"/h5/content/{code}"
    assert VISITOR_COOKIE in first.cookies or client.cookies.get(VISITOR_COOKIE)
    client.get(f"/p/{code}", follow_redirects=False)
    assert _visits(session) == 1
    landing = client.get(first.headers["location"])
    assert landing.status_code == 200 and "大衣｜上新" in landing.text


def test_an_unknown_code_is_not_found(client: TestClient) -> None:
    assert client.get("/p/nope", follow_redirects=False).status_code == 404
    assert client.get("/h5/content/" + "x" * 40).status_code == 404


def test_a_known_fan_is_attributed_and_their_later_orders_count(
    api: TestClient, session: Session, workspace: Workspace
) -> None:
    post_id, code = _post_with_link(session, workspace, spend_fen=5_000)
    paid = (utcnow() + timedelta(minutes=5)).isoformat()
    orders = [
        {"platform": "douyin", "order_no": "D-1", "buyer_id": "fan-1", "status": "paid",
         "paid_at": paid, "paid_amount_fen": 12_900},
        {"platform": "douyin", "order_no": "D-0", "buyer_id": "fan-1", "status": "paid",
         "paid_at": (utcnow() - timedelta(days=30)).isoformat(), "paid_amount_fen": 99_900},
    ]  # fmt: skip
    assert api.post("/api/v1/orders:batch", json={"orders": orders}).status_code == 200
    (fan,) = api.get("/api/v1/customers").json()["items"]
    claim = FanClaim(workspace.id, fan["id"], utcnow() + timedelta(days=1))
    api.cookies.set(FAN_COOKIE, sign_fan_session(claim))

    assert api.get(f"/p/{code}", follow_redirects=False).status_code == 302

    attributed = session.scalars(select(PostFan)).one()
    assert (attributed.post_id, attributed.customer_id, attributed.via) == (
        post_id,
        fan["id"],
        "link",
    )
    report = figures.report(session, workspace.id)
    (douyin,) = report.platforms
    assert (douyin.visitors, douyin.fans, douyin.buyers, douyin.gmv_fen) == (1, 1, 1, 12_900)
    (material,) = report.materials
    assert material.spend_fen == 5_000 and material.cost_per_fan_fen == 5_000


def test_a_fan_keeps_the_first_post_that_brought_them(
    api: TestClient, session: Session, workspace: Workspace
) -> None:
    first, _ = _post_with_link(session, workspace)
    second = service.add_post(
        session, workspace.id, service.PostIn(platform="bilibili", title="另一个")
    ).id
    order = {
        "platform": "douyin",
        "order_no": "X-1",
        "buyer_id": "b",
        "status": "created",
        "paid_amount_fen": 0,
    }
    assert api.post("/api/v1/orders:batch", json={"orders": [order]}).status_code == 200
    (fan,) = api.get("/api/v1/customers").json()["items"]

    service.attribute_fans(session, workspace.id, first, [fan["id"]], via="wecom")
    service.attribute_fans(session, workspace.id, second, [fan["id"], fan["id"]], via="link")

    kept = session.scalars(select(PostFan)).one()
    assert (kept.post_id, kept.via) == (first, "wecom")
