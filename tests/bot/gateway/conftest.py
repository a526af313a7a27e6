"""Fixtures of the gateway tests: a scripted Rasa REST server, Twilio settings, staff accounts."""
from __future__ import annotations

import pytest

from core.config import reset_settings
from tests.bot.gateway.rasa_rest_server import RasaRestServer

TWILIO_TOKEN = "gateway-test-auth-token"
PUBLIC_BASE_URL = "https://yici.example.gov.cn"


@pytest.fixture
def rasa(env, monkeypatch):
    """A Rasa-protocol server the gateway talks to (RASA_URL and ACTION_SERVER_URL point at it)."""
    server = RasaRestServer().start()
    monkeypatch.setenv("RASA_URL", server.url)
    monkeypatch.setenv("ACTION_SERVER_URL", server.url)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TWILIO_TOKEN)
    monkeypatch.setenv("PUBLIC_BASE_URL", PUBLIC_BASE_URL)
    reset_settings()
    yield server
    server.stop()


@pytest.fixture
def staff_login(client):
    """Create a window-staff account and log the test client in; returns the account id."""
    from core.accounts import WINDOW_STAFF, create_account
    from core.db import session_scope

    with session_scope() as session:
        account_id = create_account(session, "wang", "correct-horse-1", WINDOW_STAFF, display_name="王窗口").id

    def login(username="wang", password="correct-horse-1"):
        page = client.get("/staff/login")
        token = _csrf(page.get_data(as_text=True))
        response = client.post("/staff/login", data={"username": username, "password": password,
                                                     "csrf_token": token})
        assert response.status_code == 302
        return account_id

    return login


def _csrf(html: str) -> str:
    import re

    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def csrf_token(client, path: str) -> str:
    return _csrf(client.get(path).get_data(as_text=True))


@pytest.fixture
def twilio(rasa, monkeypatch):
    """The local Twilio-compatible server; our provider sends to it and inbound requests are signed with
    its auth token (the same token the gateway validates with)."""
    from devtools.twilio_testserver import TwilioTestServer

    server = TwilioTestServer(auth_token=TWILIO_TOKEN).start()
    for name, value in server.env().items():
        monkeypatch.setenv(name, value)
    reset_settings()
    yield server
    server.stop()
