"""Transcript retention: conversations idle longer than TRANSCRIPT_RETENTION_DAYS are deleted.

A daily periodic job (registered in core.periodic) deletes every conversation nobody is waiting on
(status closed, or bot: an abandoned chat) whose last activity is older than the retention period,
with its messages, and the Rasa tracker that holds the same text in Redis (key "yici:tracker:<id>",
see bot/endpoints.yml). Conversations waiting for or owned by a human are never purged: someone may
still owe the applicant an answer. Audit events (who revealed an ID number) are kept: they name no
ID number and they are the accountability record.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from redis.exceptions import RedisError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from conversations.models import BOT, CLOSED, Conversation, Message
from core.config import get_settings
from core.db import session_scope, utcnow
from core.redis import get_redis

RASA_TRACKER_KEY_PREFIX = "yici:tracker:"   # bot/endpoints.yml key_prefix "yici" + Rasa's "tracker:"
PURGEABLE_STATUSES = (CLOSED, BOT)
BATCH_SIZE = 500

log = logging.getLogger(__name__)


def retention_cutoff(retention_days: int, now: datetime | None = None) -> datetime:
    if retention_days < 1:
        raise ValueError("TRANSCRIPT_RETENTION_DAYS must be at least 1")
    return (now or utcnow()) - timedelta(days=retention_days)


def expired_conversation_ids(session: Session, cutoff: datetime, limit: int = BATCH_SIZE) -> list[str]:
    return list(session.scalars(
        select(Conversation.id).where(Conversation.status.in_(PURGEABLE_STATUSES),
                                      Conversation.updated_at < cutoff)
        .order_by(Conversation.updated_at).limit(limit)))


def delete_conversations(session: Session, conversation_ids: list[str]) -> None:
    """Delete the conversations and their messages in the caller's transaction."""
    session.execute(delete(Message).where(Message.conversation_id.in_(conversation_ids)))
    session.execute(delete(Conversation).where(Conversation.id.in_(conversation_ids)))
    session.flush()


def forget_rasa_trackers(conversation_ids: list[str]) -> None:
    """Delete Rasa's copy of the dialogue (best effort: Rasa also rebuilds nothing from it)."""
    try:
        get_redis().delete(*(RASA_TRACKER_KEY_PREFIX + cid for cid in conversation_ids))
    except RedisError as error:
        log.warning("retention: could not delete %d Rasa trackers: %s", len(conversation_ids), error)


def purge_expired_transcripts(now: datetime | None = None) -> int:
    """The periodic job: purge in batches (one transaction each) and return how many conversations went."""
    cutoff = retention_cutoff(get_settings().transcript_retention_days, now)
    purged = 0
    while True:
        with session_scope() as session:
            ids = expired_conversation_ids(session, cutoff)
            if ids:
                delete_conversations(session, ids)
        if not ids:
            break
        forget_rasa_trackers(ids)
        purged += len(ids)
    if purged:
        log.info("retention: purged %d conversations idle since before %s", purged, cutoff.date().isoformat())
    return purged
