"""The one Redis connection of a process (queues, routing state, rate limits)."""
from __future__ import annotations

from redis import Redis

from core.config import get_settings

_CONNECTIONS: dict[str, Redis] = {}


def get_redis(url: str | None = None) -> Redis:
    url = url or get_settings().redis_url
    if url not in _CONNECTIONS:
        _CONNECTIONS[url] = Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2, health_check_interval=30)
    return _CONNECTIONS[url]


def reset_redis() -> None:
    for conn in _CONNECTIONS.values():
        conn.close()
    _CONNECTIONS.clear()
