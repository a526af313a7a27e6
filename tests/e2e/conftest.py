"""Cross-package journeys through the real services: the Rasa server and action server (the session's
`rasa_stack`, its action server pointed at SQLite, then PostgreSQL when TEST_DATABASE_URL answers), real
Redis, `rq worker --with-scheduler` in a child process, the gateway (Flask test client), and the twilio
SDK against the local Twilio test server."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
import redis as redis_lib

from core.config import reset_settings
from devtools.twilio_testserver import TwilioTestServer
from tests.support import databases
from tests.support.stack import switch_action_database
from tests.support.workers import WorkerProcess

TWILIO_TOKEN = "e2e-twilio-auth-token"
PUBLIC_BASE_URL = "https://yici.example.gov.cn"
WORKFLOW_SECRET = "e2e-workflow-secret"
BACKENDS = ["sqlite", "postgresql"] if databases.postgres_url() else ["sqlite"]


@pytest.fixture(scope="session")
def e2e_postgres_url():
    url = databases.postgres_url()
    databases.prepare(url)
    return url


@pytest.fixture(scope="module", params=BACKENDS)
def stack_database(request, rasa_stack):
    """The action server on this backend's database for the module's tests (then back to the stack's own)."""
    original = rasa_stack.database_url
    url = request.getfixturevalue("e2e_postgres_url") if request.param == "postgresql" else original
    switch_action_database(rasa_stack, url)
    yield request.param
    switch_action_database(rasa_stack, original)


@pytest.fixture
def e2e(stack_database, rasa_stack, rasa_env, monkeypatch):
    """Everything wired to the real services; yields the pieces a journey drives and inspects."""
    twilio = TwilioTestServer(auth_token=TWILIO_TOKEN).start()
    settings = {**twilio.env(), "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
                "RASA_URL": rasa_stack.rasa_url, "ACTION_SERVER_URL": rasa_stack.action_server_url,
                "PUBLIC_BASE_URL": PUBLIC_BASE_URL, "WORKFLOW_SECRET": WORKFLOW_SECRET,
                "QUIET_HOURS": "off",                       # deliver at any hour of the test run
                "CHAT_RATE_LIMIT_PER_MINUTE": "600"}        # a whole application form in well under a minute
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    reset_settings()
    # Jobs or rate-limit counters left in the shared test Redis by earlier tests must not leak in.
    redis_lib.Redis.from_url(rasa_stack.redis_url).flushdb()
    from bot.gateway import create_app

    app = create_app()
    app.config.update(TESTING=True)
    worker = WorkerProcess(rasa_stack.redis_url, env=settings).start()
    try:
        yield SimpleNamespace(app=app, client=app.test_client(), twilio=twilio, worker=worker, stack=rasa_stack,
                              backend=stack_database, knowledge_dir=rasa_stack.knowledge_dir)
    finally:
        output = worker.stop()
        twilio.stop()
        if "Traceback" in output:
            print(output)          # shown by pytest for a failing test: the worker's view of it
