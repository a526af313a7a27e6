"""Twilio status callbacks (the gateway's signed /sms/status view calls apply_twilio_status).

Callbacks can arrive twice and out of order: a row in a final status is never changed again, and
"sent" after "delivered" is ignored. The callback URL carries the notification id (`n`), so a receipt
for a message whose MessageSid the worker never stored (it died right after Twilio accepted it) still
finds its row — and from then on the row is not sent again.
"""
from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import utcnow
from notify.history import add_event
from notify.models import DELIVERED, FINAL_STATUSES, PERMANENT_FAILURE, SMS, Notification
from notify.policies import record_opt_out
from notify.providers.base import OPTED_OUT, status_for_twilio

log = logging.getLogger(__name__)


def _find(session: Session, sid: str, notification_id: str | None) -> Notification | None:
    notification = session.scalar(select(Notification).where(Notification.provider_ref == sid))
    if notification is None and notification_id and str(notification_id).isdigit():
        candidate = session.get(Notification, int(notification_id))
        if candidate is not None and candidate.channel == SMS and candidate.provider_ref in (None, sid):
            notification = candidate
    return notification


def apply_twilio_status(session: Session, form: dict, query: dict | None = None) -> Notification | None:
    """Apply one status callback; returns the notification, or None when the MessageSid is unknown."""
    sid = form.get("MessageSid") or form.get("SmsSid")
    if not sid:
        return None
    twilio_status = (form.get("MessageStatus") or form.get("SmsStatus") or "").lower()
    error_code = form.get("ErrorCode") or None
    notification_id = (query or {}).get("n") or form.get("n")
    notification = _find(session, sid, notification_id)
    if notification is None:
        log.info("status callback for unknown MessageSid %s", sid)
        return None
    status = status_for_twilio(twilio_status, int(error_code) if error_code and error_code.isdigit() else None)
    if notification.status in FINAL_STATUSES:
        return notification
    now = utcnow()
    changed = notification.provider_ref is None or status != notification.status
    if notification.provider_ref is None:
        notification.provider_ref = sid
        notification.provider = "twilio"
        notification.sent_at = notification.sent_at or now
    notification.status = status
    notification.next_attempt_at = None
    notification.updated_at = now
    if status == DELIVERED:
        notification.delivered_at = now
    if error_code:
        notification.error_code = str(error_code)
    if changed:
        add_event(session, notification.id, status, f"twilio callback {twilio_status} {error_code or ''}".strip())
    if status == PERMANENT_FAILURE and error_code == str(OPTED_OUT):
        record_opt_out(session, notification.recipient, f"twilio {OPTED_OUT}")
    session.flush()
    return notification


