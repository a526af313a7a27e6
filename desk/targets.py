"""Answer-time targets of escalations, counted in working days (core.workdays, chinesecalendar).

Times are stored in UTC; working days are days of the local calendar (settings.timezone). An
escalation raised on a working day is due the same clock time `n` working days later; one raised on
a holiday or weekend starts counting at 09:00 of the next working day.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.config import get_settings
from core.db import session_scope, utcnow
from core.workdays import add_working_days, is_workday
from desk import delivery
from desk.models import CLAIMED, OPEN, Escalation, EscalationEvent

WORKDAY_START = time(9, 0)


def local_zone() -> ZoneInfo:
    return ZoneInfo(get_settings().timezone)


def target_days() -> int:
    return get_settings().escalation_target_days


def reminder_lead() -> timedelta:
    return timedelta(hours=get_settings().escalation_reminder_hours)


def due_at(created: datetime, working_days: int | None = None) -> datetime:
    """The moment an escalation raised at `created` must be answered by (UTC)."""
    days = target_days() if working_days is None else working_days
    zone = local_zone()
    start = created.astimezone(zone)
    if not is_workday(start.date()):
        start = datetime.combine(add_working_days(start.date(), 0), WORKDAY_START, zone)
    due_day = add_working_days(start.date(), days)
    return datetime.combine(due_day, start.timetz().replace(tzinfo=None), zone).astimezone(timezone.utc)


def reminder_due(due: datetime, now: datetime) -> bool:
    """True from `reminder_lead()` before the target on (also once it is already missed)."""
    return now >= due - reminder_lead()


def missed(due: datetime, answered_at: datetime | None, now: datetime) -> bool:
    if answered_at is not None:
        return answered_at > due
    return now > due


def working_hours_between(start: datetime, end: datetime) -> float:
    """Elapsed hours between two instants, counting only time that falls on local working days."""
    if end <= start:
        return 0.0
    zone = local_zone()
    cursor = start.astimezone(zone)
    end_local = end.astimezone(zone)
    seconds = 0.0
    while cursor < end_local:
        next_midnight = datetime.combine(cursor.date() + timedelta(days=1), time(0), zone)
        segment_end = min(next_midnight, end_local)
        if is_workday(cursor.date()):
            seconds += (segment_end - cursor).total_seconds()
        cursor = segment_end
    return seconds / 3600


# ---- reminders -------------------------------------------------------------------------------------

def due_for_reminder(session: Session, now: datetime) -> list[Escalation]:
    """Open or claimed escalations within `reminder_lead()` of their target (or past it), not yet reminded."""
    return list(session.scalars(
        select(Escalation).where(Escalation.state.in_((OPEN, CLAIMED)), Escalation.reminded_at.is_(None),
                                 Escalation.due_at <= now + reminder_lead())
        .order_by(Escalation.due_at, Escalation.id)))


def send_reminders(session: Session, now: datetime | None = None) -> list[Escalation]:
    """Remind the A-post(s) of every escalation about to miss its target, once (notify
    escalation_reminder by SMS to the staff's reminder number). Returns the escalations reminded."""
    now = now or utcnow()
    reminded = due_for_reminder(session, now)
    for escalation in reminded:
        waiting_minutes = max(0, int((now - escalation.created_at).total_seconds() // 60))
        messages = delivery.send_reminder(session, escalation, waiting_minutes)
        escalation.reminded_at = now
        session.add(EscalationEvent(escalation_id=escalation.id, action="reminded", created_at=now,
                                    detail={"messages": len(messages), "due_at": escalation.due_at.isoformat()}))
    session.flush()
    return reminded


def run_reminder_check() -> int:
    """The periodic job (core.periodic): one transaction; exceptions propagate so RQ retries."""
    with session_scope() as session:
        return len(send_reminders(session))
