"""The embedded default SMS provider when Twilio is not configured: the notification row itself is
the record (provider "console"); the dev outbox page and `python -m notify outbox` show it."""
from __future__ import annotations

from sqlalchemy.orm import Session

from notify.models import DELIVERED, Notification
from notify.providers.base import Provider, SendResult


class ConsoleProvider(Provider):
    name = "console"
    local = True

    def send(self, session: Session, notification: Notification) -> SendResult:
        return SendResult(status=DELIVERED, reference=f"console-{notification.id}")
