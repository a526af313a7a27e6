"""Staff console: queue, live view, takeover (held messages never reach Rasa), reply over the channel,
notes, hand-back (Rasa resumed), close, search, masked ID numbers with audited reveal, escaping."""
from __future__ import annotations

from datetime import timedelta

from conversations import store
from conversations.models import AuditEvent, Conversation, Message
from core.db import session_scope, utcnow
from tests.bot.gateway.conftest import csrf_token
from tests.bot.gateway.test_chat_api import post
from tests.bot.gateway.test_sms import PHONE, inbound_form, signed_post
from tests.support.workers import run_burst

ID_NUMBER = "11010519491231002X"


def staff_post(client, path: str, page: str, **data):
    return client.post(path, data={"csrf_token": csrf_token(client, page), **data})


def test_console_requires_a_window_staff_login(rasa, client):
    response = client.get("/staff/")
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]
    from core.accounts import REVIEWER, create_account

    with session_scope() as session:
        create_account(session, "li", "reviewer-pass-1", REVIEWER, department="消防")
    page = client.get("/staff/login").get_data(as_text=True)
    import re

    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/staff/login", data={"username": "li", "password": "reviewer-pass-1", "csrf_token": token})
    assert client.get("/staff/").status_code == 403


def test_queue_lists_waiting_conversations_oldest_first_with_waiting_time(rasa, client, staff_login):
    staff_login()
    newer = post(client, "人工").get_json()["conversation_id"]
    older = post(client, "人工").get_json()["conversation_id"]
    with session_scope() as session:
        session.get(Conversation, older).waiting_since = utcnow() - timedelta(minutes=12)
    page = client.get("/staff/").get_data(as_text=True)
    queue = page[page.index('id="queue"'):page.index("我正在服务")]
    assert queue.index(older[:8]) < queue.index(newer[:8])
    assert "12 分钟" in queue and "申请人要求人工" in queue


def test_takeover_silences_the_bot_and_the_staff_reply_reaches_the_web_chat(rasa, client, staff_login):
    account_id = staff_login()
    cid = post(client, "你好").get_json()["conversation_id"]
    page = f"/staff/conversations/{cid}"
    assert client.get(page).status_code == 200          # live view of a bot-handled conversation
    assert staff_post(client, f"{page}/take", page).status_code == 302
    with session_scope() as session:
        conversation = session.get(Conversation, cid)
        assert (conversation.status, conversation.owner_id) == ("human", account_id)

    held = post(client, "我要找人", cid).get_json()
    assert held["handoff"] is True and held["messages"] == []
    assert rasa.messages_from(cid) == ["你好"]           # the held message never reached Rasa
    with session_scope() as session:
        assert session.get(Message, held["message_id"]).state == "held"

    staff_post(client, f"{page}/reply", page, text="您好，我是窗口工作人员，请问需要什么帮助？")
    seen = client.get(f"/api/chat/{cid}/messages?after={held['message_id']}").get_json()
    assert [(m["author"], m["text"]) for m in seen["messages"]] == [
        ("staff", "您好，我是窗口工作人员，请问需要什么帮助？")]
    with session_scope() as session:
        assert session.get(Message, held["message_id"]).state == "answered"
    assert rasa.messages_from(cid) == ["你好"]


def test_hand_back_resumes_rasa_and_the_bot_answers_again(rasa, client, staff_login):
    staff_login()
    cid = post(client, "人工").get_json()["conversation_id"]
    page = f"/staff/conversations/{cid}"
    staff_post(client, f"{page}/take", page)
    staff_post(client, f"{page}/handback", page)
    assert rasa.tracker_events == [(cid, {"event": "resume"}), (cid, {"event": "action", "name": "action_listen"})]
    body = post(client, "继续", cid).get_json()
    assert body["handoff"] is False
    assert [m["text"] for m in body["messages"]] == ["收到：继续"]


def test_hand_back_while_rasa_is_down_keeps_the_human_in_charge(rasa, client, staff_login):
    staff_login()
    cid = post(client, "人工").get_json()["conversation_id"]
    page = f"/staff/conversations/{cid}"
    staff_post(client, f"{page}/take", page)
    rasa.stop()
    response = staff_post(client, f"{page}/handback", page)
    assert response.status_code == 302
    with session_scope() as session:
        assert session.get(Conversation, cid).status == "human"
    assert "无法交回" in client.get(page).get_data(as_text=True)
    rasa.start()


def test_staff_reply_to_an_sms_conversation_goes_out_by_sms(twilio, rasa, client, staff_login, redis_url):
    staff_login()
    signed_post(client, "/sms/inbound", inbound_form("人工"))
    run_burst(redis_url)
    with session_scope() as session:
        cid = session.query(Conversation).one().id
    page = f"/staff/conversations/{cid}"
    staff_post(client, f"{page}/reply", page, text="您的材料已收到，明天可以来窗口领取。")
    run_burst(redis_url)
    bodies = [m["body"] for m in twilio.messages_to(PHONE)]
    assert any("您的材料已收到，明天可以来窗口领取。" in b for b in bodies)


def test_notes_stay_internal_and_close_ends_the_conversation(rasa, client, staff_login):
    staff_login()
    cid = post(client, "你好").get_json()["conversation_id"]
    page = f"/staff/conversations/{cid}"
    staff_post(client, f"{page}/note", page, text="申请人可能需要消防检查")
    assert "申请人可能需要消防检查" in client.get(page).get_data(as_text=True)
    applicant_view = client.get(f"/api/chat/{cid}/messages").get_json()
    assert all("消防检查" not in m["text"] for m in applicant_view["messages"])
    staff_post(client, f"{page}/close", page)
    assert client.get(f"/api/chat/{cid}/messages").get_json()["status"] == "closed"
    # Writing again reopens the conversation to the bot.
    assert post(client, "还有一个问题", cid).get_json()["messages"][0]["text"] == "收到：还有一个问题"


def test_id_numbers_are_masked_and_revealing_one_is_audited(rasa, client, staff_login):
    account_id = staff_login()
    body = post(client, f"我的身份证号是{ID_NUMBER}").get_json()
    cid = body["conversation_id"]
    page = f"/staff/conversations/{cid}"
    html = client.get(page).get_data(as_text=True)
    assert ID_NUMBER not in html and "110105********002X" in html
    polled = client.get(f"{page}/messages").get_json()
    assert all(ID_NUMBER not in m["text"] for m in polled["messages"])

    with session_scope() as session:
        message_id = store.messages_after(session, cid)[0].id
    revealed = staff_post(client, f"{page}/messages/{message_id}/reveal", page)
    assert ID_NUMBER in revealed.get_data(as_text=True)
    with session_scope() as session:
        [event] = session.query(AuditEvent).all()
        assert (event.account_id, event.conversation_id, event.message_id, event.action) == (
            account_id, cid, message_id, "reveal_id_number")
    assert client.get(f"{page}/messages/{message_id}/reveal").status_code == 405   # no unaudited GET


def test_search_by_phone_and_by_application_number(twilio, rasa, client, staff_login, redis_url):
    staff_login()
    signed_post(client, "/sms/inbound", inbound_form("你好"))
    run_burst(redis_url)
    web = post(client, "我的申请编号是 YC20261122-0001").get_json()["conversation_id"]
    with session_scope() as session:
        sms_id = session.query(Conversation).filter_by(channel="sms").one().id
    by_phone = client.get("/staff/search?q=138 1234 5678").get_data(as_text=True)
    assert sms_id[:8] in by_phone and web[:8] not in by_phone
    by_application = client.get("/staff/search?q=yc20261122-0001").get_data(as_text=True)
    assert web[:8] in by_application and sms_id[:8] not in by_application


def test_applicant_text_is_escaped_in_staff_pages(rasa, client, staff_login):
    staff_login()
    cid = post(client, "<script>alert('x')</script>").get_json()["conversation_id"]
    html = client.get(f"/staff/conversations/{cid}").get_data(as_text=True)
    assert "<script>alert" not in html and "&lt;script&gt;alert(" in html


def test_forms_need_a_csrf_token(rasa, client, staff_login):
    staff_login()
    cid = post(client, "你好").get_json()["conversation_id"]
    assert client.post(f"/staff/conversations/{cid}/take").status_code == 400
