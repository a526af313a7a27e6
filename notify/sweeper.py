"""The sweeper (a periodic job, see core.periodic): queues whatever a crash or a Redis restart left.

- A row still `sending` without a provider reference long after its attempt started belonged to a
  worker that died (or a request whose answer was lost). It becomes temporary-failure and is queued;
  the delivery job then asks the provider whether that attempt got through before sending again.
- Rows `created` or in temporary-failure whose time has come (next_attempt_at, else updated_at) by
  more than `older_than` are queued again: their job was lost (Redis restarted, enqueue failed).
Claims are conditional, so a row queued twice is still delivered once.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select

from core.db import session_scope, utcnow
from notify.delivery import transition
from notify.history import add_event
from notify.models import CLAIMABLE_STATUSES, SENDING, TEMPORARY_FAILURE, Notification
from notify.outbox import enqueue_ready

OLDER_THAN = timedelta(minutes=2)
STALE_AFTER = timedelta(minutes=5)   # far above a delivery job's timeout
LIMIT = 5000


@dataclass
class SweepReport:
    interrupted: list[int]
    requeued: list[int]


def sweep(older_than: timedelta = OLDER_THAN, stale_after: timedelta = STALE_AFTER,
          now: datetime | None = None) -> SweepReport:
    now = now or utcnow()
    with session_scope() as session:
        stale = list(session.scalars(select(Notification.id).where(
            Notification.status == SENDING, Notification.provider_ref.is_(None),
            Notification.last_attempt_at <= now - stale_after).limit(LIMIT)))
        interrupted = transition(session, stale, (SENDING,), {"status": TEMPORARY_FAILURE},
                                 extra=(Notification.provider_ref.is_(None),
                                        Notification.last_attempt_at <= now - stale_after))
        for notification_id in interrupted:
            add_event(session, notification_id, TEMPORARY_FAILURE,
                      "attempt interrupted; the provider is asked before any re-send")
        due = list(session.scalars(select(Notification.id).where(
            Notification.status.in_(CLAIMABLE_STATUSES),
            or_(and_(Notification.next_attempt_at.is_(None), Notification.updated_at <= now - older_than),
                Notification.next_attempt_at <= now - older_than))
            .order_by(Notification.id).limit(LIMIT)))
    requeued = sorted(set(due) | set(interrupted))
    enqueue_ready(requeued)
    return SweepReport(interrupted=interrupted, requeued=requeued)


def run() -> dict:
    """The periodic job."""
    report = sweep()
    return {"interrupted": len(report.interrupted), "requeued": len(report.requeued)}


