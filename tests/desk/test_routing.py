"""B-post routing: take a handoff from the bot queue, escalate the conversation or one question; the
expert's answer reaches the applicant in their own channel (web chat message or SMS)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.gateway.routing import mark_waiting
from conversations import store
from conversations.models import APPLICANT, HUMAN, NOTE, SMS as SMS_CHANNEL, SYSTEM
from desk import escalations, routing
from desk.errors import InvalidTransition, NotPermitted
from desk.models import KIND_CONVERSATION, KIND_QUESTION
from notify.models import CHAT, DELIVERED, SMS, Notification
from tests.support.workers import run_burst


def waiting_conversation(db, channel="web", phone=None):
    conversation = store.get_or_create(db, channel=channel, phone=phone)
    store.append(db, conversation.id, APPLICANT, "你好，我想开一家奶茶店")
    question = store.append(db, conversation.id, APPLICANT, "奶茶店现场制作要不要办食品经营许可？")
    mark_waiting(db, conversation, "机器人无法回答")
    db.commit()
    return conversation, question


def test_b_post_takes_a_handoff_first_come_first_served(db, staff):
    conversation, _ = waiting_conversation(db)
    assert routing.waiting_conversations(db) == [conversation]
    with pytest.raises(NotPermitted):
        routing.take(db, conversation.id, staff.a_market)
    routing.take(db, conversation.id, staff.b_post)
    db.commit()
    assert (conversation.status, conversation.owner_id) == (HUMAN, staff.b_post.id)
    assert routing.owned_conversations(db, staff.b_post) == [conversation]
    with pytest.raises(InvalidTransition):
        routing.take(db, conversation.id, staff.b_post2)
    assert routing.waiting_conversations(db) == []


def test_b_post_escalates_one_question_and_the_answer_reaches_the_web_chat(db, staff, redis_url):
    conversation, question = waiting_conversation(db)
    with pytest.raises(NotPermitted):                 # take it first
        routing.escalate(db, staff.b_post, conversation.id, "市场监管", message_id=question.id)
    routing.take(db, conversation.id, staff.b_post)
    with pytest.raises(NotPermitted):                 # only the owner (or the chief) escalates
        routing.escalate(db, staff.b_post2, conversation.id, "市场监管", message_id=question.id)
    escalation = routing.escalate(db, staff.b_post, conversation.id, "市场监管", note="现制现售饮品",
                                  message_id=question.id)
    db.commit()
    assert (escalation.kind, escalation.question, escalation.origin_role) == (
        KIND_QUESTION, "奶茶店现场制作要不要办食品经营许可？", "b_post")
    notes = [m.text for m in store.messages_after(db, conversation.id, include_notes=True) if m.author == NOTE]
    assert any("已升级至市场监管A岗" in n and "现制现售饮品" in n for n in notes)

    with pytest.raises(NotPermitted):                 # a B-post cannot answer for a department
        escalations.answer(db, escalation.id, staff.b_post, "需要")
    escalations.claim(db, escalation.id, staff.a_market)
    escalations.answer(db, escalation.id, staff.a_market, "需要办理食品经营许可（仅销售预包装食品的除外）。")
    db.commit()
    chat = db.scalar(select(Notification).where(Notification.template == "escalation_answer"))
    assert (chat.channel, chat.recipient) == (CHAT, conversation.id)

    run_burst(redis_url)
    db.expire_all()
    assert db.get(Notification, chat.id).status == DELIVERED
    shown = [m.text for m in store.messages_after(db, conversation.id) if m.author == SYSTEM]
    assert any("需要办理食品经营许可" in text for text in shown)     # the applicant sees the answer
    assert escalations.inbox(db, staff.b_post) == [escalation]


def test_whole_sms_conversation_escalated_answer_goes_by_sms(db, staff, redis_url, sms_any_hour):
    conversation, _ = waiting_conversation(db, channel=SMS_CHANNEL, phone="+8613900139000")
    routing.take(db, conversation.id, staff.b_post)
    escalation = routing.escalate(db, staff.b_post, conversation.id, "消防")
    assert escalation.kind == KIND_CONVERSATION
    assert escalation.question == "你好，我想开一家奶茶店\n奶茶店现场制作要不要办食品经营许可？"
    escalations.reassign(db, escalation.id, staff.chief, department="市场监管", note="属于食品经营许可")
    escalations.claim(db, escalation.id, staff.a_market)
    escalations.answer(db, escalation.id, staff.a_market, "需要办理食品经营许可。")
    db.commit()
    sms = db.scalar(select(Notification).where(Notification.template == "escalation_answer"))
    assert (sms.channel, sms.recipient) == (SMS, "+8613900139000")
    run_burst(redis_url)
    db.expire_all()
    assert db.get(Notification, sms.id).status == DELIVERED
