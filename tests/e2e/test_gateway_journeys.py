"""Issue 7, the three journeys against the real Rasa server and action server: web chat (one-time
notification to the checklist page, the checklist sent by SMS through the worker and Twilio), SMS
(requests signed with twilio's own RequestValidator, a Twilio retry answered once, forged requests
refused, replies by number, delivery callbacks), and staff takeover and hand-back on both channels (held
messages never reach Rasa; Rasa resumes with its context)."""
from __future__ import annotations

import uuid
from urllib.parse import urlparse

from core.accounts import WINDOW_STAFF, create_account
from core.db import session_scope
from notify.models import DELIVERED, SMS
from tests.e2e.helpers import (Applicant, Staff, notifications, quiet_queues, twilio_reports_delivered,
                               twilio_signed, wait_until)

MAX_STEPS = 12
PHONE_E164 = "+8613912345678"
SMS_SEGMENT_CHARS, SMS_MAX_SEGMENTS = 67, 2


def user_texts(stack, conversation_id: str) -> list[str]:
    return [e.get("text") for e in stack.tracker(conversation_id)["events"] if e.get("event") == "user"]


def window_staff(app) -> Staff:
    with session_scope() as session:
        create_account(session, "wang", "correct-horse-1", WINDOW_STAFF, display_name="王窗口")
    return Staff(app, "wang", "correct-horse-1")


# ---- web chat ------------------------------------------------------------------------------------------

def test_web_chat_checklist_page_and_checklist_by_sms(e2e):
    applicant = Applicant(e2e.client)
    applicant.say("我想开一家饭店")
    link = None
    for _ in range(MAX_STEPS):
        link = next((m["link"] for m in applicant.last["messages"] if "/checklist/" in (m.get("link") or "")), None)
        if link:
            break
        buttons = [b for m in applicant.last["messages"] for b in m.get("buttons", [])]
        assert buttons, f"the bot neither asked nor answered: {applicant.texts()}"
        applicant.say(buttons[0]["payload"])
    assert link, "no checklist link after the scenario's questions"
    assert "营业执照" in applicant.texts()

    url = urlparse(link)
    page = e2e.client.get(f"{url.path}?{url.query}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "一次性告知清单" in html and "<img" in html        # the page with its QR code

    # The bot offers the checklist by SMS: the phone → notify → a real worker → Twilio.
    applicant.click(next(b["title"] for m in applicant.last["messages"] for b in m.get("buttons", [])
                         if "短信" in b["title"]))
    applicant.say(PHONE_E164[3:])
    [sms] = wait_until(lambda: e2e.twilio.messages_to(PHONE_E164), "the checklist SMS at Twilio")
    assert "/checklist/" in sms["body"]
    twilio_reports_delivered(e2e.client, sms)
    [row] = notifications(template="checklist_link")
    assert row.status == DELIVERED

    transcript = applicant.transcript()
    assert transcript[0]["author"] == "applicant" and transcript[0]["text"] == "我想开一家饭店"
    from conversations.models import Message

    with session_scope() as session:      # the record: every applicant message answered by the bot
        states = {m.state for m in session.query(Message).filter_by(conversation_id=applicant.conversation_id,
                                                                     author="applicant")}
    assert states == {"answered"}


# ---- SMS -------------------------------------------------------------------------------------------------

class Phone:
    """An applicant's mobile: inbound SMS as Twilio posts them (signed), answers read at the Twilio server."""

    def __init__(self, e2e, number: str = PHONE_E164):
        self.e2e, self.number = e2e, number

    def send(self, body: str, sid: str | None = None) -> str:
        form = {"MessageSid": sid or "SM" + uuid.uuid4().hex, "AccountSid": self.e2e.twilio.account_sid,
                "From": self.number, "To": "+8610690000", "Body": body, "NumMedia": "0"}
        response = self.e2e.client.post("/sms/inbound", data=form, headers=twilio_signed("/sms/inbound", form))
        assert response.status_code == 200 and "<Response" in response.get_data(as_text=True)
        return form["MessageSid"]

    def received(self) -> list[dict]:
        return self.e2e.twilio.messages_to(self.number)

    def send_and_wait(self, body: str) -> dict:
        before = len(self.received())
        self.send(body)
        answers = wait_until(lambda: len(self.received()) > before and self.received(), f"the answer to {body!r}")
        assert len(answers) == before + 1, [m["body"] for m in answers[before:]]
        twilio_reports_delivered(self.e2e.client, answers[-1])
        return answers[-1]


def test_sms_journey_signed_deduplicated_and_answered_through_twilio(e2e):
    phone = Phone(e2e)
    forged = {"MessageSid": "SM" + uuid.uuid4().hex, "From": PHONE_E164, "To": "+8610690000", "Body": "你好"}
    assert e2e.client.post("/sms/inbound", data=forged, headers={"X-Twilio-Signature": "forged"}).status_code == 403
    assert e2e.client.post("/sms/inbound", data=forged).status_code == 403

    sid = phone.send("开饭店要办哪些证")
    phone.send("开饭店要办哪些证", sid=sid)                 # Twilio retries the same MessageSid
    [first] = wait_until(phone.received, "the bot's SMS answer")
    wait_until(lambda: quiet_queues(e2e.stack.redis_url), "the worker to finish the turn")
    assert len(phone.received()) == 1                       # one answer for the retried message
    twilio_reports_delivered(e2e.client, first)

    answer = first
    for _ in range(MAX_STEPS):
        if "/checklist/" in answer["body"]:
            break
        assert "回复数字选择" in answer["body"], answer["body"]
        answer = phone.send_and_wait("1")                   # a quick reply by its number
    assert "/checklist/" in answer["body"], answer["body"]
    text = answer["body"].rsplit("\n", 1)[0]
    assert len(text) <= SMS_SEGMENT_CHARS * SMS_MAX_SEGMENTS + len("【杭州一次办】"), text

    from conversations.models import Conversation

    with session_scope() as session:
        [conversation] = session.query(Conversation).filter_by(phone=PHONE_E164).all()
        assert conversation.channel == "sms"
        conversation_id = conversation.id
    sms_rows = notifications(channel=SMS)
    assert sms_rows and all(row.status == DELIVERED and row.provider == "twilio" for row in sms_rows)
    assert len(sms_rows) == len(phone.received())
    assert "开饭店要办哪些证" in user_texts(e2e.stack, conversation_id)


def test_sms_takeover_reply_by_sms_and_hand_back(e2e):
    phone = Phone(e2e)
    staff = window_staff(e2e.app)
    notice = phone.send_and_wait("人工")
    assert "人工" in notice["body"] or "工作人员" in notice["body"]
    from conversations.models import Conversation

    with session_scope() as session:
        conversation = session.query(Conversation).filter_by(phone=PHONE_E164).one()
        assert conversation.status == "waiting"
        conversation_id = conversation.id
    assert conversation_id in staff.get("/staff/")

    staff.post(f"/staff/conversations/{conversation_id}/take", {})
    before = len(phone.received())
    phone.send("我的营业执照什么时候能拿到")
    held = wait_until(lambda: "我的营业执照什么时候能拿到" in staff.get(f"/staff/conversations/{conversation_id}"),
                      "the held message in the staff console")
    assert held
    staff.post(f"/staff/conversations/{conversation_id}/reply", {"text": "您好，材料齐全的话一般1个工作日内办结。"})
    reply = wait_until(lambda: len(phone.received()) > before and phone.received()[-1], "the staff reply by SMS")
    assert "1个工作日内办结" in reply["body"]
    twilio_reports_delivered(e2e.client, reply)
    wait_until(lambda: quiet_queues(e2e.stack.redis_url), "the worker to finish")
    assert len(phone.received()) == before + 1              # the held message got no bot answer
    assert "我的营业执照什么时候能拿到" not in (user_texts(e2e.stack, conversation_id) or [])

    staff.post(f"/staff/conversations/{conversation_id}/handback", {})
    answer = phone.send_and_wait("开饭店要办哪些证")
    assert "回复数字选择" in answer["body"] or "/checklist/" in answer["body"], answer["body"]
    assert user_texts(e2e.stack, conversation_id)[-1] == "开饭店要办哪些证"
    [staff_row] = notifications(template="staff_reply")
    assert staff_row.status == DELIVERED


# ---- web takeover ----------------------------------------------------------------------------------------

def test_web_takeover_holds_messages_and_hand_back_resumes_rasa_with_context(e2e):
    staff = window_staff(e2e.app)
    applicant = Applicant(e2e.client)
    applicant.say("我想开一家饭店")
    assert applicant.last["handoff"] is False
    scenario = e2e.stack.tracker(applicant.conversation_id)["slots"].get("scenario_id")
    assert scenario, "the bot did not recognise the scenario"

    applicant.say("/request_human")
    assert applicant.last["handoff"] is True
    assert applicant.conversation_id in staff.get("/staff/")           # the queue
    staff.post(f"/staff/conversations/{applicant.conversation_id}/take", {})
    status = staff.client.get(f"/staff/conversations/{applicant.conversation_id}/messages").get_json()["status"]
    assert status == "human"

    held = applicant.say("营业执照多久能办好？")
    assert held["messages"] == [] and held["handoff"] is True
    assert "营业执照多久能办好？" not in user_texts(e2e.stack, applicant.conversation_id)
    live = staff.client.get(f"/staff/conversations/{applicant.conversation_id}/messages").get_json()
    assert any(m["text"] == "营业执照多久能办好？" for m in live["messages"])
    staff.post(f"/staff/conversations/{applicant.conversation_id}/reply", {"text": "一般1个工作日内办结。"})
    assert any("一般1个工作日内办结" in text for text in applicant.pushed())

    staff.post(f"/staff/conversations/{applicant.conversation_id}/handback", {})
    tracker = e2e.stack.tracker(applicant.conversation_id)
    assert tracker["paused"] is False and tracker["slots"].get("scenario_id") == scenario   # its context
    applicant.say("/greet")
    assert applicant.last["handoff"] is False and applicant.last["messages"]
    assert user_texts(e2e.stack, applicant.conversation_id)[-1] == "/greet"
    assert "营业执照多久能办好？" not in user_texts(e2e.stack, applicant.conversation_id)
