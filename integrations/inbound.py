"""Events from an external workflow system (http backend), applied to our local mirror of its tasks.

Body of POST /api/workflow/events (signed, see integrations.signing):

    {"id": "evt-123",                      unique per event; a second arrival is rejected
     "type": "task.passed",                task.review_started | task.passed | task.returned |
                                           task.resubmitted | task.approved | task.issued
     "application_id": "YC20261122-0001",
     "task": {"task_id": "T-9", "state": "passed", "processing_due": "2026-12-01", ...},
     "reason": "...", "fix": ["address"]}  for task.returned

Each event runs the same state machine and the same notify step as the embedded backend, so the
applicant hears about it exactly once.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from integrations import states
from integrations.errors import InvalidDecision, NotFound
from integrations.events import apply_transition
from integrations.models import WorkflowTask

EVENT_ACTIONS = {
    "task.review_started": states.START_REVIEW,
    "task.passed": states.PASS,
    "task.returned": states.RETURN,
    "task.resubmitted": states.RESUBMIT,
    "task.approved": states.APPROVE,
    "task.issued": states.ISSUE,
}


def apply_event(session: Session, payload: dict) -> WorkflowTask:
    """Apply one external event; InvalidDecision for a malformed body, NotFound for an unknown task,
    Conflict when the transition is not valid from the mirrored state."""
    if not isinstance(payload, dict) or not isinstance(payload.get("task"), dict):
        raise InvalidDecision("event body must be an object with a task")
    action = EVENT_ACTIONS.get(payload.get("type"))
    if action is None:
        raise InvalidDecision(f"unknown event type; expected one of {', '.join(EVENT_ACTIONS)}")
    external_id = str(payload["task"].get("task_id", ""))
    task = session.scalar(select(WorkflowTask).where(WorkflowTask.external_id == external_id))
    if task is None:
        raise NotFound(f"unknown task {external_id!r}")
    changes = _dates(payload["task"])
    if action in (states.PASS, states.RETURN) and task.state in (states.SUBMITTED, states.RESUBMITTED):
        apply_transition(session, task, states.START_REVIEW, actor="external")
    reason = payload.get("reason")
    fix = payload.get("fix")
    if action == states.RETURN and (not reason or not isinstance(fix, list)):
        raise InvalidDecision("task.returned needs a reason and a fix list")
    apply_transition(session, task, action, actor="external", reason=reason, fix=fix, **changes)
    return task


def _dates(task: dict) -> dict:
    changes = {}
    for key in ("prereview_due", "processing_due"):
        if task.get(key):
            try:
                changes[key] = date.fromisoformat(task[key])
            except (TypeError, ValueError):
                raise InvalidDecision(f"{key} must be an ISO date") from None
    return changes
