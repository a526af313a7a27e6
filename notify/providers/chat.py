"""Chat channel: the message appears in the applicant's web conversation (author "system")."""
from __future__ import annotations

from sqlalchemy.orm import Session

from conversations import store
from conversations.models import SYSTEM, Conversation
from notify.models import DELIVERED, PERMANENT_FAILURE, Notification
from notify.providers.base import Provider, SendResult


class ChatProvider(Provider):
    name = "chat"
    local = True

    def send(self, session: Session, notification: Notification) -> SendResult:
        if session.get(Conversation, notification.recipient) is None:
            return SendResult(status=PERMANENT_FAILURE, error_code="no-conversation",
                              error_message="conversation not found")
        data = {"notification_id": notification.id}
        link = (notification.personalisation or {}).get("link")
        if link:
            data["link"] = link
        message = store.append(session, notification.recipient, SYSTEM, notification.body, data=data)
        return SendResult(status=DELIVERED, reference=f"chat-{message.id}")
