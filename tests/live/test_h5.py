"""The live's fan pages: a visitor by a friend's link, the fan who reserves (an effective
invite for the friend), the wishlist, the share link and poster, ranks, draws, and the order
a visitor places in the live (attributed to the link in the report)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from siyu.customers.fan_links import FAN_COOKIE, csrf_for_fan_cookie, sign_fan_link
from siyu.kit.clock import utcnow
from siyu.live import service
from siyu.live.models import LiveVisit
from siyu.live.report import live_report
from siyu.workspace.models import Workspace
from tests import factories
from tests.coupons import make_fans
from tests.factories import ACTOR
from tests.live import make_live


def _sign_in(client: TestClient, workspace_id: int, customer_id: int) -> str:
    client.cookies.delete(FAN_COOKIE)
    opened = client.get(
        "/h5/open", params={"t": sign_fan_link(workspace_id, customer_id)}, follow_redirects=False
    )
    assert opened.status_code == 303
    return csrf_for_fan_cookie(client.cookies[FAN_COOKIE])


def _post(client: TestClient, path: str, csrf: str, **data: Any) -> Any:
    return client.post(path, data={"csrf_token": csrf, **data}, follow_redirects=False)


def test_a_visitor_who_reserves_is_an_effective_invite(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    sharer, friend = make_fans(session, workspace.id, 2)
    live = make_live(session, workspace.id)
    share, _ = service.share_link(session, workspace.id, live.id, sharer)
    session.commit()

    opened = client.get(f"/s/{share.code}", follow_redirects=False)
    assert opened.status_code == 302 and opened.headers["location"] == f"/h5/lives/{live.id}"
    public = client.get(f"/h5/lives/{live.id}")
    assert public.status_code == 200 and "周五宠粉夜" in public.text
    client.get(f"/s/{share.code}", follow_redirects=False)  # a reload: still one visit

    csrf = _sign_in(client, workspace.id, friend)
    assert client.get(f"/h5/lives/{live.id}").status_code == 200
    assert _post(client, f"/h5/lives/{live.id}/reserve", csrf).status_code == 303
    assert _post(client, f"/h5/lives/{live.id}/reserve", csrf).status_code == 303
    wished = _post(client, f"/h5/lives/{live.id}/wishlist", csrf, products=["保温杯"])
    assert wished.status_code == 303
    page = client.get(f"/h5/lives/{live.id}")
    assert 'data-testid="reserved"' in page.text and "checked" in page.text

    session.expire_all()
    report = live_report(session, live)
    assert (report.reservations, report.share_visits, report.effective_invites) == (1, 1, 1)
    assert service.wishlist_counts(session, live) == {"羊绒围巾": 0, "保温杯": 1}
    top = service.leaderboard(session, live, 5)
    assert [(s.customer_id, s.invites, s.rank) for s in top] == [(sharer, 1, 1)]
    touch = service.first_sharer_of(session, workspace.id, friend)
    assert touch is not None and touch.sharer_id == sharer and touch.live_id == live.id


def test_the_fan_shares_and_sees_the_poster_and_their_rank(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    fan = make_fans(session, workspace.id, 1)[0]
    live = make_live(session, workspace.id)
    session.commit()
    csrf = _sign_in(client, workspace.id, fan)
    assert _post(client, f"/h5/lives/{live.id}/share", csrf).status_code == 303
    page = client.get(f"/h5/lives/{live.id}")
    assert 'data-testid="share-link"' in page.text and "data:image/png;base64," in page.text
    assert 'data-testid="my-rank"' in page.text
    refused = client.post(f"/h5/lives/{live.id}/share", data={"csrf_token": "x"})
    assert refused.status_code == 403


def test_a_new_fan_by_the_link_counts_and_the_order_is_attributed(
    api: TestClient, session: Session, workspace: Workspace
) -> None:
    sharer = make_fans(session, workspace.id, 1)[0]
    start = utcnow() - timedelta(hours=2)
    live = make_live(
        session, workspace.id, starts_at=start, ends_at=start + timedelta(hours=1), streamer_id=None
    )
    share, _ = service.share_link(session, workspace.id, live.id, sharer)
    session.commit()
    api.get(f"/s/{share.code}", follow_redirects=False)
    visitor = api.cookies.get("siyu_lv")
    # the visitor orders in the live: the order brings them in as a fan
    order = {
        "platform": "douyin",
        "order_no": "LV-1",
        "buyer_id": "new-buyer",
        "buyer_nick": "新朋友",
        "status": "paid",
        "paid_at": (start + timedelta(minutes=30)).isoformat(),
        "paid_amount_fen": 12_900,
    }
    assert api.post("/api/v1/orders:batch", json={"orders": [order]}).status_code < 300
    newcomer = max(c["id"] for c in api.get("/api/v1/customers").json()["items"])
    # the visit predates the fan's profile
    session.execute(
        update(LiveVisit)
        .values(visited_at=start - timedelta(days=1))
        .where(LiveVisit.visitor == visitor)
    )
    session.commit()
    _sign_in(api, workspace.id, newcomer)
    api.cookies.set("siyu_lv", str(visitor))
    assert api.get(f"/h5/lives/{live.id}").status_code == 200

    session.expire_all()
    assert service.settle_order_invites(session, live) == 0  # already invited as a new fan
    report = live_report(session, live)
    assert (report.orders, report.gmv_fen, report.new_fans) == (1, 12_900, 1)
    assert (report.share_attributed_orders, report.share_attributed_gmv_fen) == (1, 12_900)
    assert [(s.customer_id, s.invites, s.orders) for s in report.sharers] == [(sharer, 1, 1)]


def test_draw_page_publishes_pool_seed_and_recipe(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    fans = make_fans(session, workspace.id, 4)
    live = make_live(session, workspace.id)
    for fan in fans:
        service.reserve(session, workspace.id, live.id, fan)
    draw = service.create_draw(session, live, name="锦鲤", pool="reservers", winners=2, actor=ACTOR)
    session.commit()
    before = client.get(f"/h5/lives/{live.id}/draws/{draw.id}")
    assert draw.commitment in before.text and draw.seed_hex not in before.text
    service.run_draw(session, workspace.id, draw.id, ACTOR)
    session.commit()
    after = client.get(f"/h5/lives/{live.id}/draws/{draw.id}")
    assert draw.seed_hex in after.text and "hashlib" in after.text


def test_a_fan_of_another_workspace_gets_not_found(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    other = factories.make_workspace(session)
    fan = make_fans(session, other.id, 1)[0]
    live = make_live(session, workspace.id)
    session.commit()
    _sign_in(client, other.id, fan)
    assert client.get(f"/h5/lives/{live.id}").status_code == 404
    assert client.get("/h5/lives/999999").status_code == 404


def test_the_hourly_job_settles_recent_lives(session: Session, workspace: Workspace) -> None:
    from siyu.live.tasks import settle_order_invites

    start = utcnow() - timedelta(hours=5)
    recent = make_live(session, workspace.id, starts_at=start, ends_at=start + timedelta(hours=2))
    make_live(session, workspace.id)  # upcoming: not yet
    assert service.lives_ended_since(session, utcnow() - timedelta(days=1)) == [recent]
    settle_order_invites(session)
