"""The printed live code works for anyone: an anonymous scan lands on the group with room and
shows that group's join code; the console shows and downloads the live code as PNG and SVG."""

from __future__ import annotations

import base64
import io
import re
from typing import Any

import zxingcpp
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.community import service
from siyu.community.models import FanGroup, GroupMembership
from siyu.customers.fan_links import issue_fan_link
from siyu.workspace.audit import SYSTEM
from siyu.workspace.models import Workspace
from siyu.workspace.roles import Role
from tests import factories
from tests.community.helpers import make_family, make_fan

JOIN_1 = "https://work.weixin.qq.com/gm/aaaa1111"
JOIN_2 = "https://work.weixin.qq.com/gm/bbbb2222"


def decode(png: bytes) -> list[str]:
    """What a phone camera would read from the image."""
    return [found.text for found in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def _inline_png(page: str) -> bytes:
    found = re.search(r'src="data:image/png;base64,([^"]+)"', page)
    assert found, "no QR image on the page"
    return base64.b64decode(found.group(1))


def _open_family(session: Session, workspace_id: int, **fields: Any) -> Any:
    family = make_family(session, workspace_id, slug="xiaolu-new", min_paid_orders=None, **fields)
    groups = []
    for number, join_url in ((1, JOIN_1), (2, JOIN_2)):
        group = service.create_group(
            session, workspace_id, SYSTEM, name=f"小鹿新粉{number}群", capacity=2
        )
        group.family_id, group.number, group.join_url = family.id, number, join_url
        groups.append(group)
    family.next_number = 3
    session.flush()
    return family, groups


def test_an_anonymous_scan_lands_on_the_group_with_room_and_its_code(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    _family, (first, second) = _open_family(session, workspace.id)
    for ref in ("wx-1", "wx-2"):  # the first group fills up
        service.add_member(session, workspace.id, first.id, SYSTEM, member_ref=ref)
    session.commit()

    page = client.get(f"/h5/g/{workspace.slug}/xiaolu-new")

    assert page.status_code == 200 and "欢迎加入小鹿新粉2群" in page.text
    assert decode(_inline_png(page.text)) == [JOIN_2]
    assert "no-store" in page.headers["cache-control"]
    assert 'name="viewport"' in page.text
    # Scanning takes no seat: the join itself, reported later, does.
    session.refresh(second)
    assert second.member_count == 0


def test_when_every_group_is_full_the_next_opens_and_the_scan_is_asked_back(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    family, groups = _open_family(session, workspace.id)
    for group in groups:
        for n in range(2):
            service.add_member(
                session, workspace.id, group.id, SYSTEM, member_ref=f"{group.id}-{n}"
            )
    session.commit()

    page = client.get(f"/h5/g/{workspace.slug}/xiaolu-new")

    assert page.status_code == 200 and "新群正在准备中" in page.text
    opened = session.scalars(
        select(FanGroup).where(FanGroup.family_id == family.id).order_by(FanGroup.number)
    ).all()
    assert len(opened) == 3 and opened[-1].member_count == 0 and opened[-1].join_url is None
    again = client.get(f"/h5/g/{workspace.slug}/xiaolu-new")  # no second group opened
    assert "新群正在准备中" in again.text
    count = session.scalar(select(func.count()).where(FanGroup.family_id == family.id))
    assert count == 3


def test_a_capped_family_says_all_groups_are_full(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    _family, groups = _open_family(session, workspace.id, max_groups=2)
    for group in groups:
        for n in range(2):
            service.add_member(
                session, workspace.id, group.id, SYSTEM, member_ref=f"{group.id}-{n}"
            )
    session.commit()
    page = client.get(f"/h5/g/{workspace.slug}/xiaolu-new")
    assert page.status_code == 200 and "暂时都满了" in page.text


def test_a_family_with_entry_rules_asks_strangers_for_their_link_and_routes_fans(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    family: Any = make_family(session, workspace.id, slug="vip", min_paid_orders=2)
    group = service.create_group(session, workspace.id, SYSTEM, name="小鹿VIP1群", capacity=5)
    group.family_id, group.number, group.join_url = family.id, 1, JOIN_1
    fan = make_fan(session, workspace.id, paid_orders=3)
    link = issue_fan_link(session, workspace.id, fan.id, SYSTEM)
    session.commit()

    stranger = client.get(f"/h5/g/{workspace.slug}/vip")
    assert stranger.status_code == 200 and "仅对会员开放" in stranger.text

    client.get(link.url.split("8000", 1)[-1], follow_redirects=False)
    known = client.get(f"/h5/g/{workspace.slug}/vip")
    assert "欢迎加入小鹿VIP1群" in known.text
    assert decode(_inline_png(known.text)) == [JOIN_1]
    seated = session.scalar(
        select(GroupMembership.customer_id).where(GroupMembership.group_id == group.id)
    )
    assert seated == fan.id  # a known fan is seated as themselves, rules checked


def test_unknown_codes_and_workspaces_are_a_polite_404(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    _open_family(session, workspace.id)
    session.commit()
    for path in (f"/h5/g/{workspace.slug}/nope", "/h5/g/no-such-workspace/xiaolu-new"):
        page = client.get(path)
        assert page.status_code == 404 and "小助理" in page.text


def test_the_console_shows_and_downloads_the_live_code(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    family, _groups = _open_family(session, workspace.id)
    analyst = factories.make_operator(session, workspace, Role.analyst)
    session.commit()
    factories.login(client, analyst.email)
    listing = client.get("/community/families")
    assert listing.status_code == 200
    assert f"/community/families/{family.id}/qr.png" in listing.text
    url = service.live_code_url(family)
    assert url.endswith(f"/h5/g/{workspace.slug}/xiaolu-new") and url in listing.text

    png = client.get(f"/community/families/{family.id}/qr.png")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG") and decode(png.content) == [url]
    svg = client.get(f"/community/families/{family.id}/qr.svg", params={"download": "1"})
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert "attachment" in svg.headers["content-disposition"]
    assert b"<svg" in svg.content
    assert client.get(f"/community/families/{family.id}/qr.gif").status_code == 404


def test_operators_set_a_group_s_join_code_and_bad_ones_are_refused(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    group = service.create_group(session, workspace.id, SYSTEM, name="小鹿福利1群")
    operator = factories.make_operator(session, workspace, Role.operator)
    session.commit()
    factories.login(client, operator.email)
    csrf = factories.csrf_of(client, f"/community/groups/{group.id}")
    bad = client.post(
        f"/community/groups/{group.id}/join-code",
        data={"join_url": "javascript:alert(1)", "csrf_token": csrf},
    )
    assert bad.status_code == 422 and "入群码是群二维码里的链接" in bad.text
    assert "javascript:alert(1)" in bad.text  # the form again, with what was typed
    saved = client.post(
        f"/community/groups/{group.id}/join-code",
        data={"join_url": JOIN_1, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    image = client.get(f"/community/groups/{group.id}/qr.png")
    assert decode(image.content) == [JOIN_1]


def test_the_fan_sees_their_groups_and_the_codes_open_to_them(
    client: TestClient, session: Session, workspace: Workspace
) -> None:
    family, (first, _second) = _open_family(session, workspace.id)
    make_family(session, workspace.id, slug="koc", name="KOC体验官群", min_paid_orders=None)
    fan = make_fan(session, workspace.id)
    service.route_newcomer(session, workspace.id, family.slug, fan.id, SYSTEM)
    link = issue_fan_link(session, workspace.id, fan.id, SYSTEM)
    session.commit()
    client.get(link.url.split("8000", 1)[-1], follow_redirects=False)
    page = client.get("/h5/groups")
    assert page.status_code == 200
    assert first.name in page.text and "/h5/groups/koc" in page.text
    assert "/h5/groups/xiaolu-new" not in page.text  # already in that family
