"""Due dates in working days (core.workdays: chinesecalendar, Monday-Friday with a warning beyond its range).

Policy (杭州“1+N”+X 网上运行系统通知, seeds/000):
- 网上预审 must finish within 2 working days of submission (or resubmission);
- N filings: no more than the business licence's own time limit + 2 days;
- X items: 7 working days when an on-site inspection (现场踏勘) is involved, otherwise 5.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from core.config import get_settings
from core.workdays import add_working_days, calendar_covers

PREREVIEW_WORKING_DAYS = 2
N_EXTRA_DAYS = 2
X_DAYS_WITH_INSPECTION = 7
X_DAYS_WITHOUT_INSPECTION = 5
LICENCE_DEFAULT_DAYS = 3  # 市场主体登记管理条例 第十九条: within 3 working days when not on the spot


def local_today(now: datetime | None = None) -> date:
    """Today in the service's time zone (Asia/Shanghai): deadlines are local calendar days."""
    now = now or datetime.now(ZoneInfo("UTC"))
    return now.astimezone(ZoneInfo(get_settings().timezone)).date()


def prereview_due(start: date) -> date:
    return add_working_days(start, PREREVIEW_WORKING_DAYS)


def licence_days(promised_days: int | None) -> int:
    return LICENCE_DEFAULT_DAYS if promised_days is None else promised_days


def n_days(licence_processing_days: int) -> int:
    return licence_processing_days + N_EXTRA_DAYS


def x_days(promised_days: int | None, onsite_inspection: bool) -> int:
    """The item's promised days, never beyond the policy's cap for its kind."""
    cap = X_DAYS_WITH_INSPECTION if onsite_inspection else X_DAYS_WITHOUT_INSPECTION
    return cap if promised_days is None else min(promised_days, cap)


def processing_due(start: date, days: int) -> date:
    return add_working_days(start, days)


def is_estimate(start: date, due: date) -> bool:
    """True when part of the span lies outside the holiday calendar (Monday-Friday was assumed)."""
    day = start
    while day <= due:
        if not calendar_covers(day):
            return True
        day += timedelta(days=1)
    return False


def is_overdue(due: date, today: date | None = None) -> bool:
    return (today or local_today()) > due
