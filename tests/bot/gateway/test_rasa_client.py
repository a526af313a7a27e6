"""The Rasa client: REST output parsing, and both kinds of "bot down" (Rasa, action server)."""
from __future__ import annotations

import pytest

from bot.gateway import rasa_client
from bot.gateway.rasa_client import BotUnavailable, parse_rest_output
from core.config import reset_settings
from tests.bot.gateway.rasa_rest_server import RasaRestServer
from tests.support.redis_server import free_port


def test_parse_rest_output_folds_handoff_links_and_buttons():
    turn = parse_rest_output([
        {"recipient_id": "c", "text": "完整清单：", "custom": {"link": "http://x/checklist/restaurant"}},
        {"recipient_id": "c", "text": "需要短信吗？", "buttons": [{"title": "要", "payload": "/affirm"}]},
        {"recipient_id": "c", "custom": {"link": "http://x/other"}},
        {"recipient_id": "c", "custom": {"handoff": True, "reason": "two_fallbacks"}},
    ])
    assert [(r.text, r.link) for r in turn.replies] == [("完整清单：", "http://x/checklist/restaurant"),
                                                      ("需要短信吗？", "http://x/other")]
    assert turn.replies[1].buttons == [{"title": "要", "payload": "/affirm"}]
    assert (turn.handoff, turn.handoff_reason) == (True, "two_fallbacks")


def test_rasa_unreachable_raises_bot_unavailable(env, monkeypatch):
    monkeypatch.setenv("RASA_URL", f"http://127.0.0.1:{free_port()}")
    reset_settings()
    with pytest.raises(BotUnavailable):
        rasa_client.send_message("c", "你好")
    with pytest.raises(BotUnavailable):
        rasa_client.resume("c")


def test_an_empty_turn_with_the_action_server_down_is_bot_unavailable(rasa, monkeypatch):
    assert rasa_client.send_message("c", "静默").replies == []      # action server (here: same server) up
    monkeypatch.setenv("ACTION_SERVER_URL", f"http://127.0.0.1:{free_port()}")
    reset_settings()
    with pytest.raises(BotUnavailable):
        rasa_client.send_message("c", "静默")


def test_action_server_down_gives_503_through_the_api(rasa, client, monkeypatch):
    monkeypatch.setenv("ACTION_SERVER_URL", f"http://127.0.0.1:{free_port()}")
    reset_settings()
    response = client.post("/api/chat/messages", json={"text": "静默"})
    assert response.status_code == 503


def test_every_turn_goes_on_a_new_connection_while_health_checks_keep_theirs(env, monkeypatch):
    """A kept-alive connection idle at Rasa's last poll is served behind every request of the next batch
    (rasa_client.TURN_HEADERS); a turn on a new connection is served in order of arrival."""
    server = RasaRestServer(keep_alive=True).start()
    try:
        monkeypatch.setenv("RASA_URL", server.url)
        monkeypatch.setenv("ACTION_SERVER_URL", server.url)
        reset_settings()
        assert rasa_client.action_server_alive(fresh=True) and rasa_client.action_server_alive(fresh=True)
        for text in ("一", "二", "三"):
            assert rasa_client.send_message("c", text).replies[0].text == f"收到：{text}"
    finally:
        server.stop()
    health = [port for path, port in server.client_ports if path == "/health"]
    turns = [port for path, port in server.client_ports if path == "/webhooks/rest/webhook"]
    assert len(health) >= 2 and len(set(health)) == 1     # the server does keep connections alive
    assert len(turns) == 3 and len(set(turns)) == 3       # but no turn reuses one
