"""The processes under test: Rasa training time, cold start of the whole stack (`make run`, i.e.
devtools/run.py, until /readyz answers 200) beside a bare Rasa server, and resident memory per process.

Everything binds 127.0.0.1 on free ports, with its own redis-server and a throw-away SQLite database
(or BENCH_DATABASE_URL), so a benchmark never touches a developer's data.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import requests

from core.config import ROOT
from devtools.rasa_stack import (CONFIG_FILE, DATA_PATHS, DOMAIN_PATH, RasaStack, redis_env, rasa_env,
                                 run_rasa, BOT_DIR, RASA_BIN)
from tests.support.redis_server import RedisProcess, free_port

READY_TIMEOUT_SECONDS = 600
TWILIO_ACCOUNT_SID = "AC" + "b" * 32
TWILIO_AUTH_TOKEN = "bench-auth-token"   # only ever seen by the local Twilio test server


def measure_training() -> float:
    """Seconds for one `rasa train` of the current data, into a scratch directory (the cache is untouched)."""
    with tempfile.TemporaryDirectory(prefix="yici-bench-train-") as out:
        started = time.monotonic()
        # An empty training cache of its own: Rasa would otherwise reuse components trained before.
        run_rasa("train", "--config", CONFIG_FILE, "--domain", DOMAIN_PATH, "--data", *DATA_PATHS,
                 "--out", out, "--fixed-model-name", "bench", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                 env={"RASA_CACHE_DIRECTORY": str(Path(out) / "cache")})
        return time.monotonic() - started


def _wait_ready(url: str, process: subprocess.Popen, deadline: float, ready=lambda r: r.status_code == 200) -> None:
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before {url} was ready")
        try:
            if ready(requests.get(url, timeout=2)):
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} not ready after {READY_TIMEOUT_SECONDS} s")


class FullStack:
    """`python -m devtools.run` (the same path as `make run`) on free ports with its own Redis."""

    def __init__(self, workdir: Path, extra_env: dict[str, str] | None = None):
        self.workdir = Path(workdir)
        self.ports = {name: free_port() for name in ("gateway", "rasa", "actions")}
        self.redis = RedisProcess(self.workdir / "redis")
        self.database_url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{self.workdir / 'bench.db'}"
        self.extra_env = extra_env or {}
        self.process: subprocess.Popen | None = None
        self.cold_start_seconds: float | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['gateway']}"

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['rasa']}"

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "YICI_ENV": "development",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis.url,
            "RASA_URL": self.rasa_url,
            "ACTION_SERVER_URL": f"http://127.0.0.1:{self.ports['actions']}",
            "PUBLIC_BASE_URL": self.base_url,
            **self.extra_env,
        }

    def start(self) -> "FullStack":
        started = time.monotonic()
        self.redis.start()
        self.log = open(self.workdir / "stack.log", "w")
        self.process = subprocess.Popen([sys.executable, "-m", "devtools.run"], cwd=ROOT, env=self.env(),
                                        stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        _wait_ready(f"{self.base_url}/readyz", self.process, time.monotonic() + READY_TIMEOUT_SECONDS)
        self.cold_start_seconds = time.monotonic() - started
        return self

    def processes(self) -> list[tuple[str, psutil.Process]]:
        named = [("redis-server", psutil.Process(self.redis.process.pid))]
        root = psutil.Process(self.process.pid)
        labels: dict[int, str] = {}
        for proc in [root, *root.children(recursive=True)]:    # parents come before their children
            label = _process_name(proc)
            if label.startswith("?"):                          # a helper process a server forked or spawned
                try:
                    label = labels.get(proc.ppid(), "unknown") + " (child process)"
                except psutil.Error:
                    label = "unknown"
            labels[proc.pid] = label
            named.append((label, proc))
        return named

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            try:
                descendants = psutil.Process(self.process.pid).children(recursive=True)
            except psutil.Error:
                descendants = []
            self.process.send_signal(signal.SIGINT)   # Ctrl-C, as an operator stops `make run`
            try:
                self.process.wait(90)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
            _gone, alive = psutil.wait_procs(descendants, timeout=10)
            for proc in alive:          # only processes this stack started
                proc.kill()
        self.redis.stop()

    def log_tail(self, lines: int = 60) -> str:
        path = self.workdir / "stack.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


class BareRasa(RasaStack):
    """The Rasa server alone: same model, REST channel, Redis tracker store, and no action server
    (its action endpoint points at a port where nothing listens)."""

    def start(self, timeout: float = READY_TIMEOUT_SECONDS) -> "BareRasa":
        started = time.monotonic()
        self.rasa_server = self._spawn(
            "rasa", [str(RASA_BIN), "run", "--enable-api", "-m", str(self.model), "--endpoints", "endpoints.yml",
                     "--credentials", "credentials.yml", "-i", "127.0.0.1", "--port", str(self.rasa_port)],
            BOT_DIR, rasa_env({"ACTION_SERVER_URL": self.action_server_url, **redis_env(self.redis_url)}))
        try:
            self._wait(self.rasa_server, "rasa", f"{self.rasa_url}/status",
                       lambda body: bool(body.get("model_file")), time.monotonic() + timeout)
        except BaseException:
            self.stop()
            raise
        self.cold_start_seconds = time.monotonic() - started
        return self

    def processes(self) -> list[tuple[str, psutil.Process]]:
        root = psutil.Process(self.rasa_server.pid)
        return [("bare rasa server", p) for p in [root, *root.children(recursive=True)]]


def _process_name(proc: psutil.Process) -> str:
    try:
        cmd = " ".join(proc.cmdline())
        parent = proc.parent()
        parent_cmd = " ".join(parent.cmdline()) if parent and parent.name() not in SHELLS else ""
    except psutil.Error:
        return "gone"
    if proc.name() in SHELLS:
        return "sh (honcho wrapper)"
    if "rasa run" in cmd or "/rasa " in cmd:
        return "rasa server"
    if "rasa_sdk" in cmd:
        return "action server"
    if "gunicorn" in cmd:
        return "gateway worker (gunicorn)" if "gunicorn" in parent_cmd else "gateway master (gunicorn)"
    if "rq" in cmd and "worker" in cmd:
        return "rq worker"
    if "honcho" in cmd:
        return "honcho (supervisor)"
    if "devtools.run" in cmd:
        return "make run (devtools.run)"
    if "redis-server" in cmd:
        return "redis-server"
    return f"? {proc.name()}"


SHELLS = ("sh", "bash", "dash")


def resident_memory(named: list[tuple[str, psutil.Process]]) -> list[tuple[str, int, float]]:
    """(name, how many processes, RSS MiB summed) per kind of live process, in first-seen order."""
    totals: dict[str, list] = {}
    for name, proc in named:
        try:
            rss = proc.memory_info().rss / 2**20
        except psutil.Error:
            continue
        entry = totals.setdefault(name, [0, 0.0])
        entry[0] += 1
        entry[1] += rss
    return [(name, count, rss) for name, (count, rss) in totals.items()]


class SideBySide:
    """Everything a chat benchmark runs: the Twilio test server, the full stack, and bare Rasa on its own
    Redis with the same model. start() brings the stacks up in that order; stop() takes all down."""

    def __init__(self, workdir: Path, model: Path):
        from devtools.twilio_testserver import TwilioTestServer

        self.twilio = TwilioTestServer(account_sid=TWILIO_ACCOUNT_SID, auth_token=TWILIO_AUTH_TOKEN).start()
        env = {**self.twilio.env(), "CHAT_RATE_LIMIT_PER_MINUTE": "1000000", "SMS_RATE_LIMIT_PER_MINUTE": "1000000",
               "SMS_HOURLY_LIMIT": "1000000"}
        self.full_stack = FullStack(workdir, env)
        self.bare_redis = RedisProcess(workdir / "bare-redis")
        self.bare = BareRasa(self.bare_redis.url, self.full_stack.database_url, model=model, log_dir=workdir)

    def start_full_stack(self) -> None:
        self.full_stack.start()

    def start_bare(self) -> None:
        self.bare_redis.start()
        self.bare.start()

    def stop(self) -> None:
        self.bare.stop()
        self.bare_redis.stop()
        self.full_stack.stop()
        self.twilio.stop()
