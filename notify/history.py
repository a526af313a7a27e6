"""The status history of a notification (one row per transition) and its process-local counter."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from core.db import utcnow
from notify.metrics import count_transition
from notify.models import NotificationEvent


def add_event(session: Session, notification_id: int, status: str, detail: str | None = None) -> None:
    session.add(NotificationEvent(notification_id=notification_id, status=status,
                                  detail=(detail or None) and detail[:500]))
    count_transition(status)


def add_events(session: Session, events: Iterable[tuple[int, str, str | None]]) -> None:
    """Many history lines (notification id, status, detail) in one bulk INSERT, in the order given."""
    now = utcnow()
    rows = [{"notification_id": notification_id, "status": status, "detail": (detail or None) and detail[:500],
             "created_at": now} for notification_id, status, detail in events]
    if not rows:
        return
    session.execute(insert(NotificationEvent), rows)
    for status, amount in Counter(row["status"] for row in rows).items():
        count_transition(status, amount)


def history(session: Session, notification_id: int) -> list[NotificationEvent]:
    return list(session.scalars(select(NotificationEvent).where(
        NotificationEvent.notification_id == notification_id).order_by(NotificationEvent.id)))
