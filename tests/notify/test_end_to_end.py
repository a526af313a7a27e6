"""Done-when: a pre-review decision made in the workflow module reaches the applicant by SMS (Twilio
path, the local test server) and in their web conversation, exactly once — also when the decision's
jobs are replayed and the sweeper runs."""
from datetime import timedelta

from sqlalchemy import select

from conversations import store
from conversations.models import SYSTEM, Message
from core.db import session_scope
from notify.sweeper import sweep
from tests.integrations.helpers import (CONVERSATION, PHONE_E164, company_data,  # noqa: F401  (fixtures)
                                        knowledge_copy, workflow, workflow_kb)
from tests.support.workers import run_burst


def test_returned_prereview_reaches_sms_and_chat_once(twilio, notify_env, workflow, db):
    store.get_or_create(db, CONVERSATION)
    receipt = workflow.submit(db, company_data(), conversation_id=CONVERSATION)
    db.commit()
    fire = receipt.tasks[3]
    workflow.decide(db, fire.task_id, "return", reason="平面图未标注安全出口", fix=["address", "attachments"],
                    reviewer_id=7)
    db.commit()
    run_burst(notify_env["REDIS_URL"], with_scheduler=True)
    sweep(older_than=timedelta(0), stale_after=timedelta(0))        # a sweeper run finds nothing to resend
    run_burst(notify_env["REDIS_URL"], with_scheduler=True)

    returned = [m for m in twilio.messages if "退回" in m["body"]]
    assert len(returned) == 1
    assert returned[0]["to"] == PHONE_E164 and "平面图未标注安全出口" in returned[0]["body"]
    assert "消防" in returned[0]["body"]
    assert len({m["body"] for m in twilio.messages}) == len(twilio.messages)   # nothing sent twice
    with session_scope() as session:
        pushed = [m for m in session.scalars(select(Message).where(Message.conversation_id == CONVERSATION))
                  if m.author == SYSTEM and "退回" in m.text]
    assert len(pushed) == 1 and "平面图未标注安全出口" in pushed[0].text
