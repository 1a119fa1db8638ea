"""Console: a live from the form, its page with report, board, prizes (the bare-sharing
warning), draws and the grace period; refusals re-render the form."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from siyu.kit.clock import utcnow
from siyu.live import service
from siyu.live.models import Live
from siyu.workspace.models import Workspace
from tests import factories
from tests.coupons import make_campaign, make_fans
from tests.live import make_live


def test_console_creates_and_edits_a_live(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    csrf = factories.sign_in(client, session, workspace)
    assert client.get("/lives").status_code == 200
    assert client.get("/lives/new").status_code == 200
    starts = utcnow() + timedelta(days=2)
    form = {
        "csrf_token": csrf,
        "title": "年货节专场",
        "platform": "taobao",
        "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (starts + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "products": "坚果礼盒\n茶叶",
    }
    created = client.post("/lives", data=form, follow_redirects=False)
    assert created.status_code == 303, created.text
    live_id = int(created.headers["location"].split("/")[2].split("?")[0])
    page = client.get(f"/lives/{live_id}")
    assert page.status_code == 200 and "年货节专场" in page.text and "lv-funnel" in page.text
    backwards = form | {"ends_at": form["starts_at"], "title": "改"}
    refused = client.post(f"/lives/{live_id}", data=backwards)
    assert refused.status_code == 422 and 'role="alert"' in refused.text
    assert client.post("/lives", data=form | {"starts_at": ""}).status_code == 422
    assert client.get(f"/lives/{live_id}/edit").status_code == 200
    assert client.get(f"/lives/{live_id}/leaderboard").status_code == 200


def test_prizes_warn_on_bare_sharing_and_draws_run(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    csrf = factories.sign_in(client, session, workspace)
    fans = make_fans(session, workspace.id, 3)
    live = make_live(session, workspace.id)
    for fan in fans:
        service.reserve(session, workspace.id, live.id, fan)
    session.commit()
    base = f"/lives/{live.id}"
    ok = client.post(
        f"{base}/prizes",
        data={"csrf_token": csrf, "name": "前三名礼盒", "basis": "rank", "top_n": "3"},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    assert "bare-sharing" not in client.get(base).text
    client.post(f"{base}/prizes", data={"csrf_token": csrf, "name": "分享就送", "basis": "shares"})
    assert "bare-sharing" in client.get(base).text
    bad = client.post(f"{base}/prizes", data={"csrf_token": csrf, "name": "x", "basis": "rank"})
    assert bad.status_code == 422

    drew = client.post(
        f"{base}/draws",
        data={"csrf_token": csrf, "name": "锦鲤", "pool": "reservers", "winners": "2"},
        follow_redirects=False,
    )
    assert drew.status_code == 303
    draw = service.draws_of(session, session.get(Live, live.id) or live)[0]
    ran = client.post(
        f"{base}/draws/{draw.id}/run", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert ran.status_code == 303
    session.expire_all()
    assert len(service.get_draw(session, workspace.id, draw.id).winner_ids or []) == 2


def test_grace_period_and_post_live_coupons(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    csrf = factories.sign_in(client, session, workspace)
    fans = make_fans(session, workspace.id, 2)
    start = utcnow() - timedelta(days=1)
    live = make_live(session, workspace.id, starts_at=start, ends_at=start + timedelta(hours=2))
    for fan in fans:
        service.reserve(session, workspace.id, live.id, fan)
    campaign = make_campaign(session, workspace.id, 10, channel="post_live")
    session.commit()
    saved = client.post("/lives/settings", data={"csrf_token": csrf, "grace_minutes": "90"})
    assert saved.status_code == 200  # followed to the list
    for bad in ("-5", "many"):
        refused = client.post("/lives/settings", data={"csrf_token": csrf, "grace_minutes": bad})
        assert refused.status_code == 422 and 'role="alert"' in refused.text
    assert service.grace_minutes(session, workspace.id) == 90
    issued = client.post(
        f"/lives/{live.id}/post-live",
        data={"csrf_token": csrf, "campaign_id": str(campaign.id)},
        follow_redirects=False,
    )
    assert issued.status_code == 303, issued.text
    page = client.get(f"/lives/{live.id}")
    assert page.status_code == 200
