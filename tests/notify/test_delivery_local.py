"""Console SMS and chat delivery through real RQ workers (in-process SimpleWorker bursts)."""
from sqlalchemy import select

from conversations import store
from conversations.models import SYSTEM, Message
from core.db import session_scope
from notify import delivery
from notify.history import history
from notify.models import CREATED, DELIVERED, SENDING
from tests.notify.helpers import PHONE, record_committed, row, rows
from tests.support.workers import run_burst


def test_console_sms_and_chat_are_delivered_once(notify_env):
    with session_scope() as session:
        conversation_id = store.get_or_create(session).id
    ids = record_committed("wf:1:1", phone=PHONE, conversation_id=conversation_id)
    run_burst(notify_env["REDIS_URL"])
    sms, chat = rows()
    assert (sms.status, sms.provider, sms.attempts) == (DELIVERED, "console", 1)
    assert (chat.status, chat.provider) == (DELIVERED, "chat")
    with session_scope() as session:
        pushed = list(session.scalars(select(Message).where(Message.conversation_id == conversation_id)))
        assert [(m.author, m.data["notification_id"]) for m in pushed] == [(SYSTEM, chat.id)]
        assert "高级实名认证" in pushed[0].text
        assert [e.status for e in history(session, sms.id)] == [CREATED, SENDING, DELIVERED]
    # re-running the job (a replayed job, the sweeper) sends nothing again
    report = delivery.deliver(ids)
    assert report.skipped == sorted(ids) and report.delivered == []
    with session_scope() as session:
        assert session.query(Message).count() == 1


def test_chat_to_a_missing_conversation_is_a_permanent_failure(notify_env):
    [notification_id] = record_committed("wf:9:1", conversation_id="f" * 32)
    run_burst(notify_env["REDIS_URL"])
    assert row(notification_id).status == "permanent-failure"
