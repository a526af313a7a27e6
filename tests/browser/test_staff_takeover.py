"""A staff member takes over a web conversation and the applicant sees the reply without reloading —
against the real Rasa server and action server; hand-back resumes Rasa with its context."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from core.accounts import WINDOW_STAFF, create_account
from core.db import session_scope
from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def send(page, text: str) -> None:
    page.get_by_label("输入您的问题").fill(text)
    page.keyboard.press("Enter")


def bot_answers(page):
    """Wait until the page has the bot's answer to the last message (the send button is enabled again)."""
    page.wait_for_function("!document.getElementById('chat-send').disabled")
    return page.locator(".msg-bot")


def user_texts(rasa_stack, conversation_id: str) -> list[str]:
    return [e.get("text") for e in rasa_stack.tracker(conversation_id)["events"] if e.get("event") == "user"]


def test_staff_takes_over_and_the_applicant_sees_the_reply(live_real_gateway, rasa_stack, phone_page, desk_page):
    """Against the real Rasa server and action server: handoff, takeover, reply, hand-back."""
    with session_scope() as session:
        create_account(session, "wang", "correct-horse-1", WINDOW_STAFF, display_name="王窗口")

    applicant = phone_page
    applicant.goto(live_real_gateway.url + "/")
    expect(applicant.get_by_role("heading", name="开办企业 · 一次告知")).to_be_visible()
    send(applicant, "我想开一家饭店")
    expect(bot_answers(applicant).last.locator(".quick button").first).to_be_visible()   # a clarifying question
    conversation_id = applicant.evaluate("window.localStorage.getItem('yici.conversation')")
    scenario = rasa_stack.tracker(conversation_id)["slots"].get("scenario_id")
    assert scenario, "the bot did not recognise the scenario"
    send(applicant, "转人工")
    expect(applicant.locator("#chat-status")).to_contain_text("已转人工")
    screenshot(applicant, "takeover-1-applicant-waiting")

    desk = desk_page
    desk.goto(live_real_gateway.url + "/staff/")
    desk.get_by_label("用户名").fill("wang")
    desk.get_by_label("密码").fill("correct-horse-1")
    desk.get_by_role("button", name="登录").click()
    expect(desk.get_by_role("heading", name="待接入队列（1）")).to_be_visible()
    screenshot(desk, "takeover-2-staff-queue")
    desk.get_by_role("button", name="接入").click()
    expect(desk.locator("#conversation-status")).to_have_text("人工服务中")
    expect(desk.locator("#transcript")).to_contain_text("转人工")

    send(applicant, "请问营业执照多久能办好？")
    expect(desk.locator("#transcript")).to_contain_text("请问营业执照多久能办好？")   # live view (polling)
    desk.get_by_label("回复申请人").fill("一般1个工作日内办结，材料齐全的话当天就可以。")
    desk.get_by_role("button", name="发送回复").click()
    screenshot(desk, "takeover-3-staff-replied")

    expect(applicant.locator(".msg-staff")).to_contain_text("一般1个工作日内办结")   # no reload
    screenshot(applicant, "takeover-4-applicant-sees-reply")
    assert "请问营业执照多久能办好？" not in user_texts(rasa_stack, conversation_id)   # held: never reached Rasa

    desk.get_by_role("button", name="交回智能助手").click()
    expect(desk.locator("#conversation-status")).to_have_text("智能助手服务中")
    tracker = rasa_stack.tracker(conversation_id)
    assert tracker["paused"] is False and tracker["slots"].get("scenario_id") == scenario   # resumed, with context
    before = applicant.locator(".msg-bot").count()
    send(applicant, "你好")
    applicant.wait_for_function(f"document.querySelectorAll('.msg-bot').length > {before}")
    expect(bot_answers(applicant).last).not_to_be_empty()
    assert user_texts(rasa_stack, conversation_id)[-1] == "你好"
    screenshot(applicant, "takeover-5-bot-resumed")


def test_the_chat_escapes_html_and_is_keyboard_operable(live_gateway, phone_page):
    page = phone_page
    page.goto(live_gateway.url + "/")
    page.keyboard.press("Tab")       # skip link first
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "chat-input"
    page.keyboard.type("<img src=x onerror=alert(1)>")
    page.keyboard.press("Enter")
    expect(page.locator(".msg-bot").last).to_contain_text("收到：<img src=x onerror=alert(1)>")
    assert page.locator(".chat-log img").count() == 0
    assert page.get_attribute("#chat-log", "aria-live") == "polite"
