"""Policies: opt-outs, quiet hours (deferred with RQ's scheduler), the hourly per-number limit."""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from rq import Queue

from core.config import reset_settings
from core.db import session_scope
from core.queues import NOTIFY
from core.redis import get_redis
from notify import policies
from notify.models import CREATED, DELIVERED, PERMANENT_FAILURE
from tests.notify.helpers import PHONE, PHONE_E164, record_committed, row, rows
from tests.support.workers import run_burst

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize("text,expected", [("退订", True), ("TD", True), ("t", True), (" 回复退订 ", True),
                                           ("我想退订短信以外的服务", False), ("开饭店", False)])
def test_opt_out_keywords(text, expected):
    assert policies.is_opt_out_keyword(text) is expected


@pytest.mark.parametrize("local,expected_end", [
    (datetime(2026, 11, 22, 22, 30), datetime(2026, 11, 23, 8, 0)),
    (datetime(2026, 11, 22, 7, 59), datetime(2026, 11, 22, 8, 0)),
    (datetime(2026, 11, 22, 12, 0), None),
    (datetime(2026, 11, 22, 21, 0), datetime(2026, 11, 23, 8, 0)),
])
def test_quiet_hours_default_window(local, expected_end):
    now = local.replace(tzinfo=SHANGHAI).astimezone(timezone.utc)
    until = policies.quiet_until(now, "21:00-08:00", "Asia/Shanghai")
    assert until == (expected_end.replace(tzinfo=SHANGHAI) if expected_end else None)


def _quiet_now(monkeypatch):
    local = datetime.now(SHANGHAI)
    start, end = local - timedelta(hours=1), local + timedelta(hours=1)
    monkeypatch.setenv("QUIET_HOURS", f"{start:%H:%M}-{end:%H:%M}")
    reset_settings()


def test_non_urgent_sms_waits_for_quiet_hours_to_end_urgent_does_not(notify_env, monkeypatch):
    _quiet_now(monkeypatch)
    [later] = record_committed("wf:1:1", phone=PHONE)
    [now] = record_committed("wf:2:1", phone="13912345678", urgent=True)
    run_burst(notify_env["REDIS_URL"])
    assert row(now).status == DELIVERED
    deferred = row(later)
    assert deferred.status == CREATED and deferred.next_attempt_at > datetime.now(timezone.utc)
    assert Queue(NOTIFY, connection=get_redis()).scheduled_job_registry.count == 1


def test_hourly_limit_defers_the_sixth_sms(notify_env):
    ids = [record_committed(f"staff-reply:{i}", template="staff_reply", personalisation={"text": f"答复{i}"},
                            phone=PHONE)[0] for i in range(7)]
    run_burst(notify_env["REDIS_URL"])
    statuses = [row(i).status for i in ids]
    assert statuses.count(DELIVERED) == 5 and statuses.count(CREATED) == 2
    assert all(row(i).next_attempt_at for i in ids if row(i).status == CREATED)


def test_opted_out_numbers_get_transactional_messages_only(notify_env):
    with session_scope() as session:
        policies.record_opt_out(session, PHONE_E164, "sms 退订")
        policies.record_opt_out(session, PHONE_E164, "sms 退订")     # idempotent
    [rating] = record_committed("rating:1", template="rating_request", personalisation={"name": "张三"}, phone=PHONE)
    [passed] = record_committed("wf:1:1", phone=PHONE)
    run_burst(notify_env["REDIS_URL"])
    assert (row(rating).status, row(rating).error_code) == (PERMANENT_FAILURE, "opted-out")
    assert row(passed).status == DELIVERED
    assert len(rows()) == 2
