"""Small helpers shared by the notify tests."""
from __future__ import annotations

from sqlalchemy import select

from core.db import session_scope
from notify import outbox
from notify.models import Notification

PHONE = "13812345678"
PHONE_E164 = "+8613812345678"

PASSED = {"name": "张三", "application_id": "YC20261122-0001", "item_name": "食品经营许可", "department": "市场监管",
          "link": "http://yici.test/a/YC20261122-0001"}


def record_committed(event_key: str, template: str = "prereview_passed", personalisation: dict | None = None,
                     **kwargs) -> list[int]:
    """Record in its own transaction, as an event producer would; return the row ids."""
    with session_scope() as session:
        rows = outbox.record(session, event_key=event_key, template=template,
                             personalisation=personalisation or PASSED, **kwargs)
        return [r.id for r in rows]


def rows(**where) -> list[Notification]:
    with session_scope() as session:
        query = select(Notification).order_by(Notification.id)
        for key, value in where.items():
            query = query.where(getattr(Notification, key) == value)
        found = list(session.scalars(query))
        session.expunge_all()
        return found


def row(notification_id: int) -> Notification:
    with session_scope() as session:
        found = session.get(Notification, notification_id)
        session.expunge(found)
        return found
