"""Public channels in a real Chromium, in Chinese and in English: the figures' charts over the
demo's imported exports, the calendar's month, an export uploaded with its rejected row, the
content → GMV report, and a post's short link opened on a phone."""

from __future__ import annotations

import pytest

from siyu.demo.seed import DEMO_OPERATORS, DEMO_PASSWORD
from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser

EXPORT = (
    "作品ID,作品描述,发布时间,播放量,点赞数,评论数,分享数,涨粉数\n"
    "ks-browser-1,浏览器里导入的作品,2026-11-03 20:00,1.2万,356,40,12,8\n"
    "ks-browser-2,坏数字,2026-11-03 21:00,很多,1,1,1,1\n"
)


def _log_in(page, server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{server}/login")
    page.fill("input[name=email]", DEMO_OPERATORS[0][0])
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{server}/")


def test_content_pages_in_chinese_and_english(server: str, browser, page, tmp_path) -> None:  # type: ignore[no-untyped-def]
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    _log_in(page, server)

    page.click("nav a[href='/content']")
    page.wait_for_url(f"{server}/content")
    for chart in ("#chart-weeks", "#chart-history", "#chart-followers"):
        page.wait_for_selector(f"{chart} canvas")
    assert "抖音" in page.inner_text("main") and "哔哩哔哩" in page.inner_text("main")
    screenshot(page, "content-figures")

    page.goto(f"{server}/content/calendar?view=month")
    assert page.locator(".cal-day").count() >= 28
    assert page.locator(".cal-day li").count() > 10
    assert "直播预告" in page.inner_text("main")
    screenshot(page, "content-calendar")

    export = tmp_path / "快手作品数据.csv"
    export.write_text(EXPORT, encoding="utf-8-sig")
    page.goto(f"{server}/content/imports")
    page.set_input_files("input[name=files]", str(export))
    page.click("form[action='/content/imports'] button.primary")
    page.wait_for_url(f"{server}/content/imports/*")
    text = page.inner_text("main")
    assert "快手作品数据.csv" in text and "很多" in text and "不是数量" in text
    screenshot(page, "content-upload")

    page.goto(f"{server}/content/report")
    page.wait_for_selector("#chart-report canvas")
    assert page.locator(".funnel li").count() == 4
    screenshot(page, "content-report")

    page.context.add_cookies([{"name": "siyu_lang", "value": "en", "url": server}])
    page.goto(f"{server}/content/report")
    assert "Fans added" in page.inner_text("main") and "Cost per added fan" in page.inner_text(
        "main"
    )
    page.goto(f"{server}/content/posts?platform=douyin")
    link = page.locator(".link-code").first.inner_text()
    assert "/p/" in link
    screenshot(page, "content-posts-en")
    assert not errors, errors

    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    fan_page = phone.new_page()
    fan_page.goto(server + link[link.index("/p/") :])
    assert "/h5/content/" in fan_page.url
    fan_page.wait_for_selector("h1")
    screenshot(fan_page, "content-landing")
    phone.close()


def test_an_accounts_own_figures(server: str, page) -> None:  # type: ignore[no-untyped-def]
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    _log_in(page, server)
    page.goto(f"{server}/content/accounts")
    row = page.locator("tr", has=page.get_by_text("小鹿直播间", exact=True))
    row.locator("a[href^='/content/accounts/']").click()
    page.wait_for_url(f"{server}/content/accounts/*")
    for chart in ("#chart-weeks", "#chart-history", "#chart-followers"):
        page.wait_for_selector(f"{chart} canvas")
    text = page.inner_text("main")
    assert "小鹿直播间" in text and "抖音" in text and "净增" in text
    assert page.locator("table.table tbody tr").count() >= 1
    screenshot(page, "content-account")
    assert not errors, errors
