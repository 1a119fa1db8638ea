"""A live campaign in a real Chromium at phone width: a demo fan opens the upcoming live from
their page, reserves it, gets their share link and poster; a friend opens the link on their
own phone and lands on the live's page."""

from __future__ import annotations

import subprocess
import sys

import pytest

from siyu.demo.seed import DEMO_SLUG
from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser

UPCOMING = "年货节开播夜"  # the demo's upcoming live
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True}
NEW_FAN = """
from siyu.db import transaction
from siyu.customers.identities import FanKey
from siyu.customers.service import resolve_customers
from siyu.workspace.service import get_workspace_by_slug

with transaction() as session:
    ws = get_workspace_by_slug(session, "%(slug)s")
    key = FanKey("douyin", "dy_browser_live", None, nickname="预约小能手")
    (fan,) = resolve_customers(session, ws.id, [key]).customer_ids
    print(fan)
"""


def _run(env: dict[str, str], *argv: str) -> str:
    done = subprocess.run(
        [sys.executable, *argv], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_fan_reserves_and_shares_from_a_phone(  # type: ignore[no-untyped-def]
    server: str, server_env: dict[str, str], browser
) -> None:
    fan_id = _run(server_env, "-c", NEW_FAN % {"slug": DEMO_SLUG}).splitlines()[-1]
    url = _run(
        server_env, "-m", "siyu.cli", "customer", "link", fan_id, "--workspace", DEMO_SLUG,
        "--base-url", server,
    )  # fmt: skip
    fan = browser.new_context(**PHONE)
    friend = browser.new_context(**PHONE)
    try:
        phone = fan.new_page()
        phone.goto(url)
        phone.wait_for_url(f"{server}/h5/me")
        phone.goto(f"{server}/h5/lives")
        phone.click(f"a:text-is('{UPCOMING}')")
        phone.wait_for_url(f"{server}/h5/lives/*")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
        screenshot(phone, "h5-live-390")

        phone.click("[data-testid=reserve]")
        phone.locator("[data-testid=reserved]").wait_for()
        phone.click("[data-testid=share]")
        link = phone.locator("[data-testid=share-link]")
        link.wait_for()
        share_url = link.inner_text().strip()
        assert "/s/" in share_url
        assert phone.locator(".lv-poster img").count() == 1
        assert phone.locator("[data-testid=my-rank]").count() == 1
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
        screenshot(phone, "h5-live-shared-390")

        visitor = friend.new_page()
        visitor.goto(share_url)
        visitor.wait_for_url(f"{server}/h5/lives/*")
        assert UPCOMING in visitor.content()
        assert any(c["name"] == "siyu_lv" for c in friend.cookies())
        screenshot(visitor, "h5-live-visitor-390")
    finally:
        fan.close()
        friend.close()
