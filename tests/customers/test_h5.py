"""Fan links: a signed, expiring link opens the fan pages as exactly one fan, and nobody else."""

from __future__ import annotations

import json

import httpx
import pytest
from fastapi.testclient import TestClient
from itsdangerous.encoding import base64_decode, base64_encode
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.customers import service
from siyu.customers.fan_links import (
    FAN_COOKIE,
    FanLinkExpired,
    FanLinkInvalid,
    issue_fan_link,
    sign_fan_link,
    verify_fan_link,
)
from siyu.customers.identities import FanKey
from siyu.kit.errors import Conflict
from siyu.workspace.models import AuditEntry, Workspace
from tests import factories


def _fans(session: Session, workspace: Workspace) -> tuple[int, int]:
    xiaolu, orange = service.resolve_customers(
        session,
        workspace.id,
        [
            FanKey("taobao", "小鹿爱吃糖", "13800001111", nickname="小鹿爱吃糖"),
            FanKey("douyin", "dy_orange", "13900002222", nickname="橘子汽水"),
        ],
    ).customer_ids
    service.link_identity(
        session, workspace.id, int(xiaolu or 0), "wechat", "o_xl", factories.ACTOR
    )
    session.commit()
    return int(xiaolu or 0), int(orange or 0)


def _open(client: TestClient, token: str) -> httpx.Response:
    return client.get("/h5/open", params={"t": token}, follow_redirects=False)


def _altered(token: str, **changes: int) -> str:
    """The same token with its payload edited and the old signature kept."""
    payload, rest = token.split(".", 1)
    data = json.loads(base64_decode(payload)) | changes
    return base64_encode(json.dumps(data, separators=(",", ":"))).decode() + "." + rest


def test_a_link_opens_the_fan_s_own_page(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    xiaolu, _ = _fans(session, workspace)
    opened = _open(client, sign_fan_link(workspace.id, xiaolu))
    assert opened.status_code == 303 and opened.headers["location"] == "/h5/me"
    cookie = opened.headers["set-cookie"].lower()
    assert "httponly" in cookie and "path=/h5" in cookie and "max-age=" in cookie

    me = client.get("/h5/me")
    assert me.status_code == 200 and 'lang="zh-CN"' in me.text
    assert "小鹿爱吃糖" in me.text and "138****1111" in me.text
    assert "13800001111" not in me.text
    assert "淘宝" in me.text and "微信" in me.text
    assert "积分" in me.text and "即将开放" not in me.text
    for page in ("/h5/points", "/h5/points/mall", "/h5/coupons", "/h5/groups"):
        assert f'href="{page}"' in me.text
    assert "no-store" in me.headers["cache-control"]


def test_without_a_session_the_fan_lands_on_the_landing_page(client: TestClient) -> None:
    response = client.get("/h5/me", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/h5/"
    client.cookies.set(FAN_COOKIE, "made-up", path="/h5")
    assert client.get("/h5/me", follow_redirects=False).headers["location"] == "/h5/"


def test_an_expired_link_is_explained_in_chinese(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    xiaolu, _ = _fans(session, workspace)
    token = sign_fan_link(workspace.id, xiaolu, ttl_seconds=0)
    with pytest.raises(FanLinkExpired):
        verify_fan_link(token)
    response = _open(client, token)
    assert response.status_code == 410 and "链接已过期" in response.text
    assert FAN_COOKIE not in response.headers.get("set-cookie", "")


def test_a_tampered_link_is_refused(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    xiaolu, orange = _fans(session, workspace)
    token = sign_fan_link(workspace.id, xiaolu)
    assert verify_fan_link(token).customer_id == xiaolu
    forged = _altered(token, c=orange)
    with pytest.raises(FanLinkInvalid):
        verify_fan_link(forged)
    for bad in (forged, _altered(token, x=4102444800), token[:-2], "", "not.a.token"):
        response = _open(client, bad)
        assert response.status_code == 403, bad
        assert "链接" in response.text
    assert client.get("/h5/me", follow_redirects=False).status_code == 303


def test_a_session_shows_one_fan_and_never_another(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    xiaolu, orange = _fans(session, workspace)
    link_for_xiaolu = sign_fan_link(workspace.id, xiaolu)
    _open(client, link_for_xiaolu)
    session_cookie = client.cookies.get(FAN_COOKIE)
    assert session_cookie and session_cookie != link_for_xiaolu
    me = client.get("/h5/me").text
    assert "小鹿爱吃糖" in me and "橘子汽水" not in me and "139****2222" not in me

    # The cookie edited to name the other fan, or the link itself used as a cookie: refused.
    for forged in (_altered(session_cookie, c=orange), sign_fan_link(workspace.id, orange)):
        client.cookies.clear()
        client.cookies.set(FAN_COOKIE, forged, path="/h5")
        response = client.get("/h5/me", follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/h5/"

    client.cookies.clear()
    _open(client, sign_fan_link(workspace.id, orange))
    me = client.get("/h5/me").text
    assert "橘子汽水" in me and "小鹿爱吃糖" not in me


def test_a_merged_or_erased_fan_s_session_ends_with_a_message(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    xiaolu, orange = _fans(session, workspace)
    _open(client, sign_fan_link(workspace.id, orange))
    service.merge_customers(session, workspace.id, xiaolu, orange, factories.ACTOR)
    session.commit()
    gone = client.get("/h5/me", follow_redirects=False)
    assert gone.status_code == 410 and "小助手" in gone.text
    assert FAN_COOKIE in gone.headers["set-cookie"]  # the cookie is cleared
    assert _open(client, sign_fan_link(workspace.id, orange)).status_code == 410

    service.erase_customer(session, workspace.id, xiaolu, factories.ACTOR)
    session.commit()
    assert _open(client, sign_fan_link(workspace.id, xiaolu)).status_code == 410


def test_a_link_for_another_workspace_s_fan_number_is_not_a_fan(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    xiaolu, _ = _fans(session, workspace)
    other = factories.make_workspace(session)
    session.commit()
    assert _open(client, sign_fan_link(other.id, xiaolu)).status_code == 403


def test_issuing_a_link_is_audited_and_refused_for_tombstones(
    session: Session, workspace: Workspace
) -> None:
    xiaolu, orange = _fans(session, workspace)
    issued = issue_fan_link(
        session, workspace.id, xiaolu, factories.ACTOR, base_url="https://fans.example.com/"
    )
    assert issued.url.startswith("https://fans.example.com/h5/open?t=")
    claim = verify_fan_link(issued.url.split("t=", 1)[1])
    assert (claim.workspace_id, claim.customer_id) == (workspace.id, xiaolu)
    assert claim.expires_at == issued.expires_at
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "customer.fan_link"))
    assert entry is not None and entry.target_id == str(xiaolu)

    service.merge_customers(session, workspace.id, xiaolu, orange, factories.ACTOR)
    with pytest.raises(Conflict):
        issue_fan_link(session, workspace.id, orange, factories.ACTOR)
