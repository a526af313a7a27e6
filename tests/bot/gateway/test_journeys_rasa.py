"""Journeys through the gateway against the real Rasa server and action server (marked rasa, slow):
web chat to the one-time notification checklist, a signed SMS answered through notify, and a handoff
with staff takeover (held message absent from Rasa's tracker) and hand-back (Rasa resumed)."""
from __future__ import annotations

import uuid
from urllib.parse import urlparse

import pytest
import requests

from core.config import reset_settings
from tests.bot.gateway.conftest import PUBLIC_BASE_URL, TWILIO_TOKEN

MAX_STEPS = 12


@pytest.fixture
def real_bot(rasa_env, rasa_stack, monkeypatch):
    """The gateway's settings pointed at the real stack (its database, Redis, Rasa and action server)."""
    monkeypatch.setenv("RASA_URL", rasa_stack.rasa_url)
    monkeypatch.setenv("ACTION_SERVER_URL", rasa_stack.action_server_url)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TWILIO_TOKEN)
    monkeypatch.setenv("PUBLIC_BASE_URL", PUBLIC_BASE_URL)
    reset_settings()
    from bot.gateway import create_app

    app = create_app()
    app.config.update(TESTING=True)
    return app.test_client()


def user_texts(rasa_stack, sender: str) -> list[str]:
    return [e.get("text") for e in rasa_stack.tracker(sender)["events"] if e.get("event") == "user"]


def follow_to_checklist(client, first_text: str) -> tuple[str, str]:
    """Chat until the bot gives the checklist link, always taking the first quick reply."""
    body = client.post("/api/chat/messages", json={"text": first_text}).get_json()
    conversation_id = body["conversation_id"]
    for _ in range(MAX_STEPS):
        links = [m["link"] for m in body["messages"] if "/checklist/" in (m.get("link") or "")]
        if links:
            return conversation_id, links[0]
        buttons = [b for m in body["messages"] for b in m.get("buttons", [])]
        assert buttons, f"the bot neither asked nor answered: {body['messages']}"
        body = client.post("/api/chat/messages", json={"conversation_id": conversation_id,
                                                       "text": buttons[0]["payload"]}).get_json()
    raise AssertionError("no checklist link after the questions")


def test_web_chat_reaches_the_one_time_notification_checklist(real_bot):
    conversation_id, link = follow_to_checklist(real_bot, "我想开一家饭店")
    url = urlparse(link)
    page = real_bot.get(f"{url.path}?{url.query}")
    assert page.status_code == 200
    assert "一次性告知清单" in page.get_data(as_text=True)
    transcript = real_bot.get(f"/api/chat/{conversation_id}/messages").get_json()["messages"]
    assert transcript[0]["author"] == "applicant" and transcript[0]["text"] == "我想开一家饭店"


def test_handoff_takeover_holds_messages_and_hand_back_resumes_rasa(real_bot, rasa_stack):
    from conversations.models import Conversation
    from core.db import session_scope
    from bot.gateway import routing

    body = real_bot.post("/api/chat/messages", json={"text": "转人工"}).get_json()
    conversation_id = body["conversation_id"]
    assert body["handoff"] is True
    with session_scope() as session:
        assert session.get(Conversation, conversation_id).status == "waiting"
        routing.take_over(session, session.get(Conversation, conversation_id), account_id=1)

    held = real_bot.post("/api/chat/messages", json={"conversation_id": conversation_id,
                                                     "text": "我的营业执照什么时候能拿到"}).get_json()
    assert held["messages"] == [] and held["handoff"] is True
    assert "我的营业执照什么时候能拿到" not in user_texts(rasa_stack, conversation_id)

    with session_scope() as session:
        routing.hand_back(session, session.get(Conversation, conversation_id), account_id=1)
    assert rasa_stack.tracker(conversation_id)["paused"] is False
    again = real_bot.post("/api/chat/messages", json={"conversation_id": conversation_id,
                                                      "text": "我想开一家饭店"}).get_json()
    assert again["handoff"] is False and again["messages"], [m["text"] for m in again["messages"]]
    assert user_texts(rasa_stack, conversation_id)[-1] == "我想开一家饭店"


def test_messages_left_pending_are_answered_in_order_in_one_pass(real_bot, rasa_stack):
    # what the retry job does after Rasa was down: every pending message, oldest first, one turn each
    from conversations import store
    from conversations.models import ANSWERED, BOT_AUTHOR, Conversation
    from core.db import session_scope
    from bot.gateway import routing

    conversation_id = real_bot.post("/api/chat/messages", json={"text": "你好"}).get_json()["conversation_id"]
    with session_scope() as session:
        conversation = session.get(Conversation, conversation_id)
        kept = [routing.receive(session, conversation, text) for text in ("什么是1+N+X多证合一", "谢谢")]
        session.flush()
        kept_ids = [m.id for m in kept]
    results = routing.answer_pending(conversation_id)
    assert [r.applicant_message_id for r in results] == kept_ids
    assert all(r.reply_ids for r in results)
    assert user_texts(rasa_stack, conversation_id)[-2:] == ["什么是1+N+X多证合一", "谢谢"]
    with session_scope() as session:
        assert store.pending_messages(session, conversation_id) == []
        transcript = store.messages_after(session, conversation_id)
        assert all(m.state == ANSWERED for m in transcript if m.id in kept_ids)
        # the first question's answer is stored before the second's, both by the bot
        assert max(results[0].reply_ids) < min(results[1].reply_ids)
        replies = {m.id: m.author for m in transcript}
        assert {replies[i] for r in results for i in r.reply_ids} == {BOT_AUTHOR}
    assert routing.answer_pending(conversation_id) == []


def test_sms_turn_through_the_real_bot_reaches_the_twilio_test_server(real_bot, rasa_stack, monkeypatch):
    from devtools.twilio_testserver import TwilioTestServer
    from twilio.request_validator import RequestValidator
    from tests.support.workers import run_burst

    twilio = TwilioTestServer(auth_token=TWILIO_TOKEN).start()
    try:
        for name, value in twilio.env().items():
            monkeypatch.setenv(name, value)
        reset_settings()
        form = {"MessageSid": "SM" + uuid.uuid4().hex, "From": "+8613812345678", "To": "+8610690000",
                "Body": "开饭店要办哪些证"}
        signature = RequestValidator(TWILIO_TOKEN).compute_signature(PUBLIC_BASE_URL + "/sms/inbound", form)
        assert real_bot.post("/sms/inbound", data=form, headers={"X-Twilio-Signature": signature}).status_code == 200
        run_burst(rasa_stack.redis_url)
        [sent] = twilio.messages_to("+8613812345678")
        assert len(sent["body"]) > 10
    finally:
        twilio.stop()
