"""Fans must be reachable: links per fan on the 360 page (copy, QR), in bulk through the API,
as an export column, and inside every outbound message; all pointing at the public address."""

from __future__ import annotations

import base64
import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import zxingcpp
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.config import get_settings, reset_settings_cache
from siyu.customers import service
from siyu.customers.fan_links import issue_fan_links, verify_fan_link
from siyu.customers.identities import FanKey
from siyu.customers.outbound import personalise, placeholder_problems
from siyu.segments import service as segments
from siyu.workspace.models import AuditEntry, Workspace
from siyu.workspace.roles import Role
from tests import factories
from tests.factories import ACTOR

PUBLIC = "https://fans.example.com"


@pytest.fixture(autouse=True)
def _public_address(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("SIYU_PUBLIC_BASE_URL", PUBLIC)
    reset_settings_cache()
    yield
    monkeypatch.delenv("SIYU_PUBLIC_BASE_URL")
    reset_settings_cache()


def _fans(session: Session, workspace: Workspace, n: int) -> list[int]:
    keys = [FanKey("taobao", f"小鹿{i}", None, nickname=f"小鹿{i}") for i in range(n)]
    ids = service.resolve_customers(session, workspace.id, keys).customer_ids
    session.commit()
    return [i for i in ids if i is not None]


def _token(url: str) -> str:
    assert url.startswith(f"{PUBLIC}/h5/open?t=")
    return url.split("t=", 1)[1]


def _audits(session: Session, workspace: Workspace, action: str) -> list[AuditEntry]:
    return list(
        session.scalars(
            select(AuditEntry).where(
                AuditEntry.workspace_id == workspace.id, AuditEntry.action == action
            )
        )
    )


def test_the_api_makes_one_link_and_refuses_erased_fans(
    api: TestClient, session: Session, workspace: Workspace
) -> None:
    fan, erased = _fans(session, workspace, 2)
    service.erase_customer(session, workspace.id, erased, ACTOR)
    session.commit()

    made = api.post(f"/api/v1/customers/{fan}/link", json={"ttl_days": 3})
    assert made.status_code == 201, made.text
    body = made.json()
    claim = verify_fan_link(_token(body["url"]))
    assert (claim.workspace_id, claim.customer_id) == (workspace.id, fan)
    expires = datetime.fromisoformat(body["expires_at"])
    assert timedelta(days=2, hours=23) < expires - datetime.now(UTC) <= timedelta(days=3)
    assert api.post(f"/api/v1/customers/{fan}/link").status_code == 201  # 7 days by default

    gone = api.post(f"/api/v1/customers/{erased}/link")
    assert gone.status_code == 409 and gone.json()["type"].endswith("customer-erased")
    assert api.post("/api/v1/customers/999999/link").status_code == 404
    too_long = api.post(f"/api/v1/customers/{fan}/link", json={"ttl_days": 91})
    assert too_long.status_code == 422


def test_the_api_makes_links_in_bulk_by_ids_and_by_segment(
    api: TestClient, session: Session, workspace: Workspace
) -> None:
    fans = _fans(session, workspace, 5)
    service.erase_customer(session, workspace.id, fans[4], ACTOR)
    segment = segments.create_segment(
        session, workspace.id, name="全部淘宝粉", filter_text='platform = "淘宝"', actor=ACTOR
    )
    session.commit()

    by_ids = api.post(
        "/api/v1/customers:links", json={"customer_ids": [*fans, 999999], "ttl_days": 1}
    ).json()
    assert [item["customer_id"] for item in by_ids["items"]] == fans[:4]
    assert {r["customer_id"]: r["reason"] for r in by_ids["refused"]} == {
        fans[4]: "customer-erased",
        999999: "customer-not-found",
    }
    assert len({item["expires_at"] for item in by_ids["items"]}) == 1  # one expiry for a batch

    first = api.post("/api/v1/customers:links", json={"segment_id": segment.id, "limit": 3}).json()
    assert len(first["items"]) == 3 and first["next_cursor"]
    rest = api.post(
        "/api/v1/customers:links",
        json={"segment_id": segment.id, "limit": 3, "cursor": first["next_cursor"]},
    ).json()
    paged = [i["customer_id"] for i in first["items"] + rest["items"]]
    assert sorted(paged) == sorted(fans[:4]) and rest["next_cursor"] is None

    both = api.post("/api/v1/customers:links", json={"customer_ids": [1], "segment_id": 1})
    assert both.status_code == 422
    assert api.post("/api/v1/customers:links", json={}).status_code == 422
    bulk_audits = _audits(session, workspace, "customer.fan_links")
    assert len(bulk_audits) == 3  # one entry per call, not per fan
    assert bulk_audits[0].detail["issued"] == 4


def test_the_360_page_makes_a_link_with_a_qr_code_for_operators_only(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    (fan,) = _fans(session, workspace, 1)
    operator = factories.make_operator(session, workspace, Role.operator)
    analyst = factories.make_operator(session, workspace, Role.analyst)
    session.commit()

    factories.login(client, analyst.email)
    panel = client.get(f"/customers/{fan}/link")
    assert panel.status_code == 200 and "粉丝专属链接" in panel.text
    assert "<form" not in panel.text  # analysts read, they don't hand out links
    client.cookies.clear()

    factories.login(client, operator.email)
    profile = client.get(f"/customers/{fan}")
    assert f'hx-get="/customers/{fan}/link"' in profile.text
    csrf = factories.csrf_of(client, f"/customers/{fan}")
    made = client.post(
        f"/customers/{fan}/link",
        data={"ttl_days": "30", "csrf_token": csrf},
        headers={"HX-Request": "true"},
    )
    assert made.status_code == 200
    url = re.search(r'<code id="fan-link-url"[^>]*>([^<]+)</code>', made.text)
    assert url and verify_fan_link(_token(url.group(1))).customer_id == fan
    assert 'data-copy="#fan-link-url"' in made.text
    qr = re.search(r'src="data:image/png;base64,([^"]+)"', made.text)
    assert qr
    image = Image.open(io.BytesIO(base64.b64decode(qr.group(1))))
    assert [found.text for found in zxingcpp.read_barcodes(image)] == [url.group(1)]
    assert len(_audits(session, workspace, "customer.fan_link")) == 1
    # Without HTMX the whole 360 page comes back with the link on it.
    whole = client.post(f"/customers/{fan}/link", data={"csrf_token": csrf})
    assert whole.status_code == 200 and 'id="fan-link-url"' in whole.text


def test_the_segment_export_carries_links_when_asked(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    fans = _fans(session, workspace, 3)
    operator = factories.make_operator(session, workspace, Role.operator)
    session.commit()
    factories.login(client, operator.email)

    plain = client.get("/analytics/export", params={"filter": "", "format": "csv"})
    assert "专属链接" not in plain.text.splitlines()[0]  # titles in the workspace's language
    linked = client.get(
        "/analytics/export", params={"filter": "", "format": "csv", "fan_links": "7"}
    )
    rows = list(csv.DictReader(io.StringIO(linked.content.decode("utf-8-sig"))))
    assert sorted(int(row["粉丝编号"]) for row in rows) == sorted(fans)
    for row in rows:
        assert verify_fan_link(_token(row["专属链接"])).customer_id == int(row["粉丝编号"])
        assert row["专属链接到期时间"]
    exports = _audits(session, workspace, "segment.export")
    assert "fan_links_expire_at" in exports[-1].detail
    assert client.get("/analytics/export", params={"fan_links": "200"}).status_code == 422


def test_outbound_text_is_personalised_with_name_and_link(
    session: Session, workspace: Workspace
) -> None:
    fans = _fans(session, workspace, 2)
    service.erase_customer(session, workspace.id, fans[1], ACTOR)
    texts = personalise(
        session, workspace.id, fans, "{name}，积分到账啦 {{看这里}}：{fan_link}", ACTOR
    )
    assert list(texts) == [fans[0]]  # nothing goes to a fan who can't open a link
    name_part, _, link = texts[fans[0]].partition("：")
    assert name_part == "小鹿0，积分到账啦 {看这里}"
    assert verify_fan_link(_token(link)).customer_id == fans[0]
    plain = personalise(session, workspace.id, fans[:1], "{name} 晚上好", ACTOR)
    assert plain == {fans[0]: "小鹿0 晚上好"}
    assert len(_audits(session, workspace, "customer.fan_links")) == 1  # only when a link is used

    assert placeholder_problems("{name} {fan_link}") == []
    assert placeholder_problems("{phone}")[0].startswith("unknown placeholder {phone}")
    assert placeholder_problems("{name.__class__}")
    assert placeholder_problems("{name")
    with pytest.raises(ValueError, match="unknown placeholder"):
        personalise(session, workspace.id, fans, "{0}", ACTOR)


def test_links_use_the_public_address(session: Session, workspace: Workspace) -> None:
    (fan,) = _fans(session, workspace, 1)
    assert get_settings().public_base_url == PUBLIC
    issued = issue_fan_links(session, workspace.id, [fan], ACTOR)
    assert issued.links[fan].url.startswith(f"{PUBLIC}/h5/open?t=")
