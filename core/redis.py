"""The one Redis connection of a process (queues, routing state, rate limits)."""
from __future__ import annotations

from redis import Redis

from core.config import get_settings
from core.per_key import OncePerKey

_CLIENTS: OncePerKey[str, Redis] = OncePerKey(
    lambda url: Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2, health_check_interval=30))


def get_redis(url: str | None = None) -> Redis:
    return _CLIENTS.get(url or get_settings().redis_url)


def reset_redis() -> None:
    _CLIENTS.clear(close=Redis.close)
