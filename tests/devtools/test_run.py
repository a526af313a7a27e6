"""`make run` end to end: every process comes up on a machine-like setup and Ctrl-C stops them all.

Uses free ports everywhere and a Redis address where nothing listens, so the embedded redis-server
fallback is exercised too.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import pytest
import requests

from core.config import ROOT
from tests.support.redis_server import free_port

pytestmark = [pytest.mark.rasa, pytest.mark.slow]


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_make_run_brings_everything_up_and_ctrl_c_stops_it(tmp_path):
    ports = {name: free_port() for name in ("gateway", "rasa", "actions", "redis")}
    env = {
        **os.environ,
        "YICI_ENV": "development",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}",
        "REDIS_URL": f"redis://127.0.0.1:{ports['redis']}/0",
        "RASA_URL": f"http://127.0.0.1:{ports['rasa']}",
        "ACTION_SERVER_URL": f"http://127.0.0.1:{ports['actions']}",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{ports['gateway']}",
        "PYTHONPATH": str(ROOT),
    }
    log = open(tmp_path / "run.log", "w")
    # Started with SIGINT ignored, as a shell script's background job inherits it: Ctrl-C must still work.
    process = subprocess.Popen([sys.executable, "-m", "devtools.run"], cwd=ROOT, env=env, stdout=log,
                               stderr=subprocess.STDOUT,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    try:
        deadline = time.monotonic() + 420
        ready = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                response = requests.get(f"{env['PUBLIC_BASE_URL']}/readyz", timeout=2)
                if response.status_code == 200:
                    ready = response.json()
                    break
            except requests.RequestException:
                pass
            time.sleep(2)
        output = (tmp_path / "run.log").read_text()
        assert ready is not None, output[-4000:]
        assert all(check["ok"] for check in ready["checks"].values())
        assert "starting an embedded redis-server" in output
        # the ready banner names the web chat, the staff console and the logs
        for _ in range(10):
            output = (tmp_path / "run.log").read_text()
            if "Yici is ready" in output:
                break
            time.sleep(1)
        assert f"{env['PUBLIC_BASE_URL']}/staff" in output and "var/log/yici.log" in output
        chat = requests.post(f"{env['PUBLIC_BASE_URL']}/api/chat/messages", json={"text": "你好"}, timeout=30)
        assert chat.status_code == 200 and chat.json()["messages"]
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(90)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
        log.close()
    assert process.returncode == 0
    time.sleep(1)
    assert not any(port_open(p) for p in ports.values()), "a process survived Ctrl-C"


def test_database_unreachable_at_start_is_a_clear_error(tmp_path):
    env = {**os.environ, "DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none", "PYTHONPATH": str(ROOT),
           "REDIS_URL": os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")}
    result = subprocess.run([sys.executable, "-m", "devtools.run"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 2
    assert "error: the database at" in result.stderr and "cannot be used" in result.stderr
