"""Pre-review overdue reminders to the department's duty phone: once per task and review round."""
from datetime import timedelta

from sqlalchemy import select

from core.config import reset_settings
from core.db import session_scope
from integrations import reminders
from integrations.deadlines import local_today
from integrations.models import WorkflowTask
from notify.models import Notification
from tests.integrations.helpers import CONVERSATION, PHONE, company_data
from tests.support.workers import run_burst


def test_overdue_pre_reviews_remind_the_department_once(workflow, env, monkeypatch):
    monkeypatch.setenv("WORKFLOW_DEPARTMENT_PHONES", "消防=13900000001， 市场监管=not-a-phone")
    monkeypatch.setenv("QUIET_HOURS", "off")
    reset_settings()
    with session_scope() as session:
        receipt = workflow.submit(session, company_data(), conversation_id=CONVERSATION)
        for task in session.scalars(select(WorkflowTask)):
            task.prereview_due = local_today() - timedelta(days=1)
    fire = next(task.task_id for task in receipt.tasks if task.department == "消防")

    assert reminders.job_check_overdue() == 1          # 市场监管 has no valid duty phone: logged, skipped
    assert reminders.job_check_overdue() == 0          # the same round is reminded once
    with session_scope() as session:
        [sms] = session.scalars(select(Notification)).all()
        assert (sms.template, sms.recipient) == ("prereview_overdue", "+8613900000001")
        assert receipt.application_id in sms.body and f"/review/tasks/{fire}" in sms.body

    # A returned and resubmitted task starts a new round, which may be reminded again.
    with session_scope() as session:
        workflow.decide(session, fire, "return", reason="缺平面图", fix=["attachments"])
        workflow.resubmit(session, receipt.application_id, PHONE, {"attachments": []})
        session.get(WorkflowTask, fire).prereview_due = local_today() - timedelta(days=1)
    assert reminders.job_check_overdue() == 1
    run_burst(env["REDIS_URL"])
    with session_scope() as session:
        overdue = session.scalars(select(Notification).where(Notification.template == "prereview_overdue")).all()
        assert len(overdue) == 2 and all(n.status == "delivered" for n in overdue)


def test_department_phones_setting():
    assert reminders.department_phones("消防=13900000001,公安=bad, ,税务=+86 139 0000 0002") == {
        "消防": "+8613900000001", "税务": "+8613900000002"}
