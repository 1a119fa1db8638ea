"""Fan pages: grab from a phone, share to claim, my coupons."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from siyu.coupons import stream
from siyu.customers.fan_links import sign_fan_link
from siyu.db import database
from siyu.kit.redis import get_redis
from siyu.workspace.models import Workspace
from tests.coupons import make_campaign, make_fans


def _open(client: TestClient, workspace_id: int, customer_id: int) -> None:
    response = client.get(
        "/h5/open", params={"t": sign_fan_link(workspace_id, customer_id)}, follow_redirects=False
    )
    assert response.status_code == 303


def _drain() -> None:
    client = get_redis()
    if client is not None:
        stream.drain(database.session, client)


def test_grab_page_claims_and_lists_the_coupon(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    fan = make_fans(session, workspace.id, 1)[0]
    campaign = make_campaign(session, workspace.id, 5)
    session.commit()
    _open(client, workspace.id, fan)
    page = client.get(f"/h5/coupons/{campaign.id}")
    assert page.status_code == 200 and "满99减3" in page.text
    grabbed = client.post(f"/h5/coupons/{campaign.id}/claim", headers={"HX-Request": "true"})
    assert grabbed.status_code == 201
    assert 'id="cp-left" hx-swap-oob="true">剩余 4 张<' in grabbed.text  # the stock follows
    code = grabbed.text.split('data-testid="coupon-code">', 1)[1].split("<", 1)[0]
    again = client.post(f"/h5/coupons/{campaign.id}/claim", headers={"Accept": "application/json"})
    assert again.status_code == 409
    assert again.json()["type"] == "urn:siyu:problem:coupon-already-claimed"
    _drain()
    mine = client.get("/h5/coupons")
    assert code in mine.text


def test_share_to_claim(client: TestClient, session: Session, workspace: Workspace) -> None:
    fan = make_fans(session, workspace.id, 1)[0]
    campaign = make_campaign(session, workspace.id, 5, channel="share")
    session.commit()
    _open(client, workspace.id, fan)
    json = {"Accept": "application/json"}
    before = client.post(f"/h5/coupons/{campaign.id}/claim", headers=json)
    assert before.json()["type"] == "urn:siyu:problem:coupon-share-required"
    shared = client.post(f"/h5/coupons/{campaign.id}/share")
    assert shared.status_code == 200
    link = shared.text.split('data-testid="share-link">', 1)[1].split("<", 1)[0]
    token = link.rsplit("/", 1)[1]
    visitor = TestClient(client.app)
    assert visitor.get(f"/h5/coupons/s/{token}").status_code == 200
    claimed = client.post(f"/h5/coupons/{campaign.id}/claim", headers=json)
    assert claimed.status_code == 201, claimed.text
    assert claimed.json()["claim_id"] == f"{campaign.id}-1"


def test_claim_needs_a_fan_session(client: TestClient) -> None:
    response = client.post("/h5/coupons/1/claim", follow_redirects=False)
    assert response.status_code == 303
