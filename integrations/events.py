"""Transitions of a task: a conditional UPDATE (one winner), an event row, and the applicant's messages,
all in the caller's transaction.

Exactly once: the notify event key is `wf:<task id>:<seq>` (seq = the task's transition number), and
notify.outbox.record is idempotent on that key, so replays of the same transition add nothing.
"""
from __future__ import annotations

from typing import Callable

from sqlalchemy import update
from sqlalchemy.orm import Session

from core.config import get_settings
from core.db import utcnow
from integrations import states
from integrations.errors import Conflict
from integrations.models import WorkflowEvent, WorkflowTask
from integrations.status import fix_labels

# A publisher is called inside the transaction for every transition (the default records notify messages).
Publisher = Callable[[Session, WorkflowTask, WorkflowEvent], None]

STALE_MESSAGE = "该任务已被他人处理或状态已变化，请刷新后查看最新状态。"


def apply_transition(session: Session, task: WorkflowTask, action: str, *, actor: str,
                     reason: str | None = None, fix: list[str] | None = None,
                     expected_version: int | None = None, publisher: Publisher | None = None,
                     **changes) -> WorkflowEvent:
    """Move `task` by `action`; raise Conflict when the transition is invalid or someone else won the race.

    The UPDATE matches the version and state we read, so of two concurrent decisions exactly one changes
    the row; the other sees rowcount 0 (PostgreSQL re-checks the WHERE after the winner commits; SQLite
    serialises writers) and gets Conflict.
    """
    try:
        new_state = states.next_state(task.state, action)
    except states.InvalidTransition as exc:
        raise Conflict(str(exc)) from None
    from_state = task.state
    if action == states.RETURN:
        changes.update(reason=reason, fix=fix)       # a returned task carries its reason and what to fix
    elif action in (states.RESUBMIT, states.PASS):
        changes.update(reason=None, fix=None)
    version = task.version if expected_version is None else expected_version
    result = session.execute(
        update(WorkflowTask)
        .where(WorkflowTask.id == task.id, WorkflowTask.version == version, WorkflowTask.state == task.state)
        .values(state=new_state, version=WorkflowTask.version + 1, seq=WorkflowTask.seq + 1,
                updated_at=utcnow(), **changes)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        session.expire(task)
        raise Conflict(STALE_MESSAGE)
    session.refresh(task)
    event = WorkflowEvent(task_id=task.id, seq=task.seq, action=action, from_state=from_state,
                          to_state=new_state, actor=actor, reason=reason, fix=fix)
    session.add(event)
    session.flush()
    (publisher or notify_applicant)(session, task, event)
    return event


# --- applicant messages per transition ---------------------------------------------------------------

def template_for(task: WorkflowTask, event: WorkflowEvent) -> str | None:
    if event.action == states.PASS:
        return "prereview_passed"
    if event.action == states.RETURN:
        return "prereview_returned"
    if event.action == states.APPROVE:
        return "item_approved"          # 先核先发: each approved item is reported as soon as it is approved
    if event.action == states.ISSUE and task.kind == "1":
        return "licence_issued"
    return None


def event_key(task_id: int, seq: int) -> str:
    return f"wf:{task_id}:{seq}"


def applicant_link(application_id: str) -> str:
    return f"{get_settings().public_base_url.rstrip('/')}/?application={application_id}"


def _chinese_date(day) -> str:
    return f"{day.month}月{day.day}日"


def personalisation(task: WorkflowTask, event: WorkflowEvent) -> dict:
    """The keys notify/messages.py documents for each template (extra keys are ignored there)."""
    application = task.application
    values = {"name": application.applicant_name, "application_id": application.application_id,
              "item_name": task.name, "department": task.department,
              "link": applicant_link(application.application_id)}
    if event.action == states.PASS and task.processing_due:
        values["due_date"] = _chinese_date(task.processing_due)
    if event.action == states.RETURN:
        values.update(reason=event.reason or "", fix=fix_labels(event.fix))
    if event.action == states.ISSUE:
        values["licence_name"] = "营业执照"
    return values


def notify_applicant(session: Session, task: WorkflowTask, event: WorkflowEvent) -> None:
    """Record the applicant's SMS and chat message for this transition (same transaction)."""
    template = template_for(task, event)
    if template is None:
        return
    from notify import outbox  # notify depends on nothing of ours; imported late to keep import order free

    application = task.application
    wants_sms = (application.data.get("consents") or {}).get("sms", True)
    outbox.record(session, event_key=event_key(task.id, event.seq), template=template,
                  personalisation=personalisation(task, event),
                  phone=application.phone if wants_sms else None,
                  conversation_id=application.conversation_id)
