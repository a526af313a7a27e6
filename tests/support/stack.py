"""The real Rasa server and action server for tests, started once per session.

    from tests.support.stack import rasa_stack, rasa_env, pytest_itemcollected   (in tests/conftest.py)

Every test that uses `rasa_stack` is marked `rasa` and `slow` automatically. The stack runs against the
test Redis (the session's `redis_url`) and a migrated SQLite database of its own (`rasa_stack.database_url`);
`rasa_env` points the test process at the same database and Redis, emptied before each test.
"""
from __future__ import annotations

import os
import shutil
import signal
import time
import uuid

import pytest

from core.config import ROOT, reset_settings
from core.db import reset_engines
from core.redis import reset_redis
from devtools.rasa_stack import APP_PYTHON, RasaStack, train_if_changed
from tests.support import databases

STACK_FIXTURES = ("rasa_stack", "rasa_env")


def pytest_itemcollected(item):
    """Tests that need the real Rasa stack carry the `rasa` and `slow` marks (pytest -m "not rasa")."""
    if set(STACK_FIXTURES) & set(getattr(item, "fixturenames", ())):
        item.add_marker(pytest.mark.rasa)
        item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def rasa_stack(redis_url, tmp_path_factory):
    """Action server + Rasa server (REST channel, Redis tracker store), model trained only if changed.

    The action server reads a session copy of knowledge/data (`rasa_stack.knowledge_dir`, also set as
    KNOWLEDGE_DATA_DIR by `rasa_env`), so FAQ entries approved in a test never touch the repository."""
    directory = tmp_path_factory.mktemp("rasa-stack")
    database_url = f"sqlite:///{directory / 'yici-rasa.db'}"
    databases.prepare(database_url)
    knowledge_dir = directory / "knowledge-data"
    shutil.copytree(ROOT / "knowledge" / "data", knowledge_dir)
    stack = RasaStack(redis_url, database_url, model=train_if_changed(quiet=True), log_dir=directory,
                      env={"KNOWLEDGE_DATA_DIR": str(knowledge_dir)})
    stack.knowledge_dir = knowledge_dir
    stack.start()
    yield stack
    stack.stop()


@pytest.fixture
def rasa_env(monkeypatch, rasa_stack):
    """This process pointed at the stack's database and Redis (tables emptied), plus a fresh sender id."""
    monkeypatch.setenv("DATABASE_URL", rasa_stack.database_url)
    monkeypatch.setenv("REDIS_URL", rasa_stack.redis_url)
    monkeypatch.setenv("KNOWLEDGE_DATA_DIR", str(rasa_stack.knowledge_dir))
    reset_settings()
    reset_engines()
    reset_redis()
    databases.truncate_all(rasa_stack.database_url)
    yield {"DATABASE_URL": rasa_stack.database_url, "REDIS_URL": rasa_stack.redis_url,
           "sender": uuid.uuid4().hex}
    reset_settings()
    reset_engines()
    reset_redis()


def switch_action_database(stack: RasaStack, database_url: str, timeout: float = 120) -> None:
    """Restart only the action server, pointed at another database (the Rasa server keeps running: its
    state is in Redis). Lets one Rasa server serve journeys on SQLite and on PostgreSQL in turn."""
    if database_url == stack.database_url:
        return
    process = stack.action_server
    if process is not None and process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(20)
    stack.database_url = database_url
    stack.action_server = stack._spawn(
        "actions", [str(APP_PYTHON), "-m", "rasa_sdk", "--actions", "bot.actions", "--port", str(stack.action_port)],
        ROOT, stack.app_env())
    stack._wait(stack.action_server, "actions", f"{stack.action_server_url}/health",
                lambda body: body.get("status") == "ok", time.monotonic() + timeout)
