"""Gateway jobs: retries while the bot is down, the pending sweeper, the retention purge."""
from __future__ import annotations


from rq import Queue
from rq.registry import ScheduledJobRegistry

from bot.gateway import jobs
from conversations.models import ANSWERED, Message
from core.redis import get_redis
from tests.support.workers import run_burst


def test_a_failed_turn_is_scheduled_for_retry_and_the_sweeper_answers_later(rasa, client, redis_url, db):
    rasa.stop()
    response = client.post("/api/chat/messages", json={"text": "你好"})
    assert response.status_code == 503
    run_burst(redis_url)   # the retry job fails again (Rasa still down) and is scheduled for a retry
    registry = ScheduledJobRegistry(queue=Queue(jobs.TURN_QUEUE, connection=get_redis()))
    assert registry.count == 1
    rasa.start()
    assert jobs.flush_all_pending_job() == 0   # stored just now: it could still be a turn under way
    assert jobs.flush_all_pending_job(grace_seconds=0) == 1
    run_burst(redis_url)
    db.expire_all()
    assert db.get(Message, response.get_json()["message_id"]).state == ANSWERED
    assert rasa.turns[-1][1] == "你好"
