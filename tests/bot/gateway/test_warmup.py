"""bot.gateway.warmup: a new worker does its first-use work at start, and starts even when it cannot."""
from __future__ import annotations

import logging
from dataclasses import replace

from core.config import get_settings
from core.redis import get_redis

from bot.gateway import warmup


def test_warm_up_connects_to_redis_and_reads_the_database_without_writing(env, db):
    from conversations.models import Conversation, Message

    warmup.warm_up(get_settings())
    pool = get_redis().connection_pool
    counts = {labels["db.client.connection.state"]: n for n, labels in pool.get_connection_count()}
    assert counts == {"idle": 1, "used": 0}   # connected, and ready for the first request
    assert db.query(Conversation).count() == 0 and db.query(Message).count() == 0


def test_a_worker_still_starts_when_the_database_is_not_migrated_and_redis_is_down(env, tmp_path, caplog):
    settings = replace(get_settings(), database_url=f"sqlite:///{tmp_path / 'empty.db'}",
                       redis_url="redis://127.0.0.1:1/0")
    with caplog.at_level(logging.WARNING, logger="bot.gateway.warmup"):
        warmup.warm_up(settings)
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("database reads not warmed up") for m in messages), messages
    assert any(m.startswith("Redis not reached at start-up") for m in messages), messages
