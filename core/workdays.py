"""Working days as the law counts them (行政许可法 第八十二条): China's statutory holidays and make-up days.

chinesecalendar covers a fixed range of years (2004-2026 in 1.11.0). For a year it does not cover we
fall back to Monday-Friday and log a warning, so deadlines are still produced, flagged as estimates.
"""
from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

import chinese_calendar

log = logging.getLogger(__name__)


def calendar_covers(day: date) -> bool:
    try:
        chinese_calendar.is_workday(day)
    except NotImplementedError:
        return False
    return True


def is_workday(day: date) -> bool:
    if isinstance(day, datetime):
        day = day.date()
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        log.warning("working-day calendar has no data for %s; assuming Monday-Friday", day.year)
        return day.weekday() < 5


def add_working_days(start: date, days: int) -> date:
    """The day that is `days` working days after `start` (start itself not counted).

    add_working_days(2026-09-30, 3) == 2026-10-10 (National Day, then a make-up Saturday).
    days == 0 gives start if it is a working day, else the next working day.
    """
    if isinstance(start, datetime):
        start = start.date()
    if days < 0:
        raise ValueError("days must not be negative")
    day = start
    if days == 0:
        while not is_workday(day):
            day += timedelta(days=1)
        return day
    remaining = days
    while remaining:
        day += timedelta(days=1)
        if is_workday(day):
            remaining -= 1
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (0 if end <= start)."""
    if isinstance(start, datetime):
        start = start.date()
    if isinstance(end, datetime):
        end = end.date()
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        if is_workday(day):
            count += 1
    return count
