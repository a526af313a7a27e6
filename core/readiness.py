"""Is each dependency up? Used by /readyz and by `make run` while it waits for the stack."""
from __future__ import annotations

import requests

from core.config import Settings
from core.db import check_database
from core.redis import get_redis


def _redis(settings: Settings) -> None:
    get_redis(settings.redis_url).ping()


def _database(settings: Settings) -> None:
    check_database(settings.database_url)


def _rasa(settings: Settings) -> None:
    response = requests.get(f"{settings.rasa_url}/status", timeout=2)
    response.raise_for_status()
    if not response.json().get("model_file"):
        raise RuntimeError("no model loaded")


def _action_server(settings: Settings) -> None:
    requests.get(f"{settings.action_server_url}/health", timeout=2).raise_for_status()


CHECKS = {"redis": _redis, "database": _database, "rasa": _rasa, "action_server": _action_server}


def check_all(settings: Settings) -> dict[str, dict]:
    report = {}
    for name, check in CHECKS.items():
        try:
            check(settings)
            report[name] = {"ok": True}
        except Exception as error:  # each dependency is reported, never raised
            report[name] = {"ok": False, "error": f"{type(error).__name__}: {error}"[:300]}
    return report
