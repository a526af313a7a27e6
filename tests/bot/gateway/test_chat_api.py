"""The web chat JSON API: contract, errors, persistence, handoff, rate limits, bot down and back."""
from __future__ import annotations

from conversations import store
from conversations.models import ANSWERED, APPLICANT, HELD, PENDING, Conversation, Message
from core.db import session_scope


def post(client, text, conversation_id=None):
    body = {"text": text}
    if conversation_id:
        body["conversation_id"] = conversation_id
    return client.post("/api/chat/messages", json=body)


def test_a_message_gets_the_bot_reply_and_everything_is_stored(rasa, client):
    response = post(client, "你好")
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) >= {"conversation_id", "messages", "handoff"}
    assert body["handoff"] is False
    assert [m["text"] for m in body["messages"]] == ["收到：你好"]
    assert isinstance(body["messages"][0]["id"], int)
    assert rasa.turns == [(body["conversation_id"], "你好")]

    with session_scope() as session:
        messages = store.messages_after(session, body["conversation_id"])
        assert [(m.author, m.text, m.state) for m in messages] == [
            ("applicant", "你好", ANSWERED), ("bot", "收到：你好", None)]


def test_the_conversation_continues_and_buttons_are_returned(rasa, client):
    first = post(client, "你好").get_json()
    second = post(client, "选项", first["conversation_id"]).get_json()
    assert second["conversation_id"] == first["conversation_id"]
    [message] = second["messages"]
    assert message["buttons"][0] == {"title": "饭店", "payload": "/choose_scenario{\"scenario\": \"restaurant\"}"}

    # Clicking a button sends its payload to Rasa; the transcript shows the title.
    third = post(client, message["buttons"][0]["payload"], first["conversation_id"])
    assert third.status_code == 200
    assert rasa.turns[-1][1] == "/choose_scenario{\"scenario\": \"restaurant\"}"
    listed = client.get(f"/api/chat/{first['conversation_id']}/messages").get_json()
    assert [m["text"] for m in listed["messages"] if m["author"] == "applicant"] == ["你好", "选项", "饭店"]


def test_links_from_custom_payloads_are_attached(rasa, client):
    body = post(client, "长").get_json()
    [message] = body["messages"]
    assert message["link"] == "http://127.0.0.1/checklist/restaurant"


def test_bad_requests_are_400_with_a_chinese_message_and_store_nothing(rasa, client, db):
    cases = [
        (client.post("/api/chat/messages", data="not json", content_type="application/json"), "invalid_json"),
        (client.post("/api/chat/messages", data="text=hi"), "invalid_json"),
        (client.post("/api/chat/messages", json=["text"]), "invalid_json"),
        (post(client, ""), "empty_text"),
        (post(client, "   "), "empty_text"),
        (post(client, "字" * 1001), "text_too_long"),
        (client.post("/api/chat/messages", json={"text": 5}), "invalid_text"),
        (post(client, "你好", conversation_id="../etc"), "invalid_conversation_id"),
    ]
    for response, code in cases:
        assert response.status_code == 400, code
        error = response.get_json()["error"]
        assert error["code"] == code
        assert any("\u4e00" <= ch <= "\u9fff" for ch in error["message"])
    assert db.query(Message).count() == 0
    assert rasa.turns == []


def test_exactly_1000_characters_are_accepted(rasa, client):
    assert post(client, "字" * 1000).status_code == 200


def test_handoff_marks_the_conversation_waiting_and_holds_later_messages(rasa, client, db):
    body = post(client, "人工").get_json()
    assert body["handoff"] is True
    assert body["messages"][0]["text"] == "好的，正在为您转接人工服务。"
    conversation = db.get(Conversation, body["conversation_id"])
    assert conversation.status == "waiting" and conversation.waiting_since is not None
    assert conversation.handoff_reason == "申请人要求人工"

    later = post(client, "还在吗", body["conversation_id"]).get_json()
    assert later == {"conversation_id": body["conversation_id"], "message_id": later["message_id"],
                     "messages": [], "handoff": True}
    assert rasa.messages_from(body["conversation_id"]) == ["人工"]   # never reached Rasa
    db.expire_all()
    assert db.get(Message, later["message_id"]).state == HELD


def test_polling_returns_messages_after_an_id(rasa, client):
    body = post(client, "你好").get_json()
    cid = body["conversation_id"]
    everything = client.get(f"/api/chat/{cid}/messages").get_json()
    assert [m["author"] for m in everything["messages"]] == ["applicant", "bot"]
    after = client.get(f"/api/chat/{cid}/messages?after={everything['messages'][0]['id']}").get_json()
    assert [m["author"] for m in after["messages"]] == ["bot"]
    assert client.get(f"/api/chat/{cid}/messages?after=x").status_code == 400
    missing = client.get(f"/api/chat/{'0' * 32}/messages")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "conversation_not_found"


def test_rate_limit_per_conversation_answers_429_in_chinese(rasa, client, monkeypatch):
    from core.config import reset_settings

    monkeypatch.setenv("CHAT_RATE_LIMIT_PER_MINUTE", "3")
    reset_settings()
    cid = post(client, "1").get_json()["conversation_id"]
    assert post(client, "2", cid).status_code == 200
    assert post(client, "3", cid).status_code == 200
    assert post(client, "4", cid).status_code == 200   # three with this conversation id so far
    limited = post(client, "5", cid)
    assert limited.status_code == 429
    assert limited.get_json()["error"]["code"] == "rate_limited"
    assert "频繁" in limited.get_json()["error"]["message"]
    assert post(client, "另一个会话").status_code == 200   # a new conversation from the same IP passes


def test_rasa_down_gives_503_keeps_the_message_and_answers_it_when_back(rasa, client, db, redis_url):
    from tests.support.workers import run_burst

    cid = post(client, "你好").get_json()["conversation_id"]
    rasa.stop()
    down = post(client, "开饭店要什么材料", cid)
    assert down.status_code == 503
    error = down.get_json()
    assert error["error"]["code"] == "bot_unavailable" and "已保存" in error["error"]["message"]
    assert error["conversation_id"] == cid
    db.expire_all()
    kept = db.get(Message, error["message_id"])
    assert (kept.author, kept.text, kept.state) == (APPLICANT, "开饭店要什么材料", PENDING)

    rasa.start()   # same port: Rasa is back; the retry job answers
    run_burst(redis_url)
    assert rasa.messages_from(cid) == ["你好", "开饭店要什么材料"]
    db.expire_all()
    assert db.get(Message, error["message_id"]).state == ANSWERED
    listed = client.get(f"/api/chat/{cid}/messages?after={error['message_id']}").get_json()
    assert [m["text"] for m in listed["messages"]] == ["收到：开饭店要什么材料"]


def test_after_an_outage_the_next_message_flushes_pending_ones_in_order(rasa, client):
    cid = post(client, "一").get_json()["conversation_id"]
    rasa.stop()
    assert post(client, "二", cid).status_code == 503
    assert post(client, "三", cid).status_code == 503
    rasa.start()
    body = post(client, "四", cid).get_json()
    assert rasa.messages_from(cid) == ["一", "二", "三", "四"]
    assert [m["text"] for m in body["messages"]] == ["收到：二", "收到：三", "收到：四"]


def test_openapi_describes_the_chat_api(client):
    spec = client.get("/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert set(spec["paths"]) == {"/api/chat/messages", "/api/chat/{conversation_id}/messages"}
    post_op = spec["paths"]["/api/chat/messages"]["post"]
    assert set(post_op["responses"]) >= {"200", "400", "503"}
