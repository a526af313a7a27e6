import logging
from datetime import date

import pytest

from core.workdays import add_working_days, calendar_covers, is_workday, working_days_between


def test_national_day_then_make_up_saturday():
    assert add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 10)
    assert is_workday(date(2026, 10, 10))  # Saturday, make-up working day
    assert not is_workday(date(2026, 10, 5))


def test_zero_days_rolls_forward_to_a_working_day():
    assert add_working_days(date(2026, 10, 1), 0) == date(2026, 10, 8)
    assert add_working_days(date(2026, 10, 9), 0) == date(2026, 10, 9)


def test_beyond_calendar_range_falls_back_to_weekdays_with_warning(caplog):
    assert not calendar_covers(date(2027, 1, 4))
    with caplog.at_level(logging.WARNING):
        # Thursday 2026-12-31 + 2 working days crosses into 2027: Fri 1 Jan (assumed workday), Mon 4 Jan
        assert add_working_days(date(2026, 12, 31), 2) == date(2027, 1, 4)
    assert "no data for 2027" in caplog.text


def test_working_days_between():
    assert working_days_between(date(2026, 9, 30), date(2026, 10, 10)) == 3
    assert working_days_between(date(2026, 10, 10), date(2026, 9, 30)) == 0


def test_negative_days_rejected():
    with pytest.raises(ValueError):
        add_working_days(date(2026, 1, 5), -1)
