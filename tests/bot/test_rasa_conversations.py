"""Every journey through the real Rasa server and action server (REST channel, as the gateway calls it)."""
from __future__ import annotations

import uuid

from sqlalchemy import select

from bot.actions.ratings import ServiceRating
from core.db import new_session

ID_NUMBER = "11010519491231002X"


class Chat:
    """One applicant talking to the stack; keeps every bot message."""

    def __init__(self, stack, sender: str | None = None):
        self.stack = stack
        self.sender = sender or uuid.uuid4().hex
        self.replies: list[dict] = []

    def say(self, text: str) -> list[dict]:
        self.replies = self.stack.send(self.sender, text)
        return self.replies

    @property
    def text(self) -> str:
        return "\n".join(reply.get("text", "") for reply in self.replies)

    @property
    def buttons(self) -> list[dict]:
        return [b for reply in self.replies for b in reply.get("buttons", [])]

    def custom(self) -> list[dict]:
        return [reply["custom"] for reply in self.replies if "custom" in reply]

    def answer_questions(self, limit: int = 12) -> None:
        """Click the first option of every clarifying question until the checklist appears."""
        for _ in range(limit):
            if "一次性告知" in self.text:
                return
            assert self.buttons, self.text
            self.say(self.buttons[0]["payload"])
        raise AssertionError(f"the checklist never came: {self.text}")


def test_one_time_notification_with_sms_and_offer_to_apply(rasa_env, rasa_stack):
    chat = Chat(rasa_stack)
    chat.say("我想开一家饭店需要准备什么材料")
    assert "/inform" in chat.buttons[0]["payload"], chat.text  # a clarifying question from knowledge/, as buttons
    chat.answer_questions()
    assert "“1”" in chat.text and "承诺时限" in chat.text
    link = next(c["link"] for c in chat.custom() if "link" in c)
    assert "/checklist/restaurant" in link and link in chat.text
    chat.say("好的 发我手机上")
    assert "手机号码" in chat.text
    chat.say("12345")
    assert "手机号码" in chat.text  # a clear Chinese error, the question stays open
    chat.say("13812345678")
    assert "138****5678" in chat.text and "一表申请" in chat.text
    from notify.models import Notification

    with new_session() as session:
        rows = list(session.scalars(select(Notification).where(Notification.template == "checklist_link")))
    assert [(r.recipient, r.channel) for r in rows] == [("+8613812345678", "sms")]
    chat.say("不用了")
    assert any(b["payload"].startswith("/rate_service") for b in chat.buttons)


def fill_application(chat: Chat) -> None:
    chat.say("我要申请营业执照")
    assert "主体类型" in chat.text
    chat.say('/inform{"entity_type": "个体工商户"}')
    assert "拟用名称" in chat.text
    chat.say("一次面馆、一次小吃店")
    assert "区县" in chat.text
    chat.say("西湖区")
    chat.say("文一西路969号1幢101室")
    assert "经营者" in chat.text
    chat.say("我叫陈小明")
    assert "身份证" in chat.text
    chat.say("110105194912310021")
    assert "校验位" in chat.text
    chat.say(ID_NUMBER)
    chat.say("13812345678")
    assert "经营范围" in chat.text
    chat.say("餐饮服务 预包装食品销售")
    for _ in range(6):
        if "是否一并申请" not in chat.text:
            break
        chat.say("/affirm")
    assert "同意" in chat.text
    chat.say("同意")
    assert "请核对" in chat.text


def test_application_with_digression_correction_submit_and_rating(rasa_env, rasa_stack):
    chat = Chat(rasa_stack)
    chat.say("我要申请营业执照")
    chat.say('/inform{"entity_type": "个体工商户"}')
    chat.say("食品经营许可证多久能办下来")  # a guideline question in the middle of the form
    assert "来源：" in chat.text or "没有把握" in chat.text
    assert "拟用名称" in chat.text  # ... and back to the form
    chat.say("一次面馆")
    chat.say("刚才名字填错了")
    assert "重新填写拟用名称" in chat.text and "拟用名称" in chat.text
    chat.say("一次拉面馆")
    assert "区县" in chat.text
    for text in ("西湖区", "文一西路969号1幢101室", "我叫陈小明", ID_NUMBER, "13812345678", "餐饮服务 预包装食品销售"):
        chat.say(text)
    for _ in range(6):
        if "是否一并申请" not in chat.text:
            break
        chat.say("/affirm")
    chat.say("同意")
    assert "110105********002X" in chat.text and ID_NUMBER not in chat.text
    assert "一次拉面馆" in chat.text and "一次面馆、" not in chat.text
    chat.say("/affirm")
    assert "申请编号 YC" in chat.text and "2个工作日" in chat.text
    application_id = chat.text.split("申请编号 ")[1][:15]
    assert any(b["payload"].startswith("/rate_service") for b in chat.buttons)
    chat.say('/rate_service{"rating": "5"}')
    assert "感谢您的评价" in chat.text
    with new_session() as session:
        assert [r.rating for r in session.scalars(select(ServiceRating))] == [5]

    chat.say("我的申请到哪一步了")  # same conversation: no number or phone needed
    assert application_id in chat.text
    other = Chat(rasa_stack)
    other.say(f"查进度 {application_id}")
    assert "手机号码" in other.text
    other.say("13812345678")
    assert application_id in other.text and "预审" in other.text


def test_cancel_forgets_the_form(rasa_env, rasa_stack):
    chat = Chat(rasa_stack)
    chat.say("我要申请营业执照")
    chat.say('/inform{"entity_type": "个体工商户"}')
    chat.say("不办了")
    assert "已取消" in chat.text
    tracker = rasa_stack.tracker(chat.sender)
    assert tracker["active_loop"] in ({}, None) or not tracker["active_loop"].get("name")
    assert tracker["slots"]["entity_type"] is None


def test_human_handoff_on_request_pauses_the_bot(rasa_env, rasa_stack):
    chat = Chat(rasa_stack)
    chat.say("转人工")
    assert {"handoff": True, "reason": "applicant_request"} in chat.custom()
    assert rasa_stack.tracker(chat.sender)["paused"] is True


def test_bad_rating_hands_over(rasa_env, rasa_stack):
    chat = Chat(rasa_stack)
    chat.say("差评 根本没用")
    assert any(c.get("reason") == "bad_rating" for c in chat.custom())


def test_out_of_scope_is_refused_plainly(rasa_env, rasa_stack):
    chat = Chat(rasa_stack)
    chat.say("今天天气怎么样")
    assert "不在我的服务范围" in chat.text


def test_two_misunderstandings_in_a_row_hand_over(rasa_env, rasa_stack):
    chat = Chat(rasa_stack)
    chat.say("/nlu_fallback")
    assert "没有听明白" in chat.text and not chat.custom()
    chat.say("/nlu_fallback")
    assert any(c.get("reason") == "two_fallbacks" for c in chat.custom())
    assert rasa_stack.tracker(chat.sender)["paused"] is True
