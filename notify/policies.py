"""Sending policies: opt-outs, quiet hours, the per-recipient hourly limit.

`decide()` is evaluated by the delivery job just before a message is claimed, so policies apply to
retries and sweeper re-runs alike. Chat messages are never held: the applicant sees them when they
look. Urgent messages ignore quiet hours; transactional ones ignore opt-outs.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.config import get_settings
from core.db import utcnow
from notify.messages import message_type
from notify.models import DELIVERED, SENDING, SMS, Notification, OptOut

OPT_OUT_KEYWORDS = ("退订", "TD", "T", "STOP", "UNSUBSCRIBE")
_OPT_OUT_PATTERN = re.compile(r"^\s*(?:回复)?\s*(退订|TD|T|STOP|UNSUBSCRIBE)\s*[。.!！]?\s*$", re.IGNORECASE)

SEND = "send"
DEFER = "defer"
CANCEL = "cancel"


@dataclass(frozen=True)
class Decision:
    action: str                       # SEND | DEFER | CANCEL
    until: datetime | None = None     # DEFER: when to try again (UTC)
    reason: str = ""


# --- opt-out
def is_opt_out_keyword(text: str) -> bool:
    """An inbound SMS that asks to stop messages (退订, TD, T)."""
    return bool(_OPT_OUT_PATTERN.match(text or ""))


def record_opt_out(session: Session, phone: str, source: str) -> OptOut:
    """Add the number to the opt-out list (idempotent). `phone` is E.164."""
    existing = session.get(OptOut, phone)
    if existing is not None:
        return existing
    opt_out = OptOut(phone=phone, source=source[:40])
    session.add(opt_out)
    session.flush()
    return opt_out


def remove_opt_out(session: Session, phone: str) -> None:
    existing = session.get(OptOut, phone)
    if existing is not None:
        session.delete(existing)
        session.flush()


def is_opted_out(session: Session, phone: str) -> bool:
    return session.get(OptOut, phone) is not None


# --- quiet hours
def parse_quiet_hours(value: str) -> tuple[time, time] | None:
    """'21:00-08:00' → (21:00, 08:00); 'off', 'none' or '' → None (no quiet hours)."""
    value = (value or "").strip().lower()
    if value in ("", "off", "none", "0"):
        return None
    match = re.fullmatch(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})", value)
    if not match:
        raise ValueError(f"QUIET_HOURS must look like 21:00-08:00, got {value!r}")
    h1, m1, h2, m2 = (int(x) for x in match.groups())
    return time(h1, m1), time(h2, m2)


def quiet_until(now: datetime, quiet_hours: str | None = None, tz: str | None = None) -> datetime | None:
    """If `now` (aware) falls in quiet hours, the UTC moment they end; otherwise None."""
    settings = get_settings()
    window = parse_quiet_hours(settings.quiet_hours if quiet_hours is None else quiet_hours)
    if window is None:
        return None
    start, end = window
    zone = ZoneInfo(tz or settings.timezone)
    local = now.astimezone(zone)
    clock = local.time()
    if start <= end:
        inside = start <= clock < end
    else:                       # spans midnight, e.g. 21:00-08:00
        inside = clock >= start or clock < end
    if not inside:
        return None
    end_day = local.date() if clock < end else local.date() + timedelta(days=1)
    return datetime.combine(end_day, end, tzinfo=zone).astimezone(now.tzinfo)


# --- hourly limit
def sms_sent_last_hour(session: Session, phones: list[str], now: datetime) -> dict[str, int]:
    """How many SMS each number was sent (or is being sent) in the hour before `now`."""
    if not phones:
        return {}
    rows = session.execute(
        select(Notification.recipient, func.count()).where(
            Notification.channel == SMS, Notification.recipient.in_(set(phones)),
            Notification.status.in_((SENDING, DELIVERED)),
            Notification.last_attempt_at >= now - timedelta(hours=1))
        .group_by(Notification.recipient))
    return {phone: count for phone, count in rows}


class PolicyCheck:
    """Decides for a batch of rows, counting the batch's own sends against the hourly limit."""

    def __init__(self, session: Session, notifications: list[Notification], now: datetime | None = None):
        self.session = session
        self.now = now or utcnow()
        self.limit = get_settings().sms_hourly_limit
        sms = [n.recipient for n in notifications if n.channel == SMS]
        self.sent = sms_sent_last_hour(session, sms, self.now)
        opted = set(session.scalars(select(OptOut.phone).where(OptOut.phone.in_(set(sms))))) if sms else set()
        self.opted_out = opted

    def decide(self, notification: Notification) -> Decision:
        if notification.channel != SMS:
            return Decision(SEND)
        phone = notification.recipient
        if phone in self.opted_out and not message_type(notification.template).transactional:
            return Decision(CANCEL, reason="opted-out")
        if not notification.urgent:
            until = quiet_until(self.now)
            if until is not None:
                return Decision(DEFER, until=until, reason="quiet hours")
        if self.limit > 0 and self.sent.get(phone, 0) >= self.limit:
            return Decision(DEFER, until=self._limit_frees_at(phone), reason="hourly limit")
        self.sent[phone] = self.sent.get(phone, 0) + 1
        return Decision(SEND)

    def _limit_frees_at(self, phone: str) -> datetime:
        oldest = self.session.scalar(
            select(func.min(Notification.last_attempt_at)).where(
                Notification.channel == SMS, Notification.recipient == phone,
                Notification.status.in_((SENDING, DELIVERED)),
                Notification.last_attempt_at >= self.now - timedelta(hours=1)))
        if oldest is None:
            return self.now + timedelta(minutes=5)
        if oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=self.now.tzinfo)
        return max(oldest + timedelta(hours=1, seconds=1), self.now + timedelta(seconds=30))
