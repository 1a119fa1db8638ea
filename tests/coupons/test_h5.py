"""Fan pages: grab from a phone, share to claim, my coupons."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from siyu.coupons import engine as grab_engine
from siyu.coupons import grab, service, stream
from siyu.customers.fan_links import FAN_COOKIE, csrf_for_fan_cookie, sign_fan_link
from siyu.db import database
from siyu.kit.errors import Problem
from siyu.kit.redis import get_redis
from siyu.workspace.models import Workspace
from tests import factories
from tests.coupons import make_campaign, make_fans


def _open(client: TestClient, workspace_id: int, customer_id: int) -> None:
    """Open the fan's link; later posts carry the fan CSRF token as the page's htmx does."""
    response = client.get(
        "/h5/open", params={"t": sign_fan_link(workspace_id, customer_id)}, follow_redirects=False
    )
    assert response.status_code == 303
    client.headers["X-CSRF-Token"] = csrf_for_fan_cookie(client.cookies[FAN_COOKIE])


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


def test_coupon_forms_need_the_fan_csrf_token(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    fan = make_fans(session, workspace.id, 1)[0]
    campaign = make_campaign(session, workspace.id, 5, channel="share")
    grab_campaign = make_campaign(session, workspace.id, 5)
    session.commit()
    _open(client, workspace.id, fan)
    page = client.get(f"/h5/coupons/{grab_campaign.id}")
    assert client.headers["X-CSRF-Token"] in page.text  # the button sends it
    token = client.headers.pop("X-CSRF-Token")
    json = {"Accept": "application/json"}
    for path in (f"/h5/coupons/{campaign.id}/share", f"/h5/coupons/{grab_campaign.id}/claim"):
        refused = client.post(path, headers=json)
        assert refused.status_code == 403, path
        assert refused.json()["type"] == "urn:siyu:problem:csrf-failed"
        forged = client.post(path, headers=json | {"X-CSRF-Token": "0" * 64})
        assert forged.status_code == 403, path
    shared = client.post(f"/h5/coupons/{campaign.id}/share", data={"csrf_token": token})
    assert shared.status_code == 200 and "share-link" in shared.text
    grabbed = client.post(
        f"/h5/coupons/{grab_campaign.id}/claim", headers=json, data={"csrf_token": token}
    )
    assert grabbed.status_code == 201, grabbed.text
    _drain()


def test_a_foreign_campaign_is_not_found_sold_out_or_not(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    other = factories.make_workspace(session, name="别家")
    their_fans = make_fans(session, other.id, 2, prefix="theirs")
    sold_out = make_campaign(session, other.id, 1)
    open_one = make_campaign(session, other.id, 5)
    my_fan = make_fans(session, workspace.id, 1)[0]
    session.commit()
    json = {"Accept": "application/json"}
    _open(client, other.id, their_fans[0])
    assert client.post(f"/h5/coupons/{sold_out.id}/claim", headers=json).status_code == 201
    _open(client, other.id, their_fans[1])
    refused = client.post(f"/h5/coupons/{sold_out.id}/claim", headers=json)
    assert refused.json()["type"] == "urn:siyu:problem:coupon-sold-out"  # now remembered
    _open(client, workspace.id, my_fan)
    for campaign in (sold_out, open_one):
        response = client.post(f"/h5/coupons/{campaign.id}/claim", headers=json)
        assert response.status_code == 404, response.text
        assert response.json()["type"] == "urn:siyu:problem:coupon-campaign-not-found"
    _drain()


def test_a_retry_after_the_sell_out_gets_the_fans_own_coupon(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    first, second = make_fans(session, workspace.id, 2)
    campaign = make_campaign(session, workspace.id, 1)
    session.commit()
    json = {"Accept": "application/json"}
    _open(client, workspace.id, first)
    code = client.post(f"/h5/coupons/{campaign.id}/claim", headers=json).json()["code"]
    _drain()  # the answer was lost on the way to the fan; the claim is in the store
    _open(client, workspace.id, second)
    late = client.post(f"/h5/coupons/{campaign.id}/claim", headers=json)
    assert late.json()["type"] == "urn:siyu:problem:coupon-sold-out"
    _open(client, workspace.id, first)
    retry = client.post(f"/h5/coupons/{campaign.id}/claim", headers=json)
    assert retry.status_code == 409
    assert retry.json()["type"] == "urn:siyu:problem:coupon-already-claimed"
    if get_redis() is None:  # embedded mode reads the coupon from the store with the answer
        assert retry.json()["code"] == code
    page = client.post(f"/h5/coupons/{campaign.id}/claim", headers={"HX-Request": "true"})
    assert "coupon-already-claimed" in page.text and "/h5/coupons" in page.text


def test_the_grab_keeps_only_the_workspaces_own_fans(
    session: Session, workspace: Workspace
) -> None:
    """A cookie is signed for one fan of one workspace; even so the grab checks the pairing."""
    other = factories.make_workspace(session, name="别家")
    foreign_fan = make_fans(session, other.id, 1, prefix="theirs")[0]
    campaign = make_campaign(session, workspace.id, 5)
    session.commit()
    attempt = grab.Attempt(workspace.id, campaign.id, foreign_fan, source="fan")
    redis = get_redis()
    if redis is None:
        with pytest.raises(Problem) as refused:
            grab_engine.claim(session, attempt)
        assert refused.value.slug == "customer-not-found"
        return
    grab_engine.claim(session, attempt)
    session.commit()
    _drain()
    assert service.claims_count(session, campaign.id, foreign_fan) == 0
