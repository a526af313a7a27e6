"""Due dates in working days across the 2026 holidays and beyond the calendar's range."""
import logging
from datetime import date, datetime, timezone

from integrations import deadlines


def test_prereview_takes_two_working_days_across_national_day():
    # 2026-10-01..07 are holidays; 2026-10-09 (Friday) is the second working day after 09-30.
    assert deadlines.prereview_due(date(2026, 9, 30)) == date(2026, 10, 9)


def test_three_working_days_from_september_30_end_on_the_make_up_saturday():
    assert deadlines.processing_due(date(2026, 9, 30), 3) == date(2026, 10, 10)
    assert date(2026, 10, 10).weekday() == 5
    assert not deadlines.is_estimate(date(2026, 9, 30), date(2026, 10, 10))


def test_spring_festival_2026():
    # 2026 Spring Festival holiday: 02-15 .. 02-23; 02-14 (Saturday) and 02-28 (Saturday) are make-up days.
    assert deadlines.prereview_due(date(2026, 2, 13)) == date(2026, 2, 24)


def test_beyond_the_calendar_range_assumes_monday_to_friday_and_warns(caplog):
    with caplog.at_level(logging.WARNING, logger="core.workdays"):
        due = deadlines.processing_due(date(2026, 12, 31), 7)
    assert due == date(2027, 1, 11)          # Mon-Fri only: 1-1 (Fri), 1-4..1-8, 1-11
    assert any("2027" in record.getMessage() for record in caplog.records)
    assert deadlines.is_estimate(date(2026, 12, 31), due)
    assert not deadlines.is_estimate(date(2026, 12, 1), date(2026, 12, 31))


def test_policy_limits_per_kind():
    assert deadlines.licence_days(None) == 3 and deadlines.licence_days(1) == 1 and deadlines.licence_days(0) == 0
    assert deadlines.n_days(3) == 5                       # licence time + 2 days
    assert deadlines.x_days(None, onsite_inspection=True) == 7
    assert deadlines.x_days(None, onsite_inspection=False) == 5
    assert deadlines.x_days(20, onsite_inspection=True) == 7   # never beyond the policy cap
    assert deadlines.x_days(3, onsite_inspection=False) == 3   # a shorter promise stands
    assert deadlines.x_days(0, onsite_inspection=False) == 0   # issued together with the licence


def test_local_today_is_shanghai_time(monkeypatch):
    # 2026-11-22 17:30 UTC is already 2026-11-23 in Hangzhou.
    assert deadlines.local_today(datetime(2026, 11, 22, 17, 30, tzinfo=timezone.utc)) == date(2026, 11, 23)


def test_overdue_is_strictly_after_the_due_date():
    assert not deadlines.is_overdue(date(2026, 10, 9), today=date(2026, 10, 9))
    assert deadlines.is_overdue(date(2026, 10, 9), today=date(2026, 10, 10))
