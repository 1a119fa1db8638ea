"""Log in, switch language, look at the home page: in a real Chromium."""

from __future__ import annotations

import pytest

from siyu.demo.seed import DEMO_OPERATORS, DEMO_PASSWORD
from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def test_login_language_switch_and_home(server: str, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{server}/")
    assert page.url.endswith("/login")
    assert page.locator("h1").inner_text() == "登录运营后台"
    screenshot(page, "login-zh")

    page.fill("input[name=email]", DEMO_OPERATORS[0][0])
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{server}/")
    assert page.locator(".topbar h1").inner_text() == "概览"
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    page.wait_for_selector(".chart canvas")  # ECharts served locally drew the chart
    screenshot(page, "home-zh")

    page.click(".lang-switch button[value=en]")
    page.wait_for_load_state("networkidle")
    assert page.locator(".topbar h1").inner_text() == "Overview"
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Welcome back" in page.locator(".lead").inner_text()
    screenshot(page, "home-en")

    page.click(".lang-switch button[value=zh_CN]")
    page.wait_for_load_state("networkidle")
    assert page.locator(".topbar h1").inner_text() == "概览"


def test_wrong_password_shows_an_error(server: str, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{server}/login")
    page.fill("input[name=email]", DEMO_OPERATORS[2][0])
    page.fill("input[name=password]", "not-the-password")
    page.click("button.primary")
    assert page.locator(".alert.error").inner_text() == "邮箱或密码错误"


def test_workspace_switcher_and_token_revoke(server: str, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{server}/login")
    page.fill("input[name=email]", DEMO_OPERATORS[0][0])
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{server}/")
    page.goto(f"{server}/settings/tokens")
    page.fill("input[name=name]", "直播间大屏")
    page.click("form.inline-form button.primary")
    assert page.locator("#new-token").inner_text().startswith("siyu_")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("tr", has_text="直播间大屏").locator("button.danger").click()
    page.locator("tr", has_text="直播间大屏").locator(".badge.muted").wait_for()
    screenshot(page, "tokens-zh")

    page.select_option("#workspace-select", label="小鹿美妆旗舰店（演示）")
    page.wait_for_load_state("networkidle")
    assert "小鹿美妆旗舰店" in page.locator(".lead").inner_text()


def test_fan_page_shell_is_mobile(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.goto(f"{server}/h5/")
    assert page.locator(".h5-bar").inner_text() == "会员中心"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing overflows a phone screen
    screenshot(page, "h5-landing")
    context.close()
