"""Fans are reachable, in a real Chromium against `siyu demo --port N`: the 360 page makes a
fan link on the demo's own port (copy button, QR image), the link opens the fan's home at phone
width with coupons and groups one tap away, the mall grid is even, and an anonymous scan of the
open live code lands in a group and shows its join code."""

from __future__ import annotations

import pytest

from siyu.demo.seed import DEMO_OPERATORS, DEMO_PASSWORD, DEMO_SLUG
from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def _log_in(page, server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{server}/login")
    page.fill("input[name=email]", DEMO_OPERATORS[2][0])  # an operator
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{server}/")


def _fits_the_phone(page) -> None:  # type: ignore[no-untyped-def]
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide"


def test_a_fan_link_from_the_360_page_opens_the_fan_s_pages(  # type: ignore[no-untyped-def]
    server: str, page, browser
) -> None:
    _log_in(page, server)
    page.goto(f"{server}/customers")
    page.locator("table.table tbody tr a").first.click()
    page.wait_for_url(f"{server}/customers/*")
    page.locator("#fan-link button[type=submit]").click()
    url = page.locator("#fan-link-url").inner_text()
    assert url.startswith(f"{server}/h5/open?t=")  # the demo's real port, not 8000
    assert page.locator("#fan-link img.qr").is_visible()
    page.locator("#activity").wait_for()  # the merged timeline
    page.locator("#groups").wait_for()
    page.locator("#coupons").wait_for()
    screenshot(page, "reach-fan-360")

    phone = browser.new_context(viewport=PHONE, is_mobile=True).new_page()
    phone.goto(url)
    phone.wait_for_url(f"{server}/h5/me")
    assert phone.locator("a[href='/h5/coupons']").is_visible()
    assert phone.locator("a[href='/h5/groups']").is_visible()
    assert "即将开放" not in phone.content()
    _fits_the_phone(phone)
    screenshot(phone, "reach-fan-home-390")

    phone.goto(f"{server}/h5/points/mall?shelf=essentials")
    cards = phone.locator(".pt-item")
    assert cards.count() >= 2
    heights = {round(cards.nth(i).bounding_box()["height"]) for i in range(cards.count())}
    widths = {round(cards.nth(i).bounding_box()["width"]) for i in range(cards.count())}
    assert len(heights) == 1 and len(widths) == 1, (heights, widths)
    _fits_the_phone(phone)
    screenshot(phone, "reach-mall-390")

    phone.goto(f"{server}/h5/groups")
    _fits_the_phone(phone)
    screenshot(phone, "reach-my-groups-390")
    phone.context.close()


def test_an_anonymous_scan_lands_in_a_group(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    phone = browser.new_context(viewport=PHONE, is_mobile=True).new_page()
    phone.goto(f"{server}/h5/g/{DEMO_SLUG}/xiaolu-new")
    assert "小鹿新粉2群" in phone.locator("h2").inner_text()  # the first group is full
    code = phone.locator("img.gq-code")
    assert code.is_visible() and code.bounding_box()["width"] >= 200
    _fits_the_phone(phone)
    screenshot(phone, "reach-live-code-390")
    phone.context.close()


def test_the_console_shows_live_codes_and_the_segment_builder(server: str, page) -> None:  # type: ignore[no-untyped-def]
    _log_in(page, server)
    page.goto(f"{server}/community/families")
    assert page.locator("td.live-code img.qr").count() >= 3
    assert f"{server}/h5/g/{DEMO_SLUG}/xiaolu-new" in page.content()
    screenshot(page, "reach-live-codes")

    page.goto(f"{server}/analytics/segments")
    page.select_option("select[name=b_field]", "rfm_segment")
    page.locator("#builder-controls select[name=b_value]").wait_for()
    page.select_option("#builder-controls select[name=b_value]", "Champions")
    page.click("button:has-text('添加条件')")
    page.locator("#filter-input").wait_for()
    page.wait_for_function(
        "document.querySelector('#filter-input').value.includes('rfm_segment = \"Champions\"')"
    )
    page.locator("#preview .segment-count").wait_for()
    screenshot(page, "reach-segment-builder")
