"""The provider interface and the one status table every provider's words map onto."""
from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy.orm import Session

from notify.models import (DELIVERED, PERMANENT_FAILURE, SENDING, TECHNICAL_FAILURE, TEMPORARY_FAILURE,
                           Notification)

# Twilio message statuses (REST answers and status callbacks) → our status table.
TWILIO_STATUS = {
    "accepted": SENDING,
    "scheduled": SENDING,
    "queued": SENDING,
    "sending": SENDING,
    "sent": SENDING,          # handed to the carrier; the delivery receipt is still to come
    "delivered": DELIVERED,
    "read": DELIVERED,
    "undelivered": TEMPORARY_FAILURE,
    "failed": TECHNICAL_FAILURE,
    "canceled": TECHNICAL_FAILURE,
}

# Twilio error codes that no retry can fix.
INVALID_NUMBER = 21211
NOT_MOBILE = 21614
OPTED_OUT = 21610
PERMANENT_ERROR_CODES = {INVALID_NUMBER, NOT_MOBILE, OPTED_OUT, 21408, 21612, 30003, 30005, 30006, 30007}


def status_for_twilio(status: str, error_code: int | None = None) -> str:
    if error_code is not None and int(error_code) in PERMANENT_ERROR_CODES:
        return PERMANENT_FAILURE
    return TWILIO_STATUS.get((status or "").lower(), SENDING)


@dataclass
class SendResult:
    """What the provider said about one message."""
    status: str                   # one of SENDING (accepted, receipt pending), DELIVERED, *-FAILURE
    reference: str | None = None  # the provider's id (Twilio MessageSid)
    error_code: str | None = None
    error_message: str | None = None


class TemporaryProviderError(Exception):
    """The provider could not take the message now (5xx, 429, timeout); retry later."""


class NotAttempted(TemporaryProviderError):
    """The batch ran out of time before this message was sent (it was not sent; retry later)."""

    def __init__(self, message: str = "not attempted: the batch ran out of time"):
        super().__init__(message)


class Provider:
    """Sends one message. `local` providers write to our own database and run inside the claiming
    transaction (atomic, so exactly once by construction); remote ones are called after the claim is
    committed and may be asked to `find` a message an interrupted attempt might have sent."""

    name = "base"
    local = False
    concurrency = 1     # how many sends of one batch the provider runs at once (send_many)

    def send(self, session: Session, notification: Notification) -> SendResult:
        raise NotImplementedError

    def send_many(self, notifications: list[Notification], deadline: float | None = None
                  ) -> list[SendResult | BaseException]:
        """Send a batch (remote providers, no session); one answer per message, in order. An exception
        (TemporaryProviderError or unexpected) stands in for the result of the message it hit.
        A message not yet started at `deadline` (time.monotonic()) is not sent: NotAttempted."""
        answers: list[SendResult | BaseException] = []
        for notification in notifications:
            if deadline is not None and time.monotonic() >= deadline:
                answers.append(NotAttempted())
                continue
            try:
                answers.append(self.send(None, notification))
            except Exception as error:   # noqa: BLE001 - handed back as this message's answer
                answers.append(error)
        return answers

    def find(self, session: Session, notification: Notification) -> SendResult | None:
        """The provider's record of an earlier attempt of this notification, or None."""
        return None

    def close(self) -> None:
        pass
