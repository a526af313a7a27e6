"""Train the Rasa model only when its inputs change, and run the Rasa server with the action server.

Runs under the app environment (.venv); Rasa itself runs in .venv-rasa as a child process.

    python -m devtools.rasa_stack train [--force]
    python -m devtools.rasa_stack serve [--rasa-port 5005] [--action-port 5055]

Models are named by the hash of their inputs (bot/config.yml, the domain, bot/nlu, bot/dialogues and
the jieba dictionary) and kept in models/ (git-ignored) and in a cache outside the repository
(~/.cache/yici/models/<hash>.tar.gz, or $YICI_MODEL_CACHE), so a fresh clone on the same machine
reuses a model trained by another checkout.
"""
from __future__ import annotations

import argparse
import fcntl
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import requests

from core.config import ROOT, get_settings

BOT_DIR = ROOT / "bot"
RASA_BIN = ROOT / ".venv-rasa" / "bin" / "rasa"
APP_PYTHON = ROOT / ".venv" / "bin" / "python"
MODELS_DIR = ROOT / "models"
JIEBA_DIR = ROOT / "knowledge" / "data" / "jieba"
# Paths of the training inputs, relative to bot/ (Rasa runs with cwd=bot/).
CONFIG_FILE = "config.yml"
DOMAIN_PATH = "domain"
DATA_PATHS = ("nlu", "dialogues")
RASA_VERSION_FILE = ROOT / "requirements-rasa.txt"

START_TIMEOUT_SECONDS = 300


def cache_dir() -> Path:
    return Path(os.environ.get("YICI_MODEL_CACHE") or Path.home() / ".cache" / "yici" / "models")


def training_inputs() -> list[Path]:
    """Every file whose content changes the trained model, in a stable order."""
    roots = [BOT_DIR / CONFIG_FILE, BOT_DIR / DOMAIN_PATH, *(BOT_DIR / p for p in DATA_PATHS), JIEBA_DIR,
             RASA_VERSION_FILE]
    files: list[Path] = []
    for root in roots:
        if root.is_file():
            files.append(root)
        elif root.is_dir():
            files.extend(sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")))
    return files


def model_hash() -> str:
    digest = hashlib.sha256()
    for path in training_inputs():
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def model_path(hash_: str | None = None) -> Path:
    return MODELS_DIR / f"{hash_ or model_hash()}.tar.gz"


def rasa_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2",
           "PYTHONWARNINGS": "ignore", "SQLALCHEMY_SILENCE_UBER_WARNING": "1"}
    env.pop("PYTHONPATH", None)  # nothing of ours is imported in the Rasa environment
    env.update(extra or {})
    return env


def run_rasa(*args: str, check: bool = True, capture: bool = False, **kwargs) -> subprocess.CompletedProcess:
    """`rasa <args>` in the Rasa environment, with bot/ as the working directory."""
    return subprocess.run([str(RASA_BIN), *args], cwd=BOT_DIR, env=rasa_env(kwargs.pop("env", None)),
                          check=check, text=True,
                          capture_output=capture, **kwargs)


@contextmanager
def machine_lock(path: Path):
    """Held by one process of this machine at a time (parallel test sessions share the caches)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def train_if_changed(force: bool = False, quiet: bool = False) -> Path:
    """The model for the current inputs: from models/, from the machine cache, or trained now."""
    hash_ = model_hash()
    target = model_path(hash_)
    cached = cache_dir() / target.name
    MODELS_DIR.mkdir(exist_ok=True)
    with machine_lock(cache_dir() / ".train.lock"):
        if not force and target.exists():
            return target
        if not force and cached.exists():
            shutil.copy2(cached, target)
            if not quiet:
                print(f"model {hash_}: reused from {cached}")
            return target
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="yici-train-") as out:
            run_rasa("train", "--config", CONFIG_FILE, "--domain", DOMAIN_PATH, "--data", *DATA_PATHS,
                     "--out", out, "--fixed-model-name", hash_,
                     stdout=subprocess.DEVNULL if quiet else None)
            trained = Path(out) / target.name
            shutil.copy2(trained, cached)
            shutil.copy2(trained, target)
        print(f"model {hash_}: trained in {time.monotonic() - started:.0f} s -> {target}")
        return target


def redis_env(redis_url: str) -> dict[str, str]:
    url = urlparse(redis_url)
    db = (url.path or "/0").lstrip("/") or "0"
    return {"RASA_REDIS_HOST": url.hostname or "127.0.0.1", "RASA_REDIS_PORT": str(url.port or 6379),
            "RASA_REDIS_DB": db}


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class StackError(RuntimeError):
    pass


class RasaStack:
    """The action server (app env) and the Rasa server (Rasa env, REST channel, Redis tracker store)."""

    def __init__(self, redis_url: str, database_url: str, rasa_port: int | None = None,
                 action_port: int | None = None, model: Path | None = None,
                 env: dict[str, str] | None = None, log_dir: Path | None = None):
        self.redis_url = redis_url
        self.database_url = database_url
        self.rasa_port = rasa_port or _free_port()
        self.action_port = action_port or _free_port()
        self.model = model
        self.extra_env = env or {}
        self.log_dir = Path(log_dir or tempfile.mkdtemp(prefix="yici-stack-"))
        self.action_server: subprocess.Popen | None = None
        self.rasa_server: subprocess.Popen | None = None

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def action_server_url(self) -> str:
        return f"http://127.0.0.1:{self.action_port}"

    @property
    def rest_webhook(self) -> str:
        return f"{self.rasa_url}/webhooks/rest/webhook"

    def app_env(self) -> dict[str, str]:
        """Environment of the action server: the app settings, pointed at this stack's services."""
        return {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": self.database_url,
                "REDIS_URL": self.redis_url, "RASA_URL": self.rasa_url,
                "ACTION_SERVER_URL": self.action_server_url, **self.extra_env}

    def start(self, timeout: float = START_TIMEOUT_SECONDS) -> "RasaStack":
        self.model = self.model or train_if_changed()
        try:
            self.action_server = self._spawn(
                "actions", [str(APP_PYTHON), "-m", "rasa_sdk", "--actions", "bot.actions",
                            "--port", str(self.action_port)], ROOT, self.app_env())
            self.rasa_server = self._spawn(
                "rasa", [str(RASA_BIN), "run", "--enable-api", "-m", str(self.model),
                         "--endpoints", "endpoints.yml", "--credentials", "credentials.yml",
                         "-i", "127.0.0.1", "--port", str(self.rasa_port)],
                BOT_DIR, rasa_env({"ACTION_SERVER_URL": self.action_server_url,
                                   **redis_env(self.redis_url)}))
            deadline = time.monotonic() + timeout
            self._wait(self.action_server, "actions", f"{self.action_server_url}/health",
                       lambda body: body.get("status") == "ok", deadline)
            self._wait(self.rasa_server, "rasa", f"{self.rasa_url}/status",
                       lambda body: bool(body.get("model_file")), deadline)
        except BaseException:
            self.stop()
            raise
        return self

    def _spawn(self, name: str, command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "w")
        # Own process group, so stop() reaches the children Rasa starts and nothing else.
        return subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)

    def _wait(self, process: subprocess.Popen, name: str, url: str, ready, deadline: float) -> None:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise StackError(f"{name} server exited with {process.returncode}:\n{self.log_tail(name)}")
            try:
                response = requests.get(url, timeout=2)
                if response.ok and ready(response.json()):
                    return
            except (requests.RequestException, ValueError):
                pass
            time.sleep(0.5)
        raise StackError(f"{name} server not ready at {url}:\n{self.log_tail(name)}")

    def log_tail(self, name: str, lines: int = 40) -> str:
        path = self.log_dir / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def stop(self) -> None:
        for process in (self.rasa_server, self.action_server):
            if process is None or process.poll() is not None:
                continue
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)

    def send(self, sender: str, text: str, metadata: dict | None = None) -> list[dict]:
        """One turn through the REST channel, as the gateway sends it."""
        payload = {"sender": sender, "message": text}
        if metadata:
            payload["metadata"] = metadata
        response = requests.post(self.rest_webhook, json=payload, timeout=60)
        response.raise_for_status()
        return response.json()

    def tracker(self, sender: str) -> dict:
        response = requests.get(f"{self.rasa_url}/conversations/{sender}/tracker", timeout=30)
        response.raise_for_status()
        return response.json()

    def __enter__(self) -> "RasaStack":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _port_of(url: str, default: int) -> int:
    return urlparse(url).port or default


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.rasa_stack")
    commands = parser.add_subparsers(dest="command", required=True)
    train = commands.add_parser("train", help="train the model if its inputs changed")
    train.add_argument("--force", action="store_true", help="train even when a model for this hash exists")
    serve = commands.add_parser("serve", help="run the action server and the Rasa server until interrupted")
    serve.add_argument("--rasa-port", type=int)
    serve.add_argument("--action-port", type=int)
    commands.add_parser("hash", help="print the model hash of the current inputs")
    args = parser.parse_args(argv)

    if args.command == "hash":
        print(model_hash())
        return 0
    if args.command == "train":
        print(train_if_changed(force=args.force))
        return 0
    settings = get_settings()
    stack = RasaStack(settings.redis_url, settings.database_url,
                      rasa_port=args.rasa_port or _port_of(settings.rasa_url, 5005),
                      action_port=args.action_port or _port_of(settings.action_server_url, 5055))
    stopping = []

    def _stop(signum, _frame):
        stopping.append(signum)

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    stack.start()
    print(f"Rasa server {stack.rasa_url} (logs {stack.log_dir}), action server {stack.action_server_url}",
          flush=True)
    try:
        while not stopping:
            for name, process in (("rasa", stack.rasa_server), ("actions", stack.action_server)):
                if process.poll() is not None:
                    print(f"{name} server exited:\n{stack.log_tail(name)}", file=sys.stderr)
                    return 1
            time.sleep(1)
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
