"""Schemathesis over /openapi.json: generated requests (valid and invalid) never get a 5xx.

Runs against the real Rasa server and action server of the proof stack: a valid message is answered
(200), so a 503 here would be a real fault, not "the bot is not running in this test". Bounded: a fixed
number of examples per operation."""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from bot.gateway import openapi

MAX_EXAMPLES = 25

# The very document /openapi.json serves (checked below), loaded without a running app.
schema = schemathesis.openapi.from_dict(openapi.spec())


@pytest.fixture
def served(gateway, monkeypatch):
    """The gateway over real HTTP (werkzeug threaded server) against the proof stack."""
    import requests

    assert requests.get(f"{gateway.url}/openapi.json", timeout=30).json() == openapi.spec()
    return gateway


@pytest.mark.rasa
@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_the_chat_api_never_answers_5xx(case, served):
    case.call_and_validate(base_url=served.url, checks=[not_a_server_error])
