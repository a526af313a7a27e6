"""Work a gateway process would otherwise do on its first requests, done when it starts.

Each gunicorn worker calls create_app. On first use a process configures the ORM's mappers and compiles
each statement, compiles phonenumbers' patterns for China, imports the SMS keyword lists and connects to
Redis: 40-50 ms in all, which the first applicant (or Twilio's first webhook) of every new worker waited
for. Nothing here is required: a part that fails is logged and the worker starts, as it would without it.
"""
from __future__ import annotations

import logging

from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from core.config import Settings

log = logging.getLogger(__name__)
SAMPLE_MOBILE = "+8613800138000"   # any valid Chinese mobile number: only its patterns are wanted
SAMPLE_SMS = "你好"


def warm_up(settings: Settings) -> None:
    from bot.gateway import sms_channel
    from conversations import store
    from core.db import new_session
    from core.identity import normalise_mobile
    from core.redis import get_redis

    try:
        with new_session(settings.database_url) as session:
            store.warm_up(session)
    except SQLAlchemyError as error:   # e.g. not migrated yet: requests will say so
        log.warning("database reads not warmed up: %s", str(error).splitlines()[0][:200])
    normalise_mobile(SAMPLE_MOBILE)
    sms_channel.keyword(SAMPLE_SMS)
    try:
        get_redis(settings.redis_url).ping()
    except RedisError as error:        # Redis down: the gateway still starts and lets messages in
        log.warning("Redis not reached at start-up: %s", error)
