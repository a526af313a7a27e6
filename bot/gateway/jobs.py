"""RQ jobs of the gateway: thin, they take ids and let exceptions propagate so that RQ retries them."""
from __future__ import annotations


from datetime import timedelta

from rq import Retry

from bot.gateway import rasa_client, routing
from conversations import store
from core.db import session_scope, utcnow
from core.queues import BOT, get_queue

# A turn is one Rasa call; its own queue, so slow turns never delay workflow events.
TURN_QUEUE = BOT
# Rasa down: try again soon, then less often (about 40 minutes in all); staff can answer meanwhile.
TURN_RETRY = Retry(max=8, interval=[5, 15, 30, 60, 120, 300, 600, 1200])
# A message still pending after the longest a turn can take (waiting for the conversation's lock, then
# Rasa's read timeout) has lost its request or its job.
SWEEP_GRACE_SECONDS = routing.LOCK_WAIT_SECONDS + rasa_client.TURN_TIMEOUT[1]


def answer_pending_job(conversation_id: str) -> int:
    """Answer the conversation's pending messages (SMS replies go out through notify in the same
    transaction). Raises BotUnavailable while Rasa is down, so RQ retries."""
    return len(routing.answer_pending(conversation_id))


def enqueue_answer(conversation_id: str) -> None:
    get_queue(TURN_QUEUE).enqueue(answer_pending_job, conversation_id, retry=TURN_RETRY,
                                  job_timeout=300, description=f"answer pending messages of {conversation_id}")


def flush_all_pending_job(grace_seconds: float = SWEEP_GRACE_SECONDS) -> int:
    """Sweeper: enqueue a turn for every bot conversation that still has unanswered messages stored more
    than `grace_seconds` ago (covers a gateway that crashed or could not reach Redis between storing a
    message and enqueueing). Younger messages are turns under way: sweeping them would only make a worker
    queue for the conversation's lock behind the request that is answering them."""
    stored_before = utcnow() - timedelta(seconds=grace_seconds)
    with session_scope() as session:
        ids = store.conversations_with_pending(session, stored_before)
    for conversation_id in ids:
        enqueue_answer(conversation_id)
    return len(ids)
