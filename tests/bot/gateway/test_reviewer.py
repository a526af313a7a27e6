"""Reviewer console: department queue by due date with overdue highlighted, masked application detail,
pass / return with CSRF-protected forms, role and department checks."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.accounts import REVIEWER, WINDOW_STAFF, create_account
from core.db import session_scope
from integrations import states
from integrations.deadlines import local_today
from integrations.models import WorkflowTask
from notify.models import Notification
from tests.bot.gateway.conftest import csrf_token
from tests.integrations.helpers import (CONVERSATION, ID_A, company_data, knowledge_copy, workflow,  # noqa: F401
                                        workflow_kb)


def login(client, username, role, department=None):
    with session_scope() as session:
        create_account(session, username, "review-pass-1", role, department=department)
    token = csrf_token(client, "/staff/login")
    response = client.post("/staff/login", data={"username": username, "password": "review-pass-1",
                                                 "csrf_token": token})
    assert response.status_code == 302


@pytest.fixture
def tasks(workflow):
    with session_scope() as session:
        receipt = workflow.submit(session, company_data(), conversation_id=CONVERSATION)
    return {task.department + task.kind + str(i): task.task_id for i, task in enumerate(receipt.tasks)}, receipt


def fire_task(receipt):
    return next(task.task_id for task in receipt.tasks if task.department == "消防")


def test_queue_shows_own_department_with_overdue_first(client, tasks):
    _, receipt = tasks
    with session_scope() as session:
        second = session.get(WorkflowTask, fire_task(receipt))
        second.prereview_due = local_today() - timedelta(days=3)
    login(client, "fire", REVIEWER, "消防")
    page = client.get("/review/").get_data(as_text=True)
    assert "公众聚集场所" in page and "食品经营许可" not in page
    assert re.search(r'<tr class="overdue" data-task="%d">' % fire_task(receipt), page)
    assert "已超时" in page


def test_detail_masks_identifiers(client, tasks):
    _, receipt = tasks
    login(client, "fire", REVIEWER, "消防")
    page = client.get(f"/review/tasks/{fire_task(receipt)}").get_data(as_text=True)
    assert ID_A not in page and "330106********123X" in page
    assert "+8613812345678" not in page and "****5678" in page


def test_return_needs_a_reason_then_records_messages(client, tasks):
    _, receipt = tasks
    task_id = fire_task(receipt)
    login(client, "fire", REVIEWER, "消防")
    page = f"/review/tasks/{task_id}"
    response = client.post(f"{page}/decision", data={"csrf_token": csrf_token(client, page), "decision": "return",
                                                    "reason": "", "fix": ["address"], "version": 1})
    assert response.status_code == 400 and "退回原因" in response.get_data(as_text=True)
    response = client.post(f"{page}/decision", data={"csrf_token": csrf_token(client, page), "decision": "return",
                                                    "reason": "平面图未标注安全出口", "fix": ["address", "attachments"],
                                                    "version": 1})
    assert response.status_code == 302
    with session_scope() as session:
        task = session.get(WorkflowTask, task_id)
        assert task.state == states.RETURNED and task.fix == ["address", "attachments"]
        sms = session.scalar(select(Notification).where(Notification.channel == "sms"))
        assert sms.template == "prereview_returned" and "平面图未标注安全出口" in sms.body
    # A form loaded before the decision is stale now.
    response = client.post(f"{page}/decision", data={"csrf_token": csrf_token(client, "/review/"),
                                                    "decision": "pass", "version": 1})
    assert response.status_code == 409 and "不能执行" in response.get_data(as_text=True)


def test_pass_from_the_console(client, tasks):
    _, receipt = tasks
    task_id = receipt.tasks[0].task_id
    login(client, "amr", REVIEWER, "市场监管")
    page = f"/review/tasks/{task_id}"
    response = client.post(f"{page}/decision", data={"csrf_token": csrf_token(client, page), "decision": "pass",
                                                    "version": 1})
    assert response.status_code == 302
    with session_scope() as session:
        assert session.get(WorkflowTask, task_id).state == states.PASSED


def test_other_departments_and_wrong_roles_get_403_and_csrf_is_required(client, tasks):
    _, receipt = tasks
    login(client, "fire", REVIEWER, "消防")
    licence = receipt.tasks[0].task_id
    assert client.get(f"/review/tasks/{licence}").status_code == 403
    response = client.post(f"/review/tasks/{fire_task(receipt)}/decision", data={"decision": "pass"})
    assert response.status_code == 400          # no CSRF token
    client.post("/staff/logout", data={"csrf_token": csrf_token(client, "/review/")})
    login(client, "desk", WINDOW_STAFF)
    assert client.get("/review/").status_code == 403


def test_login_is_required(client, workflow_kb):
    response = client.get("/review/")
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]
