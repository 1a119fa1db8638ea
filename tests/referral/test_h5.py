"""The fan's invite page and the landing a friend opens: first touch, then a referral."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from siyu.customers.fan_links import sign_fan_link
from siyu.referral import service
from siyu.workspace.models import Workspace
from tests.referral.helpers import make_fan


def _open(client: TestClient, workspace_id: int, customer_id: int) -> None:
    opened = client.get(
        "/h5/open", params={"t": sign_fan_link(workspace_id, customer_id)}, follow_redirects=False
    )
    assert opened.status_code in (302, 303)


def test_a_friend_through_the_link_becomes_a_referral(
    app: object, session: Session, workspace: Workspace
) -> None:
    ws = workspace.id
    inviter = make_fan(session, ws, name="阿圆")
    session.commit()
    with TestClient(app, base_url="http://testserver") as fan:  # type: ignore[arg-type]
        _open(fan, ws, inviter.id)
        page = fan.get("/h5/invite")
        assert page.status_code == 200
        link = page.text.split('data-testid="invite-link" translate="no">', 1)[1].split("<")[0]
    code = link.rsplit("/r/", 1)[1]
    with TestClient(app, base_url="http://testserver") as friend:  # type: ignore[arg-type]
        landing = friend.get(f"/r/{code}")
        assert landing.status_code == 200 and inviter.display_name in landing.text
        assert "siyu_ref" in friend.cookies
        newcomer = make_fan(session, ws, name="新粉")
        session.commit()
        _open(friend, ws, newcomer.id)
        assert friend.get("/h5/invite").status_code == 200
    session.expire_all()
    node = service.node_of(session, ws, newcomer.id)
    assert node is not None and node.inviter_id == inviter.id and node.source == "link"


def test_unknown_code_is_a_404_page(client: TestClient) -> None:
    assert client.get("/r/nope").status_code == 404
