"""Every console page, rendered in Chinese for the owner over seeded data, reads as Chinese: no
raw codes, ids or English words an operator would see (the check is tests/console_text.py)."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.app import CONSOLE_ROUTERS
from siyu.channels.models import ContentAccount, ContentUpload, Material
from siyu.community.models import FanGroup
from siyu.coupons.models import CouponCampaign
from siyu.customers.models import Customer
from siyu.engagement.models import Camp
from siyu.kit.web import LOCALE_COOKIE
from siyu.live.models import Live
from siyu.loyalty.models import MallItem
from siyu.orders.models import ImportRun
from siyu.orders.service import import_file
from siyu.outreach.models import Broadcast
from siyu.segments.models import Segment
from siyu.workspace.models import Workspace
from siyu.workspace.roles import Role
from tests import factories
from tests.console_text import allowed_words, foreign_words, visible_text

from .analytics.store_data import seed_history

# Pages that are files or fragments, not pages an operator reads in the console.
# Query strings a page needs to show what it is for.
QUERIES = {"/customers/{customer_id}/merge": "?source={other_customer_id}"}
NOT_PAGES = {
    "/orders/imports/{run_id}/rejects.csv",
    "/content/imports/{upload_id}/rejects.csv",
    "/analytics/export",
    "/login",
    "/coupons/campaigns/{campaign_id}/live",  # an event stream
    "/community/families/{family_id}/qr.{kind}",  # QR images
    "/community/groups/{group_id}/qr.{kind}",
    "/wecom/live-codes/{way_id}/qr.png",
    "/camps/checkins/{checkin_id}/photo",  # an uploaded photo
    "/outreach/media/{media_id}",  # a broadcast's image
}
DEMO_SEEDS = (
    "siyu.analytics.demo",
    "siyu.community.demo",
    "siyu.coupons.demo",
    "siyu.loyalty.demo",
    "siyu.outreach.demo",
    "siyu.channels.demo",
    "siyu.live.demo",
    "siyu.referral.demo",
    "siyu.engagement.demo",
)
REJECTING_FILE = (
    "order_no,buyer_id,paid_amount,paid_at,status\n"
    "G1,b1,9.90,2024-06-18 20:00,completed\n"
    "G2,b2,abc,,paid\n"
)


def _console_paths() -> list[str]:
    paths = []
    for router in CONSOLE_ROUTERS:
        for route in router.routes:
            path = getattr(route, "path", "")
            if "GET" in (getattr(route, "methods", None) or ()) and path not in NOT_PAGES:
                paths.append(path)
    return paths


def _seed(session: Session, workspace: Workspace, tmp_path: Path) -> dict[str, int]:
    seed_history(session, workspace.id)
    session.commit()
    for module in DEMO_SEEDS:
        importlib.import_module(module).seed(session, workspace.id)
        session.commit()
    upload = tmp_path / "orders.csv"
    upload.write_text(REJECTING_FILE, encoding="utf-8")
    import_file(session, workspace, upload, actor=factories.ACTOR)
    session.commit()
    ws = workspace.id

    def first(model: type, *where: object) -> int:
        found = session.scalar(select(func.min(model.id)).where(model.workspace_id == ws, *where))  # type: ignore[attr-defined]
        assert found is not None, model
        return int(found)

    return {
        "customer_id": first(Customer),
        "other_customer_id": int(
            session.scalar(select(func.max(Customer.id)).where(Customer.workspace_id == ws)) or 0
        ),
        "run_id": first(ImportRun),
        "segment_id": first(Segment),
        "group_id": first(FanGroup),
        "campaign_id": first(CouponCampaign),
        "item_id": first(MallItem),
        # The demo's coupon broadcast, with its attachment and opens.
        "broadcast_id": int(
            session.scalar(
                select(Broadcast.id).where(
                    Broadcast.workspace_id == ws, Broadcast.name == "老粉回馈券"
                )
            )
            or 0
        ),
        "material_id": first(Material),
        "account_id": first(ContentAccount),
        "upload_id": first(ContentUpload),
        "live_id": first(Live),
        "camp_id": first(Camp),
    }


@pytest.fixture
def seeded(
    client: TestClient, session: Session, workspace: Workspace, tmp_path: Path
) -> dict[str, int]:
    ids = _seed(session, workspace, tmp_path)
    owner = factories.make_operator(session, workspace, Role.owner, email="owner@example.com")
    owner.display_name = "林小鹿"
    session.commit()
    assert factories.login(client, owner.email).status_code == 303
    client.cookies.set(LOCALE_COOKIE, "zh_CN")
    return ids


def test_every_console_page_reads_as_chinese(client: TestClient, seeded: dict[str, int]) -> None:
    problems: dict[str, list[str]] = {}
    for template in _console_paths():
        url = template + QUERIES.get(template, "")
        path = re.sub(r"\{(\w+)\}", lambda m: str(seeded[m.group(1)]), url)
        page = client.get(path)
        if not page.headers.get("content-type", "").startswith("text/html"):
            continue  # a stream or a file, not a page
        if page.status_code != 200:
            problems[path] = [f"status {page.status_code}"]
            continue
        found = foreign_words(page.text, allow=allowed_words(path))
        if found:
            problems[path] = found
    assert not problems, "\n".join(f"{p}: {w}" for p, w in problems.items())


def test_the_check_finds_codes_and_english_and_lets_names_pass() -> None:
    page = """<html><head><title>总览 Overview</title>
    <script>var a = "coupon-sold-out";</script></head>
    <body><h1>总览</h1><p>券已抢完 coupon-sold-out: 303</p><td>active -> declining</td>
    <a href="/customers/12">customer:4315</a><input type="hidden" value="taobao">
    <select><option>douyin</option></select><span title="Refresh now">刷新</span>
    <p>联系 owner@demo.siyu.local，RFM 与 GMV ¥1,397.90，SK-II 神仙水 230ml</p></body></html>"""

    found = [entry.split(" ")[0] for entry in foreign_words(page, allow={"SK-II"})]

    assert found == [
        "Overview",
        "coupon-sold-out",
        "active",
        "declining",
        "customer:4315",
        "douyin",
        "Refresh",
        "now",
    ]
    assert "总览" in visible_text(page)


def test_names_from_the_data_are_not_read_as_prose() -> None:
    """A fan's nickname or account id is shown as written (``translate="no"``), not as copy."""
    assert foreign_words('<p>粉丝 <a translate="no" title="dy_amy">Amy</a> 已下单</p>') == []
    assert foreign_words("<p>粉丝 Amy 已下单</p>")
