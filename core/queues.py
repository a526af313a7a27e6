"""RQ queue names (constants, one place) and queue access."""
from __future__ import annotations

from rq import Queue

from core.redis import get_redis

BOT = "bot"            # bot turns for SMS and for chat messages kept while Rasa was down
NOTIFY = "notify"      # message delivery, one job per notification id (or a batch of ids)
WORKFLOW = "workflow"  # workflow events and external-system submissions
DEFAULT = "default"    # periodic work: sweeper, reminders, retention purge

ALL_QUEUES = (BOT, NOTIFY, WORKFLOW, DEFAULT)  # workers listen in this order of priority


def get_queue(name: str) -> Queue:
    if name not in ALL_QUEUES:
        raise ValueError(f"unknown queue {name!r}")
    return Queue(name, connection=get_redis())
