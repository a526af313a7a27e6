"""An applicant completes a one-time notification (一次性告知) journey in the web chat, against the real
Rasa server and action server, and opens the full checklist page."""
from __future__ import annotations

from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser]
MAX_STEPS = 12


def test_applicant_gets_the_checklist_in_the_web_chat(live_real_gateway, phone_page):
    page = phone_page
    page.goto(live_real_gateway.url + "/")
    page.get_by_label("输入您的问题").fill("我想开一家饭店")
    page.keyboard.press("Enter")
    details = page.locator(".msg-bot a", has_text="查看详情")
    for step in range(MAX_STEPS):
        bots = page.locator(".msg-bot")
        expect(bots.first).to_be_visible()
        page.wait_for_function("!document.getElementById('chat-send').disabled")
        if details.count():
            break
        buttons = bots.last.locator(".quick button")
        assert buttons.count(), f"the bot neither asked nor answered: {bots.last.inner_text()}"
        screenshot(page, f"onetime-{step}")
        before = bots.count()
        buttons.first.click()
        page.wait_for_function(f"document.querySelectorAll('.msg-bot').length > {before}")
    expect(details.first).to_be_visible()
    screenshot(page, "onetime-answered")
    # The link is absolute with the action server's PUBLIC_BASE_URL (the session stack's); open its path here.
    href = urlparse(details.first.get_attribute("href"))
    assert href.path.startswith("/checklist/")
    page.goto(f"{live_real_gateway.url}{href.path}?{href.query}")
    expect(page.get_by_role("heading", name="一次性告知清单")).to_be_visible()
    expect(page.locator(".qr img")).to_be_visible()
    screenshot(page, "onetime-checklist-page")
