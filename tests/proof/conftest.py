"""Fixtures of the proof tests: a Rasa stack of our own (its Redis, Rasa server and action server can be
killed and restarted without disturbing the shared session stack) and the gateway served for real by
werkzeug's threaded server, so that concurrent applicants reach it over HTTP."""
from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest
import requests
from werkzeug.serving import make_server

from core.config import reset_settings
from core.db import reset_engines
from core.redis import reset_redis
from devtools.rasa_stack import APP_PYTHON, BOT_DIR, RASA_BIN, RasaStack, redis_env, rasa_env
from tests.support import databases
from tests.support.redis_server import RedisProcess, free_port


class ProofStack(RasaStack):
    """RasaStack whose Rasa server and action server can be killed and brought back on the same ports."""

    def __init__(self, redis: RedisProcess, database_url: str, log_dir: Path):
        super().__init__(redis.url, database_url, log_dir=log_dir)
        self.redis = redis

    def kill_rasa(self) -> None:
        os.killpg(self.rasa_server.pid, signal.SIGKILL)
        self.rasa_server.wait(10)

    def kill_actions(self) -> None:
        os.killpg(self.action_server.pid, signal.SIGKILL)
        self.action_server.wait(10)

    def start_rasa(self) -> None:
        self.rasa_server = self._spawn(
            "rasa-restarted", [str(RASA_BIN), "run", "--enable-api", "-m", str(self.model), "--endpoints",
                               "endpoints.yml", "--credentials", "credentials.yml", "-i", "127.0.0.1",
                               "--port", str(self.rasa_port)],
            BOT_DIR, rasa_env({"ACTION_SERVER_URL": self.action_server_url, **redis_env(self.redis_url)}))
        self._wait(self.rasa_server, "rasa-restarted", f"{self.rasa_url}/status",
                   lambda body: bool(body.get("model_file")), time.monotonic() + 300)

    def start_actions(self) -> None:
        self.action_server = self._spawn(
            "actions-restarted", [str(APP_PYTHON), "-m", "rasa_sdk", "--actions", "bot.actions",
                                  "--port", str(self.action_port)], BOT_DIR.parent, self.app_env())
        self._wait(self.action_server, "actions-restarted", f"{self.action_server_url}/health",
                   lambda body: body.get("status") == "ok", time.monotonic() + 120)

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.log_dir.glob("*.log")))


@pytest.fixture(scope="session")
def proof_database_url(tmp_path_factory):
    """PostgreSQL (production's database) when TEST_DATABASE_URL answers, else SQLite; migrated once."""
    url = databases.postgres_url() or f"sqlite:///{tmp_path_factory.mktemp('proofdb') / 'proof.db'}"
    databases.prepare(url)
    return url


@pytest.fixture(scope="session")
def proof_stack(proof_database_url, tmp_path_factory):
    directory = tmp_path_factory.mktemp("proof-stack")
    redis = RedisProcess(directory / "redis").start()
    stack = ProofStack(redis, proof_database_url, log_dir=directory)
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()
        redis.stop()


@pytest.fixture
def stack_env(proof_stack, monkeypatch):
    """This process's settings pointed at the proof stack; tables emptied, Redis flushed. Heals the stack
    (a test may leave Redis, Rasa or the action server down)."""
    if proof_stack.redis.process.poll() is not None:
        proof_stack.redis.start()
    if proof_stack.rasa_server.poll() is not None:
        proof_stack.start_rasa()
    if proof_stack.action_server.poll() is not None:
        proof_stack.start_actions()
    env = {"DATABASE_URL": proof_stack.database_url, "REDIS_URL": proof_stack.redis_url,
           "RASA_URL": proof_stack.rasa_url, "ACTION_SERVER_URL": proof_stack.action_server_url}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    reset_settings()
    reset_engines()
    reset_redis()
    databases.truncate_all(proof_stack.database_url)
    import redis as redis_lib

    redis_lib.Redis.from_url(proof_stack.redis_url).flushdb()
    yield env
    reset_settings()
    reset_engines()
    reset_redis()


class GatewayServer:
    """create_app() served by werkzeug's threaded server on a free port, in a background thread."""

    def __init__(self, port: int | None = None):
        from bot.gateway import create_app

        self.port = port or free_port()
        self.server = make_server("127.0.0.1", self.port, create_app(), threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def post(self, text: str, conversation_id: str | None = None, timeout=90) -> requests.Response:
        body = {"text": text, **({"conversation_id": conversation_id} if conversation_id else {})}
        return requests.post(f"{self.url}/api/chat/messages", json=body, timeout=timeout)

    def transcript(self, conversation_id: str) -> list[dict]:
        response = requests.get(f"{self.url}/api/chat/{conversation_id}/messages", timeout=30)
        response.raise_for_status()
        return response.json()["messages"]


@pytest.fixture
def gateway(stack_env):
    server = GatewayServer()
    server.thread.start()
    yield server
    server.server.shutdown()


class GunicornGateway:
    """The gateway as production runs it (gunicorn, the Procfile's options), its output in a log file."""

    def __init__(self, env: dict[str, str], log_path: Path, port: int | None = None):
        from core.config import ROOT

        self.port = port or free_port()
        self.log_path = Path(log_path)
        self.root = ROOT
        self.env = {**os.environ, **env, "PYTHONPATH": str(ROOT)}
        self.process = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "GunicornGateway":
        import subprocess

        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [str(self.root / ".venv/bin/gunicorn"), "--bind", f"127.0.0.1:{self.port}", "--workers", "1",
             "--threads", "8", "--access-logfile", "-", "bot.gateway:create_app()"],
            cwd=self.root, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log_path.read_text()[-2000:]}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=2).ok:
                    return self
            except requests.RequestException:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer /healthz")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(30)
        self.log.close()
