"""The transactional outbox: rows in the caller's transaction, idempotent, queued only after commit."""
import pytest
from rq import Queue

from core.queues import NOTIFY
from core.redis import get_redis
from notify import InvalidRecipient, outbox
from notify.models import CHAT, CREATED, SMS, Notification
from notify.outbox import READY_KEY
from tests.notify.helpers import PASSED, PHONE, PHONE_E164, rows
from conversations import store


def test_record_adds_one_row_per_channel_and_queues_after_commit(notify_env, db):
    conversation = store.get_or_create(db)
    recorded = outbox.record(db, event_key="wf:1:1", template="prereview_passed", personalisation=PASSED,
                             phone=PHONE, conversation_id=conversation.id)
    assert [(r.channel, r.recipient, r.status) for r in recorded] == [
        (SMS, PHONE_E164, CREATED), (CHAT, conversation.id, CREATED)]
    redis = get_redis()
    assert redis.llen(READY_KEY) == 0            # nothing before the commit
    db.commit()
    assert sorted(int(i) for i in redis.lrange(READY_KEY, 0, -1)) == sorted(r.id for r in recorded)
    assert Queue(NOTIFY, connection=redis).count == 1   # one dispatcher


def test_replaying_an_event_adds_and_queues_nothing(notify_env, db):
    first = outbox.record(db, event_key="wf:1:1", template="prereview_passed", personalisation=PASSED, phone=PHONE)
    db.commit()
    get_redis().delete(READY_KEY)
    again = outbox.record(db, event_key="wf:1:1", template="prereview_passed", personalisation=PASSED,
                          phone="+86 138 1234 5678")
    db.commit()
    assert [r.id for r in again] == [r.id for r in first]
    assert len(rows()) == 1
    assert get_redis().llen(READY_KEY) == 0


def test_rollback_queues_nothing(notify_env, db):
    outbox.record(db, event_key="wf:2:1", template="prereview_passed", personalisation=PASSED, phone=PHONE)
    db.rollback()
    db.commit()
    assert get_redis().llen(READY_KEY) == 0
    assert rows() == []


def test_invalid_number_is_rejected_in_chinese_before_anything_is_added(notify_env, db):
    with pytest.raises(InvalidRecipient) as error:
        outbox.record(db, event_key="wf:3:1", template="prereview_passed", personalisation=PASSED,
                      phone="12345")
    assert "手机号码" in str(error.value)
    with pytest.raises(InvalidRecipient):
        outbox.record(db, event_key="wf:3:1", template="prereview_passed", personalisation=PASSED,
                      phone="057187654321")   # a Hangzhou landline
    db.flush()
    assert db.query(Notification).count() == 0


def test_redis_down_at_commit_loses_nothing(notify_env, db, monkeypatch):
    from core.config import reset_settings
    from core.redis import reset_redis

    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")   # nothing listens there
    reset_settings()
    reset_redis()
    outbox.record(db, event_key="wf:4:1", template="prereview_passed", personalisation=PASSED, phone=PHONE)
    db.commit()                                               # no exception: the sweeper will queue it
    assert [r.status for r in rows()] == [CREATED]
