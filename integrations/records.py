"""Database helpers shared by both backends: application numbers, look-ups with the phone check, and
conversion of rows into the status value objects."""
from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from core.identity import InvalidIdentifier, normalise_mobile
from integrations.deadlines import local_today
from integrations.errors import NotFound, PhoneMismatch
from integrations.models import ApplicationCounter, WorkflowApplication, WorkflowTask
from integrations.schema import Application
from integrations.status import ApplicationStatus, TaskStatus, normalise_application_id


def next_application_id(session: Session) -> str:
    """YCyyyymmdd-nnnn from the day's counter. The UPDATE takes the row's write lock until the caller's
    transaction ends, so concurrent submissions get consecutive numbers, never the same one."""
    day = f"{local_today():%Y%m%d}"
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else postgresql_insert
    session.execute(insert(ApplicationCounter).values(day=day, last=0).on_conflict_do_nothing())
    session.execute(update(ApplicationCounter).where(ApplicationCounter.day == day)
                    .values(last=ApplicationCounter.last + 1))
    number = session.scalar(select(ApplicationCounter.last).where(ApplicationCounter.day == day))
    return f"YC{day}-{number:04d}"


def add_application(session: Session, application: Application, *, backend: str,
                    conversation_id: str | None, application_id: str | None = None) -> WorkflowApplication:
    """Insert the application row under a fresh number (or the external system's number, http mirror)."""
    row = WorkflowApplication(
        application_id=application_id or next_application_id(session), backend=backend,
        schema_version=application.schema_version, entity_type=application.entity_type,
        display_name=application.display_name[:60], applicant_name=application.applicant_name[:30],
        phone=application.phone, conversation_id=conversation_id, data=application.model_dump(mode="json"))
    session.add(row)
    session.flush()
    return row


def find_application(session: Session, application_id: str) -> WorkflowApplication:
    number = normalise_application_id(application_id)
    row = session.scalar(select(WorkflowApplication).where(WorkflowApplication.application_id == number))
    if row is None:
        raise NotFound(f"未找到申请编号 {number}，请核对后重新输入。")
    return row


def check_phone(row: WorkflowApplication, phone: str) -> None:
    try:
        normalised = normalise_mobile(phone)
    except InvalidIdentifier as exc:
        raise PhoneMismatch(str(exc)) from None
    if normalised != row.phone:
        raise PhoneMismatch("该手机号码与申请时登记的联系手机不一致，为保护您的信息，无法查询或修改此申请。")


def find_for_applicant(session: Session, application_id: str, phone: str) -> WorkflowApplication:
    row = find_application(session, application_id)
    check_phone(row, phone)
    return row


def find_task(session: Session, task_id: int | str) -> WorkflowTask:
    task = None
    if str(task_id).isdigit():
        task = session.get(WorkflowTask, int(task_id))
    if task is None:
        raise NotFound(f"任务 {task_id} 不存在。")
    return task


def task_status(task: WorkflowTask) -> TaskStatus:
    return TaskStatus(task_id=task.id, kind=task.kind, name=task.name, department=task.department,
                      state=task.state, prereview_due=task.prereview_due, processing_due=task.processing_due,
                      reason=task.reason, fix=list(task.fix or []), version=task.version,
                      deadline_estimated=task.deadline_estimated)


def application_status(row: WorkflowApplication, cls=ApplicationStatus) -> ApplicationStatus:
    return cls(application_id=row.application_id, display_name=row.display_name, entity_type=row.entity_type,
               tasks=[task_status(task) for task in row.tasks])


def applications_for_conversation(session: Session, conversation_id: str) -> list[ApplicationStatus]:
    rows = session.scalars(select(WorkflowApplication)
                           .where(WorkflowApplication.conversation_id == conversation_id)
                           .order_by(WorkflowApplication.id.desc())).all()
    return [application_status(row) for row in rows]
