"""What the reviewer console shows: a department's task queue by due date and a task's application,
with identifiers masked. Plain functions; the Flask view only renders them."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.accounts import ADMIN, Account
from core.identity import mask_id_number, mask_mobile
from integrations import records, states
from integrations.models import WorkflowEvent, WorkflowTask
from integrations.schema import FIELD_LABELS, FIXABLE_FIELDS, ROLE_LABELS
from integrations.status import TaskStatus


@dataclass
class QueueRow:
    task: TaskStatus
    application_id: str
    display_name: str


def can_review(account: Account, department: str) -> bool:
    return account.role == ADMIN or account.department == department


def queue(session: Session, department: str | None, include_closed: bool = False) -> list[QueueRow]:
    """Tasks of a department (all departments when None), earliest due first; overdue ones first of all."""
    query = select(WorkflowTask)
    if department:
        query = query.where(WorkflowTask.department == department)
    if not include_closed:
        query = query.where(WorkflowTask.state.in_(states.OPEN_FOR_DEPARTMENT))
    rows = [QueueRow(records.task_status(task), task.application.application_id, task.application.display_name)
            for task in session.scalars(query)]
    rows.sort(key=lambda row: (not row.task.overdue, row.task.due is None, row.task.due or row.task.prereview_due,
                               row.task.task_id))
    return rows


def masked_application(data: dict) -> dict:
    """The application for display: ID numbers and mobiles masked, labels in Chinese."""
    people = [{"role": ROLE_LABELS.get(person.get("role"), person.get("role")), "name": person.get("name"),
               "id_number": mask_id_number(person.get("id_number", "")),
               "mobile": mask_mobile(person["mobile"]) if person.get("mobile") else "",
               "contribution": person.get("contribution")}
              for person in data.get("people", [])]
    return {**data, "people": people, "phone": mask_mobile(data.get("phone", ""))}


def history(session: Session, task_id: int) -> list[WorkflowEvent]:
    return list(session.scalars(select(WorkflowEvent).where(WorkflowEvent.task_id == task_id)
                                .order_by(WorkflowEvent.seq)))


def decision_choices(state: str) -> list[str]:
    """The decisions the console offers for a task in `state`."""
    if state in states.AWAITING_PREREVIEW:
        return ["pass", "return"]
    if state == states.PASSED:
        return ["approve"]
    if state == states.APPROVED:
        return ["issue"]
    return []


FIX_CHOICES = [(key, FIELD_LABELS[key]) for key in FIXABLE_FIELDS]
