"""The whole loop at module level, with the real notify outbox and a real RQ worker:
submit → reviewer returns → the SMS and chat message are delivered → the applicant resubmits the fixed
fields → pass → approve → issue, each message exactly once."""
from sqlalchemy import select

from conversations import store
from conversations.models import Message
from core.config import reset_settings
from core.db import session_scope
from integrations import states
from notify.models import DELIVERED, Notification
from tests.integrations.helpers import PHONE, PHONE_E164, company_data
from tests.support.workers import run_burst


def notifications():
    with session_scope() as session:
        return [(n.template, n.channel, n.status, n.body) for n in
                session.scalars(select(Notification).order_by(Notification.id))]


def test_submit_return_resubmit_pass_approve(workflow, env, monkeypatch):
    monkeypatch.setenv("QUIET_HOURS", "off")
    reset_settings()
    with session_scope() as session:
        conversation_id = store.get_or_create(session).id
    with session_scope() as session:
        receipt = workflow.submit(session, company_data(x_items=["fire_safety_inspection"]),
                                  conversation_id=conversation_id)
    fire = next(task.task_id for task in receipt.tasks if task.department == "消防")

    with session_scope() as session:
        workflow.decide(session, fire, "return", reason="平面图未标注安全出口", fix=["attachments"], reviewer_id=1)
    run_burst(env["REDIS_URL"])
    sent = notifications()
    assert [(t, c, s) for t, c, s, _ in sent] == [("prereview_returned", "sms", DELIVERED),
                                                  ("prereview_returned", "chat", DELIVERED)]
    assert "平面图未标注安全出口" in sent[0][3] and receipt.application_id in sent[0][3]
    with session_scope() as session:
        pushed = session.scalars(select(Message).where(Message.conversation_id == conversation_id)).all()
        assert len(pushed) == 1 and "材料附件" in pushed[0].text

    with session_scope() as session:
        status = workflow.status(session, receipt.application_id, PHONE)
        assert status.fields_to_fix == ["attachments"]
        workflow.resubmit(session, receipt.application_id, PHONE_E164,
                          {"attachments": [{"name": "平面图（已标注安全出口）", "ref": "uploads/plan-v2.pdf"}]})
    with session_scope() as session:
        workflow.decide(session, fire, "pass", reviewer_id=1)
        workflow.decide(session, fire, "approve", reviewer_id=1)
    with session_scope() as session:   # a second click on approve changes nothing and sends nothing
        try:
            workflow.decide(session, fire, "approve", reviewer_id=1)
        except Exception as exc:
            assert exc.__class__.__name__ == "Conflict"
    run_burst(env["REDIS_URL"])

    sent = notifications()
    assert [(t, c, s) for t, c, s, _ in sent] == [
        ("prereview_returned", "sms", DELIVERED), ("prereview_returned", "chat", DELIVERED),
        ("prereview_passed", "sms", DELIVERED), ("prereview_passed", "chat", DELIVERED),
        ("item_approved", "sms", DELIVERED), ("item_approved", "chat", DELIVERED)]
    with session_scope() as session:
        status = workflow.status(session, receipt.application_id, PHONE)
        fire_status = next(task for task in status.tasks if task.task_id == fire)
        assert fire_status.state == states.APPROVED
        assert len(session.scalars(select(Message).where(Message.conversation_id == conversation_id)).all()) == 3
