"""Answer-time targets in working days, working-hour durations, and the reminder before a target is
missed (time driven by explicit `now` arguments; the reminder SMS is a real notify outbox row)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from desk import delivery, escalations, targets
from desk.models import KIND_COUNTER, EscalationEvent
from notify.models import SMS, Notification

UTC = timezone.utc


def local(y, m, d, hh=10, mm=0):
    """A Hangzhou wall-clock time as UTC."""
    return datetime(y, m, d, hh, mm, tzinfo=targets.local_zone()).astimezone(UTC)


def test_due_is_one_working_day_later_skipping_weekends_and_holidays():
    assert targets.due_at(local(2026, 11, 23)) == local(2026, 11, 24)        # Monday → Tuesday
    assert targets.due_at(local(2026, 11, 27, 16)) == local(2026, 11, 30, 16)  # Friday → Monday
    assert targets.due_at(local(2026, 11, 28, 15)) == local(2026, 12, 1, 9)    # Saturday → starts Monday 09:00
    assert targets.due_at(local(2026, 9, 30, 11)) == local(2026, 10, 8, 11)    # National Day week
    assert targets.due_at(local(2026, 11, 23), working_days=3) == local(2026, 11, 26)


def test_working_hours_skip_non_working_days():
    assert targets.working_hours_between(local(2026, 11, 23, 10), local(2026, 11, 23, 13)) == 3
    assert targets.working_hours_between(local(2026, 11, 27, 20), local(2026, 11, 30, 2)) == 6   # weekend skipped
    assert targets.working_hours_between(local(2026, 11, 24), local(2026, 11, 23)) == 0
    assert targets.missed(local(2026, 11, 24), local(2026, 11, 24, 11), now=local(2026, 12, 1))
    assert not targets.missed(local(2026, 11, 24), None, now=local(2026, 11, 23, 23))


def test_reminder_goes_out_once_shortly_before_the_target(db, staff):
    delivery.set_reminder_phone(db, staff.a_market, "13800138001")
    delivery.set_reminder_phone(db, staff.a_market2, "13800138002")
    delivery.set_reminder_phone(db, staff.a_fire, "13800138009")
    created = local(2026, 11, 23, 10)
    escalation = escalations.create(db, staff.window, kind=KIND_COUNTER, department="市场监管",
                                    question="个体户变更经营场所要重新办食品经营许可吗？", now=created)
    db.commit()
    due = escalation.due_at
    assert due == local(2026, 11, 24, 10)

    assert targets.send_reminders(db, now=due - timedelta(hours=3)) == []          # too early
    reminded = targets.send_reminders(db, now=due - timedelta(hours=1, minutes=30))
    db.commit()
    assert reminded == [escalation]
    rows = list(db.scalars(select(Notification).order_by(Notification.recipient)))
    # unclaimed: every A-post of the department with a reminder number, never the other departments
    assert [(n.channel, n.recipient, n.template) for n in rows] == [
        (SMS, "+8613800138001", "escalation_reminder"), (SMS, "+8613800138002", "escalation_reminder")]
    assert "1350分钟" in rows[0].body and f"/desk/escalations/{escalation.id}" in rows[0].body

    assert targets.send_reminders(db, now=due - timedelta(minutes=10)) == []        # once only
    assert targets.send_reminders(db, now=due + timedelta(hours=5)) == []
    assert db.scalar(select(EscalationEvent).where(EscalationEvent.action == "reminded")).detail["messages"] == 2


def test_reminder_of_a_claimed_escalation_goes_to_its_owner(db, staff):
    delivery.set_reminder_phone(db, staff.a_market, "13800138001")
    delivery.set_reminder_phone(db, staff.a_market2, "13800138002")
    escalation = escalations.create(db, staff.window, kind=KIND_COUNTER, department="市场监管",
                                    question="食品经营许可证丢了怎么补办", now=local(2026, 11, 23, 10))
    escalations.claim(db, escalation.id, staff.a_market2, now=local(2026, 11, 23, 11))
    answered = escalations.create(db, staff.window, kind=KIND_COUNTER, department="市场监管",
                                  question="已经答复的问题", now=local(2026, 11, 23, 10))
    escalations.claim(db, answered.id, staff.a_market)
    escalations.answer(db, answered.id, staff.a_market, "答复")
    db.commit()
    assert targets.send_reminders(db, now=local(2026, 11, 24, 9)) == [escalation]   # not the answered one
    db.commit()
    assert [n.recipient for n in db.scalars(select(Notification))] == ["+8613800138002"]


def test_periodic_reminder_check_is_registered():
    from core import periodic

    assert "desk.targets.run_reminder_check" in [job.path for job in periodic.PERIODIC_JOBS]
    assert periodic.resolve("desk.targets.run_reminder_check") is targets.run_reminder_check
