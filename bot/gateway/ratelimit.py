"""Per-sender rate limits: a sliding one-minute window per key in Redis (a sorted set of hit times)."""
from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass

from redis.exceptions import RedisError

from core.redis import get_redis

log = logging.getLogger(__name__)

WINDOW_SECONDS = 60
LIMITED_MESSAGE = "您发送消息太频繁了，请休息一下，一分钟后再试。"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    count: int          # hits in the last minute, this one included
    limit: int

    @property
    def first_refusal(self) -> bool:
        """The first hit over the limit in this window (tell the sender once, not on every hit)."""
        return self.count == self.limit + 1


def hit(kind: str, sender: str, limit_per_minute: int, now: float | None = None) -> Decision:
    """Count one message from `sender` (a conversation id, an IP, a phone) and decide whether it passes."""
    return hit_many([(kind, sender, limit_per_minute)], now)[0]


def hit_many(hits: list[tuple[str, str, int]], now: float | None = None) -> list[Decision]:
    """Count one message against several (kind, sender, limit per minute) windows in one Redis round trip."""
    now = time.time() if now is None else now
    pipe = get_redis().pipeline(transaction=False)
    for kind, sender, _limit in hits:
        key = f"yici:rate:{kind}:{sender}"
        pipe.zremrangebyscore(key, 0, now - WINDOW_SECONDS)
        pipe.zadd(key, {f"{now}:{uuid.uuid4().hex[:8]}": now})
        pipe.zcard(key)
        pipe.expire(key, WINDOW_SECONDS * 2)
    try:
        replies = pipe.execute()
    except RedisError as error:
        # Redis down: let the message in (it is stored, then answered or kept pending) rather than lose it.
        log.warning("rate limit not checked for %s (Redis unavailable: %s)", ", ".join(h[0] for h in hits), error)
        return [Decision(allowed=True, count=0, limit=limit) for _kind, _sender, limit in hits]
    counts = replies[2::4]
    return [Decision(allowed=count <= limit, count=count, limit=limit) for count, (_k, _s, limit) in zip(counts, hits)]
