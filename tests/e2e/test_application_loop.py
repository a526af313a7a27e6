"""Issue 4, the whole loop through the real bot: an applicant applies in the web chat (gateway → Rasa →
action server → embedded workflow), a reviewer returns the licence task in the /review console with a
reason and a field to fix, the prereview_returned SMS goes out through a real RQ worker and the twilio SDK
to the local Twilio test server and the chat message appears in the applicant's conversation, the
applicant corrects the field in chat, the department's system passes it (signed JSON API), the reviewer
approves it (先核先发) — and every message reaches the applicant exactly once on each channel."""
from __future__ import annotations

import re

from core.accounts import REVIEWER, create_account
from core.db import session_scope
from notify.models import CHAT, DELIVERED, SMS
from tests.e2e.helpers import (Applicant, Staff, inform, notifications, quiet_queues, twilio_reports_delivered,
                               wait_until, workflow_signed)

PHONE, PHONE_E164 = "13812345678", "+8613812345678"
ID_NUMBER = "33010619900101123X"
RETURN_REASON = "经营场所地址缺少门牌号，无法核实"
NEW_ADDRESS = "文三路100号2楼201室"


def apply_in_chat(applicant: Applicant) -> str:
    """The application form (一表申请) to submission; returns the application number."""
    applicant.say("/start_application")
    applicant.click("个体工商户")
    assert "拟用名称" in applicant.texts()
    for answer in ("杭州一次小吃店", "西湖区", "文三路100号", "张三", ID_NUMBER, PHONE, "餐饮服务；预包装食品销售"):
        applicant.say(inform(option=answer))
    while "是否一并申请" in applicant.texts():        # X items are the applicant's choice (自主自愿)
        applicant.click("暂不申请")
    applicant.click("同意")
    summary = applicant.texts()
    assert "请核对您的申请信息" in summary and "330106********123X" in summary and ID_NUMBER not in summary
    applicant.click("确认提交")
    match = re.search(r"申请编号 (YC\d{8}-\d{4})", applicant.texts())
    assert match, applicant.texts()
    return match.group(1)


def licence_task(application_id: str):
    from integrations import get_workflow

    with session_scope() as session:
        status = get_workflow().status(session, application_id, PHONE)
    return next(task for task in status.tasks if task.kind == "1")


def sms_sent(e2e) -> list[dict]:
    return e2e.twilio.messages_to(PHONE_E164)


def test_apply_return_correct_in_chat_pass_approve(e2e):
    with session_scope() as session:
        reviewer_id = create_account(session, "market-reviewer", "review-password-1", REVIEWER,
                                     department="市场监管", display_name="市场监管预审员").id

    applicant = Applicant(e2e.client)
    application_id = apply_in_chat(applicant)
    task = licence_task(application_id)
    assert task.department == "市场监管" and task.state == "submitted"

    # The reviewer returns the licence task in the console, with a reason and the field to fix.
    reviewer = Staff(e2e.app, "market-reviewer", "review-password-1")
    assert application_id in reviewer.get("/review/")
    reviewer.post(f"/review/tasks/{task.task_id}/decision",
                  {"decision": "return", "version": task.version, "reason": RETURN_REASON, "fix": "address"},
                  page=f"/review/tasks/{task.task_id}")

    [returned_sms] = wait_until(lambda: sms_sent(e2e), "the prereview_returned SMS at Twilio")
    assert application_id in returned_sms["body"] and RETURN_REASON in returned_sms["body"]
    assert "经营场所地址" in returned_sms["body"]
    pushed = wait_until(applicant.pushed, "the prereview_returned chat message")
    assert len(pushed) == 1 and RETURN_REASON in pushed[0] and "经营场所地址" in pushed[0]
    twilio_reports_delivered(e2e.client, returned_sms)
    [row] = notifications(template="prereview_returned", channel=SMS)
    assert row.status == DELIVERED and row.provider == "twilio" and row.provider_ref == returned_sms["sid"]

    # The applicant corrects the address in the same conversation (the bot checks the registered mobile).
    applicant.say('/correct{"field": "address"}')
    assert "手机号码" in applicant.texts()
    applicant.say("13812345670")
    assert "不一致" in applicant.texts()
    applicant.say(PHONE)
    assert "详细地址" in applicant.texts()
    applicant.say(NEW_ADDRESS)
    assert f"地址：{NEW_ADDRESS}" in applicant.texts() and application_id in applicant.texts()
    applicant.click("确认提交")
    assert "补正内容已重新提交" in applicant.texts()
    task = licence_task(application_id)
    assert task.state == "resubmitted"

    # The department's system passes it (signed decision API); the reviewer approves it in the console.
    response = workflow_signed(e2e.client, task.task_id, {"decision": "pass", "reviewer_id": reviewer_id})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["task"]["state"] == "passed"
    task = licence_task(application_id)
    reviewer.post(f"/review/tasks/{task.task_id}/decision", {"decision": "approve", "version": task.version},
                  page=f"/review/tasks/{task.task_id}")
    assert licence_task(application_id).state == "approved"

    messages = wait_until(lambda: len(sms_sent(e2e)) >= 3 and sms_sent(e2e), "the passed and approved SMS")
    for message in messages[1:]:
        twilio_reports_delivered(e2e.client, message)
    wait_until(lambda: len(applicant.pushed()) >= 3, "the passed and approved chat messages")
    wait_until(lambda: quiet_queues(e2e.stack.redis_url), "the worker to finish every job")

    # Exactly once per transition and channel: the outbox, Twilio and the conversation agree.
    sent = [(n.template, n.channel, n.status) for n in notifications()]
    assert sent == [("prereview_returned", SMS, DELIVERED), ("prereview_returned", CHAT, DELIVERED),
                    ("prereview_passed", SMS, DELIVERED), ("prereview_passed", CHAT, DELIVERED),
                    ("item_approved", SMS, DELIVERED), ("item_approved", CHAT, DELIVERED)]
    bodies = [m["body"] for m in sms_sent(e2e)]
    assert len(bodies) == 3 and "退回" in bodies[0] and "预审" in bodies[1] and "审批通过" in bodies[2]
    pushed = applicant.pushed()
    assert len(pushed) == 3 and "退回" in pushed[0] and "通过" in pushed[1] and "审批通过" in pushed[2]
    assert all(application_id in text for text in pushed)

    # The workflow record has the corrected address; the bot reports the approved licence.
    from sqlalchemy import select

    from integrations.models import WorkflowApplication

    with session_scope() as session:
        record = session.scalars(select(WorkflowApplication)
                                 .where(WorkflowApplication.application_id == application_id)).one()
        assert record.data["address"] == NEW_ADDRESS and record.conversation_id == applicant.conversation_id
    applicant.say("/ask_progress")
    assert application_id in applicant.texts() and "已核准" in applicant.texts()
