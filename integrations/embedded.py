"""The embedded workflow (default backend): applications, tasks and decisions in our own database."""
from __future__ import annotations

from typing import Callable

from sqlalchemy.orm import Session

from integrations import deadlines, records, states
from integrations.base import DECISIONS, WorkflowClient
from integrations.errors import InvalidDecision, ResubmitRejected
from integrations.events import Publisher, apply_transition
from integrations.models import EMBEDDED, WorkflowTask
from integrations.schema import FIELD_LABELS, FIXABLE_FIELDS, Application, parse_application
from integrations.splitting import plan_tasks
from integrations.status import ApplicationStatus, Receipt, TaskStatus, fix_labels


def _default_kb():
    import knowledge

    if hasattr(knowledge, "get_kb"):
        return knowledge.get_kb()
    from knowledge.loader import get_kb  # before knowledge/__init__ re-exports it

    return get_kb()


class EmbeddedWorkflow(WorkflowClient):
    """`publisher` receives every transition inside the transaction (default: notify the applicant)."""

    def __init__(self, kb_loader: Callable = _default_kb, publisher: Publisher | None = None,
                 backend: str = EMBEDDED):
        self.kb_loader = kb_loader
        self.publisher = publisher
        self.backend = backend

    # --- applicant side -----------------------------------------------------------------------------

    def submit(self, session: Session, application: Application | dict,
               conversation_id: str | None = None) -> Receipt:
        application = parse_application(application)
        plan = plan_tasks(self.kb_loader(), application.entity_type, application.x_items)
        row = records.add_application(session, application, backend=self.backend, conversation_id=conversation_id)
        today = deadlines.local_today()
        due = deadlines.prereview_due(today)
        for planned in plan:
            session.add(WorkflowTask(
                application_pk=row.id, kind=planned.kind, item_ids=list(planned.item_ids), name=planned.name,
                department=planned.department, state=states.SUBMITTED, prereview_due=due,
                processing_days=planned.processing_days, deadline_estimated=deadlines.is_estimate(today, due)))
        session.flush()
        session.refresh(row)
        return records.application_status(row, cls=Receipt)

    def status(self, session: Session, application_id: str, phone: str) -> ApplicationStatus:
        return records.application_status(records.find_for_applicant(session, application_id, phone))

    def applications_for_conversation(self, session: Session, conversation_id: str) -> list[ApplicationStatus]:
        return records.applications_for_conversation(session, conversation_id)

    def resubmit(self, session: Session, application_id: str, phone: str, changes: dict) -> ApplicationStatus:
        row = records.find_for_applicant(session, application_id, phone)
        returned = [task for task in row.tasks if task.state == states.RETURNED]
        if not returned:
            raise ResubmitRejected("该申请目前没有被退回需要修改的内容，无需重新提交。")
        wanted: list[str] = []
        for task in returned:
            wanted.extend(key for key in task.fix or [] if key not in wanted)
        not_asked = [key for key in changes if key not in wanted]
        if not_asked:
            raise ResubmitRejected(
                f"本次只能修改退回时要求补正的内容（{'、'.join(fix_labels(wanted))}），"
                f"以下内容不能修改：{'、'.join(FIELD_LABELS.get(key, key) for key in not_asked)}。")
        missing = [key for key in wanted if key not in changes]
        if missing:
            raise ResubmitRejected(f"还需要修改：{'、'.join(fix_labels(missing))}，请一并提交。")
        application = parse_application({**row.data, **changes})
        row.data = application.model_dump(mode="json")
        row.phone = application.phone
        row.display_name = application.display_name[:60]
        row.applicant_name = application.applicant_name[:30]
        today = deadlines.local_today()
        due = deadlines.prereview_due(today)
        for task in returned:
            apply_transition(session, task, states.RESUBMIT, actor="applicant", publisher=self.publisher,
                             fix=list(changes), prereview_due=due, overdue_notified_on=None,
                             deadline_estimated=deadlines.is_estimate(today, due))
        session.flush()
        session.refresh(row)
        return records.application_status(row)

    # --- department side ----------------------------------------------------------------------------

    def decide(self, session: Session, task_id: int | str, decision: str, reason: str | None = None,
               fix: list[str] | None = None, reviewer_id: int | None = None,
               expected_version: int | None = None) -> TaskStatus:
        reason, fix = validate_decision(decision, reason, fix)
        task = records.find_task(session, task_id)
        actor = f"reviewer:{reviewer_id}" if reviewer_id else "reviewer"
        if decision in ("pass", "return") and task.state in (states.SUBMITTED, states.RESUBMITTED):
            apply_transition(session, task, states.START_REVIEW, actor=actor, expected_version=expected_version,
                             publisher=self.publisher, reviewer_id=reviewer_id)
            expected_version = None
        if decision == "pass":
            today = deadlines.local_today()
            due = deadlines.processing_due(today, task.processing_days)
            apply_transition(session, task, states.PASS, actor=actor, expected_version=expected_version,
                             publisher=self.publisher, reviewer_id=reviewer_id, processing_due=due,
                             deadline_estimated=deadlines.is_estimate(today, due))
        elif decision == "return":
            apply_transition(session, task, states.RETURN, actor=actor, expected_version=expected_version,
                             publisher=self.publisher, reviewer_id=reviewer_id, reason=reason, fix=fix)
        else:
            action = states.APPROVE if decision == "approve" else states.ISSUE
            apply_transition(session, task, action, actor=actor, expected_version=expected_version,
                             publisher=self.publisher, reviewer_id=reviewer_id)
        return records.task_status(task)


def validate_decision(decision: str, reason: str | None, fix: list[str] | None) -> tuple[str | None, list[str] | None]:
    """Normalise a decision's reason and fix list; InvalidDecision (Chinese) for bad input."""
    if decision not in DECISIONS:
        raise InvalidDecision(f"决定应为：{'、'.join(DECISIONS)}。")
    reason = (reason or "").strip() or None
    if decision != "return":
        return reason, None
    if not reason:
        raise InvalidDecision("退回时必须填写退回原因。")
    if len(reason) > 500:
        raise InvalidDecision("退回原因不能超过500字。")
    if isinstance(fix, str) or not fix:
        raise InvalidDecision("退回时必须选择需要申请人修改的内容。")
    unknown = [key for key in fix if key not in FIXABLE_FIELDS]
    if unknown:
        raise InvalidDecision(f"不能要求修改：{'、'.join(map(str, unknown))}；可选：{'、'.join(FIXABLE_FIELDS)}。")
    return reason, list(dict.fromkeys(fix))
