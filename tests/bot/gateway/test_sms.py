"""The SMS channel: Twilio signatures (built with twilio's own RequestValidator), MessageSid dedupe,
replies through notify to the local Twilio test server, keywords, long answers, rate limits."""
from __future__ import annotations

import uuid

from twilio.request_validator import RequestValidator

from conversations.models import ANSWERED, HELD, LIMITED, Conversation, Message
from notify.models import Notification
from tests.bot.gateway.conftest import PUBLIC_BASE_URL, TWILIO_TOKEN
from tests.support.workers import run_burst

PHONE = "+8613812345678"


def inbound_form(body: str, sid: str | None = None, phone: str = PHONE) -> dict:
    return {"MessageSid": sid or "SM" + uuid.uuid4().hex, "SmsSid": sid or "", "AccountSid": "AC" + "0" * 32,
            "From": phone, "To": "+8610690000", "Body": body, "NumMedia": "0"}


def signed_post(client, path: str, form: dict, token: str = TWILIO_TOKEN, query: str = ""):
    url = PUBLIC_BASE_URL + path + (f"?{query}" if query else "")
    signature = RequestValidator(token).compute_signature(url, form)
    return client.post(path + (f"?{query}" if query else ""), data=form,
                       headers={"X-Twilio-Signature": signature})


def test_valid_signature_is_accepted_and_answered_with_empty_twiml(twilio, client):
    response = signed_post(client, "/sms/inbound", inbound_form("你好"))
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    assert "<Response" in response.get_data(as_text=True) and "<Message" not in response.get_data(as_text=True)


def test_forged_or_missing_signatures_are_403_and_store_nothing(twilio, client, db):
    form = inbound_form("你好")
    assert client.post("/sms/inbound", data=form).status_code == 403
    assert signed_post(client, "/sms/inbound", form, token="not-the-token").status_code == 403
    # Signed for other parameters (a changed body) → 403.
    good = RequestValidator(TWILIO_TOKEN).compute_signature(PUBLIC_BASE_URL + "/sms/inbound", form)
    tampered = {**form, "Body": "改过的内容"}
    assert client.post("/sms/inbound", data=tampered, headers={"X-Twilio-Signature": good}).status_code == 403
    # Signed for the internal URL instead of the public one (behind a proxy) → 403.
    internal = RequestValidator(TWILIO_TOKEN).compute_signature("http://localhost/sms/inbound", form)
    assert client.post("/sms/inbound", data=form, headers={"X-Twilio-Signature": internal}).status_code == 403
    assert client.post("/sms/status", data={"MessageSid": "SM1", "MessageStatus": "delivered"}).status_code == 403
    assert db.query(Message).count() == 0


def test_the_bot_reply_reaches_the_twilio_test_server_through_notify(twilio, rasa, client, db, redis_url):
    assert signed_post(client, "/sms/inbound", inbound_form("你好")).status_code == 200
    run_burst(redis_url)
    conversation = db.query(Conversation).one()
    assert (conversation.channel, conversation.phone) == ("sms", PHONE)
    assert rasa.messages_from(conversation.id) == ["你好"]
    [sent] = twilio.messages_to(PHONE)
    assert "收到：你好" in sent["body"]
    notification = db.query(Notification).one()
    assert notification.template == "bot_reply_sms" and notification.provider_ref == sent["sid"]


def test_a_twilio_retry_with_the_same_message_sid_is_answered_once(twilio, rasa, client, db, redis_url):
    form = inbound_form("你好", sid="SM" + "a" * 32)
    assert signed_post(client, "/sms/inbound", form).status_code == 200
    run_burst(redis_url)
    assert signed_post(client, "/sms/inbound", form).status_code == 200
    run_burst(redis_url)
    assert db.query(Message).filter(Message.author == "applicant").count() == 1
    assert len(rasa.turns) == 1
    assert len(twilio.messages_to(PHONE)) == 1


def test_the_phone_number_keys_the_conversation(twilio, rasa, client, db, redis_url):
    signed_post(client, "/sms/inbound", inbound_form("一"))
    signed_post(client, "/sms/inbound", inbound_form("二"))
    signed_post(client, "/sms/inbound", inbound_form("三", phone="+8613900001111"))
    run_burst(redis_url)
    conversations = {c.phone: c.id for c in db.query(Conversation)}
    assert rasa.messages_from(conversations[PHONE]) == ["一", "二"]
    assert rasa.messages_from(conversations["+8613900001111"]) == ["三"]


def test_long_answers_become_two_segments_plus_a_link(twilio, rasa, client, redis_url):
    signed_post(client, "/sms/inbound", inbound_form("长"))
    run_burst(redis_url)
    [sent] = twilio.messages_to(PHONE)
    text, link_line = sent["body"].rsplit("\n", 1)
    assert link_line == "详情：http://127.0.0.1/checklist/restaurant"
    assert text.endswith("…")
    from core.config import get_settings

    assert len(text) - len(get_settings().sms_signature) <= 2 * 67


def test_buttons_are_numbered_and_a_number_reply_sends_the_payload(twilio, rasa, client, redis_url):
    signed_post(client, "/sms/inbound", inbound_form("选项"))
    run_burst(redis_url)
    assert "回复数字选择：1.饭店 2.便利店" in twilio.messages_to(PHONE)[0]["body"]
    signed_post(client, "/sms/inbound", inbound_form("2"))
    run_burst(redis_url)
    assert rasa.turns[-1][1] == "/choose_scenario{\"scenario\": \"store\"}"


def test_opt_out_keywords_stop_non_essential_sms_and_say_results_still_come(twilio, rasa, client, db, redis_url):
    from notify.policies import is_opted_out

    for word, phone in (("退订", PHONE), ("TD", "+8613900002222"), ("t", "+8613900003333")):
        signed_post(client, "/sms/inbound", inbound_form(word, phone=phone))
        run_burst(redis_url)
        assert is_opted_out(db, phone)
        [confirmation] = twilio.messages_to(phone)
        assert "退订" in confirmation["body"] and "预审" in confirmation["body"] and "仍会" in confirmation["body"]
    assert rasa.turns == []   # keywords are the gateway's, never the bot's


def test_keyword_human_queues_the_conversation_and_later_messages_are_held(twilio, rasa, client, db, redis_url):
    signed_post(client, "/sms/inbound", inbound_form("人工"))
    run_burst(redis_url)
    conversation = db.query(Conversation).one()
    assert conversation.status == "waiting"
    assert "人工" in twilio.messages_to(PHONE)[0]["body"]
    signed_post(client, "/sms/inbound", inbound_form("我的营业执照办到哪了"))
    run_burst(redis_url)
    db.expire_all()
    held = db.query(Message).filter(Message.text == "我的营业执照办到哪了").one()
    assert held.state == HELD
    assert rasa.turns == []


def test_sms_rate_limit_stores_the_message_and_warns_once(twilio, rasa, client, db, redis_url, monkeypatch):
    from core.config import reset_settings

    monkeypatch.setenv("SMS_RATE_LIMIT_PER_MINUTE", "2")
    reset_settings()
    for n in range(4):
        signed_post(client, "/sms/inbound", inbound_form(f"消息{n}"))
    run_burst(redis_url)
    states = [m.state for m in db.query(Message).filter(Message.author == "applicant").order_by(Message.id)]
    assert states == [ANSWERED, ANSWERED, LIMITED, LIMITED]
    assert len(rasa.turns) == 2
    bodies = [m["body"] for m in twilio.messages_to(PHONE)]
    assert sum("频繁" in b for b in bodies) == 1


def test_signed_status_callbacks_update_notify_records(twilio, rasa, client, db, redis_url):
    signed_post(client, "/sms/inbound", inbound_form("你好"))
    run_burst(redis_url)
    notification = db.query(Notification).one()
    callback = {"MessageSid": notification.provider_ref, "MessageStatus": "delivered",
                "AccountSid": twilio.account_sid, "To": PHONE}
    response = signed_post(client, "/sms/status", callback, query=f"n={notification.id}")
    assert response.status_code == 204
    db.expire_all()
    assert db.get(Notification, notification.id).status == "delivered"
