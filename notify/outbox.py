"""The transactional outbox: rows written in the caller's transaction, queued after it commits.

`record()` adds one Notification per channel and remembers the new ids on the session; a SQLAlchemy
`after_commit` listener then pushes them to the ready list in Redis and makes sure one dispatcher job
is queued (notify.jobs.dispatch turns the ready list into batched delivery jobs that carry only ids).
If Redis is unreachable at that moment nothing is lost: the rows stay `created` and the sweeper
queues them later.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Iterable

from sqlalchemy import bindparam, event, insert, select
from sqlalchemy.orm import Session

from core.identity import InvalidIdentifier, normalise_mobile
from core.queues import NOTIFY, get_queue
from core.redis import get_redis
from notify import InvalidRecipient
from core.db import utcnow
from notify.history import add_events
from notify.messages import message_type, render
from notify.models import CHAT, CREATED, SMS, Notification

log = logging.getLogger(__name__)

READY_KEY = "notify:ready"              # list of notification ids waiting for a delivery job
DISPATCH_FLAG = "notify:dispatch-queued"  # set while a dispatcher job is queued or running
DISPATCH_FLAG_TTL = 30
_PENDING = "notify_pending_ids"
_HOOKED = "notify_hooked"


def record(session: Session, *, event_key: str, template: str, personalisation: dict,
           phone: str | None = None, conversation_id: str | None = None, urgent: bool = False) -> list[Notification]:
    """Add the notifications of one event (sms when `phone`, chat when `conversation_id`).

    Idempotent on (event_key, recipient, template, channel): recording the same thing again returns the
    existing rows and queues nothing. Raises InvalidRecipient for a bad phone, before anything is added.
    """
    message_type(template)
    if not event_key:
        raise ValueError("event_key is required")
    if phone is None and not conversation_id:
        raise ValueError("a notification needs a phone or a conversation_id")
    targets: list[tuple[str, str]] = []
    if phone is not None:
        try:
            targets.append((SMS, normalise_mobile(phone)))
        except InvalidIdentifier as error:
            raise InvalidRecipient(str(error)) from None
    if conversation_id:
        targets.append((CHAT, conversation_id))
    personalisation = json.loads(json.dumps(personalisation, ensure_ascii=False, default=str))

    rows, new_ids = [], []
    for channel, recipient in targets:
        key = {"event_key": event_key, "recipient": recipient, "template": template, "channel": channel}
        existing = session.scalar(_EXISTING, key)
        if existing is not None:
            rows.append(existing)
            continue
        now = utcnow()
        # one INSERT … RETURNING (an ORM bulk insert: no unit-of-work flush per event)
        notification = session.scalars(insert(Notification).returning(Notification), [{
            **key, "personalisation": personalisation, "urgent": urgent, "status": CREATED, "attempts": 0,
            "body": render(template, channel, personalisation), "created_at": now, "updated_at": now}]).one()
        add_events(session, [(notification.id, CREATED, f"event {event_key}")])
        rows.append(notification)
        new_ids.append(notification.id)
    if new_ids:
        enqueue_after_commit(session, new_ids)
    return rows


# the idempotency look-up, built once (bound parameters)
_EXISTING = select(Notification).where(
    Notification.event_key == bindparam("event_key"), Notification.recipient == bindparam("recipient"),
    Notification.template == bindparam("template"), Notification.channel == bindparam("channel"))


def enqueue_after_commit(session: Session, ids: Iterable[int]) -> None:
    session.info.setdefault(_PENDING, []).extend(ids)
    if not session.info.get(_HOOKED):
        event.listen(session, "after_commit", _after_commit)
        event.listen(session, "after_rollback", _after_rollback)
        session.info[_HOOKED] = True


def _after_commit(session: Session) -> None:
    ids = session.info.pop(_PENDING, None)
    if not ids:
        return
    try:
        enqueue_ready(ids)
    except Exception:  # the commit stands; the sweeper queues these rows later
        log.warning("could not queue notifications %s after commit; the sweeper will", ids, exc_info=True)


def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


def enqueue_ready(ids: Iterable[int]) -> None:
    """Push ids to the ready list and make sure a dispatcher job is queued."""
    ids = [int(i) for i in ids]
    if not ids:
        return
    redis = get_redis()
    redis.rpush(READY_KEY, *ids)
    if redis.set(DISPATCH_FLAG, 1, nx=True, ex=DISPATCH_FLAG_TTL):
        from notify.jobs import dispatch

        get_queue(NOTIFY).enqueue(dispatch, at_front=True, job_timeout=60, result_ttl=0, failure_ttl=3600)
