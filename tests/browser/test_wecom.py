"""WeCom in a real Chromium against the demo's fake corp: the chat sidebar at phone width,
signed in through the corp's OAuth, showing a fan's last-year spend; and the live codes page
with its channel chart."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from siyu.connectors.wecom.demo import STAFF
from siyu.demo.seed import DEMO_OPERATORS, DEMO_PASSWORD, DEMO_SLUG
from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def test_sidebar_at_phone_width(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    try:
        sidebar = f"/wecom/sidebar?workspace={DEMO_SLUG}&external_userid=wmdemo0000"
        userid = STAFF[0][0]
        page.goto(
            f"{server}/wecom-fake/connect/oauth2/authorize?userid={userid}&redirect_uri={quote(sidebar)}"
        )
        page.wait_for_url(f"{server}/wecom/sidebar?*")
        spend = page.locator("#spend-12m")
        spend.wait_for()
        assert spend.inner_text().startswith("¥")
        assert (
            page.locator("h2", has_text="积分").count()
            + page.locator("h2", has_text="Points").count()
            >= 1
        )
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"]  # nothing wider than the phone
        page.fill("textarea[name=body]", "喜欢粉色系，下次上新提醒她")
        page.click("form[action='/wecom/sidebar/note'] button")
        page.locator("li", has_text="喜欢粉色系").wait_for()
        screenshot(page, "wecom-sidebar")
    finally:
        context.close()


def test_live_codes_page(server: str, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{server}/login")
    page.fill("input[name=email]", DEMO_OPERATORS[0][0])
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{server}/")
    page.goto(f"{server}/wecom/live-codes")
    page.wait_for_selector(".chart canvas")  # adds, losses and GMV per channel
    assert page.locator("img.qr").count() == 3
    screenshot(page, "wecom-live-codes")
