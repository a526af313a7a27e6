"""Fixtures of the notify tests: a clean notify environment and the local Twilio-compatible server."""
from __future__ import annotations

import time

import pytest

from core.config import reset_settings
from devtools.twilio_testserver import TwilioTestServer


@pytest.fixture
def notify_env(env, monkeypatch):
    """No quiet hours (tests run at any time of day) and immediate retries for in-process bursts."""
    values = {"QUIET_HOURS": "off", "NOTIFY_RETRY_INTERVALS": "0,0,0", "SMS_HOURLY_LIMIT": "5",
              "PUBLIC_BASE_URL": "http://yici.test"}
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    reset_settings()
    return {**env, **values}


@pytest.fixture
def twilio(notify_env, monkeypatch):
    """The test server, with Yici's settings pointing the real twilio client at it."""
    server = TwilioTestServer().start()
    values = {**server.env(), "TWILIO_HTTP_TIMEOUT": "2"}
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    reset_settings()
    server.env_values = {**notify_env, **values}
    yield server
    server.stop()


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.1):
    """Poll until predicate() is truthy (bounded wait for other processes; not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s: {predicate}")
        time.sleep(interval)
