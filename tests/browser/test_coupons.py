"""The coupon grab in a real Chromium: an operator opens the demo's grab from the console, a fan
on a phone presses the button and gets the coupon, a second press is answered "already claimed",
and the coupon shows on the fan's "my coupons" page."""

from __future__ import annotations

import subprocess
import sys

import pytest

from siyu.demo.seed import DEMO_OPERATORS, DEMO_PASSWORD, DEMO_SLUG
from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser

GRAB_NAME = "今晚8点 全员抢券 满99减3"  # the demo's grab, scheduled for tomorrow
NEW_FAN = """
from siyu.db import transaction
from siyu.customers.identities import FanKey
from siyu.customers.service import resolve_customers
from siyu.workspace.service import get_workspace_by_slug

with transaction() as session:
    ws = get_workspace_by_slug(session, "%(slug)s")
    key = FanKey("douyin", "dy_browser_coupons", "13700008888", nickname="抢券小能手")
    (fan,) = resolve_customers(session, ws.id, [key]).customer_ids
    print(fan)
"""


def _run(env: dict[str, str], *argv: str) -> str:
    done = subprocess.run(
        [sys.executable, *argv], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _start_the_grab(server: str, page) -> int:  # type: ignore[no-untyped-def]
    """The operator finds the demo grab in the console and opens it now; returns its id."""
    page.goto(f"{server}/login")
    page.fill("input[name=email]", DEMO_OPERATORS[2][0])  # an operator
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{server}/")
    page.goto(f"{server}/coupons")
    screenshot(page, "coupons-overview")
    page.click(f"a:text-is('{GRAB_NAME}')")
    page.wait_for_url(f"{server}/coupons/campaigns/*")
    campaign_id = int(page.url.rstrip("/").rsplit("/", 1)[-1])
    page.click("button:has-text('立即开抢')")
    page.wait_for_url(f"{server}/coupons/campaigns/{campaign_id}?notice=started")
    assert "已开抢" in page.content()
    assert page.locator("button:has-text('立即开抢')").count() == 0  # no longer scheduled
    screenshot(page, "coupons-campaign-started")
    return campaign_id


def test_an_operator_opens_the_grab_and_a_fan_claims_it_on_a_phone(  # type: ignore[no-untyped-def]
    server: str, server_env: dict[str, str], browser, page
) -> None:
    campaign_id = _start_the_grab(server, page)
    fan_id = _run(server_env, "-c", NEW_FAN % {"slug": DEMO_SLUG}).splitlines()[-1]
    url = _run(
        server_env, "-m", "siyu.cli", "customer", "link", fan_id, "--workspace", DEMO_SLUG,
        "--base-url", server,
    )  # fmt: skip
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True
    )
    try:
        phone = context.new_page()
        phone.goto(url)
        phone.wait_for_url(f"{server}/h5/me")
        phone.goto(f"{server}/h5/coupons/{campaign_id}")
        button = phone.locator("#grab-button")
        assert button.is_enabled()
        screenshot(phone, "h5-coupons-grab-390")

        button.click()
        result = phone.locator("#result .cp-result")
        result.wait_for()
        assert "抢到了" in result.inner_text()
        code = phone.locator("[data-testid=coupon-code]").inner_text().strip()
        assert code
        screenshot(phone, "h5-coupons-claimed-390")

        button.click()
        phone.locator("#result [data-problem=coupon-already-claimed]").wait_for()
        assert phone.locator("[data-testid=coupon-code]").count() == 0
        screenshot(phone, "h5-coupons-already-claimed-390")

        phone.click("#result a[href='/h5/coupons']")
        phone.wait_for_url(f"{server}/h5/coupons")
        coupons = phone.locator(".cp-coupon")
        assert coupons.count() == 1
        assert code in coupons.inner_text()
        assert "满99减3" in coupons.inner_text()
        screenshot(phone, "h5-coupons-mine-390")
    finally:
        context.close()
