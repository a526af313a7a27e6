"""Pre-review overdue reminders (网上预审时限不得超过2个工作日): once per task and pre-review round.

`check_overdue(session)` finds tasks still awaiting pre-review after their due date and records a
prereview_overdue SMS to the department's duty phone (settings.workflow_department_phones). The event key
is `wf-overdue:<task id>:<seq>`: a resubmission starts a new round (new seq) that may be reminded again,
and running the check twice in a round sends nothing new. `job_check_overdue` is the thin RQ job.
"""
from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.config import get_settings
from core.db import session_scope
from core.identity import InvalidIdentifier, normalise_mobile
from integrations import states
from integrations.deadlines import local_today
from integrations.models import WorkflowTask

log = logging.getLogger(__name__)


def department_phones(raw: str | None = None) -> dict[str, str]:
    """'市场监管=13800000001,消防=13800000002' → {department: E.164}; bad entries are logged and skipped."""
    raw = get_settings().workflow_department_phones if raw is None else raw
    phones: dict[str, str] = {}
    for entry in filter(None, (part.strip() for part in raw.replace("，", ",").split(","))):
        department, _, phone = entry.partition("=")
        try:
            phones[department.strip()] = normalise_mobile(phone)
        except InvalidIdentifier:
            log.warning("WORKFLOW_DEPARTMENT_PHONES: bad phone for %s", department)
    return phones


def reviewer_link(task_id: int) -> str:
    return f"{get_settings().public_base_url.rstrip('/')}/review/tasks/{task_id}"


def check_overdue(session: Session) -> int:
    """Record reminders for overdue pre-reviews; return how many tasks were reminded."""
    from notify import outbox

    today = local_today()
    phones = department_phones()
    overdue = session.scalars(select(WorkflowTask).where(
        WorkflowTask.state.in_(states.AWAITING_PREREVIEW), WorkflowTask.prereview_due < today,
        WorkflowTask.overdue_notified_on.is_(None)).order_by(WorkflowTask.id)).all()
    reminded = 0
    for task in overdue:
        phone = phones.get(task.department)
        if phone is None:
            log.info("pre-review of task %s is overdue; no duty phone for %s", task.id, task.department)
            continue
        due = task.prereview_due
        outbox.record(session, event_key=f"wf-overdue:{task.id}:{task.seq}", template="prereview_overdue",
                      personalisation={"department": task.department,
                                       "application_id": task.application.application_id,
                                       "item_name": task.name, "due_date": f"{due.year}年{due.month}月{due.day}日",
                                       "link": reviewer_link(task.id)},
                      phone=phone)
        task.overdue_notified_on = today
        reminded += 1
    session.flush()
    return reminded


def job_check_overdue() -> int:
    """RQ job (periodic): one transaction; exceptions propagate so RQ retries."""
    with session_scope() as session:
        return check_overdue(session)
