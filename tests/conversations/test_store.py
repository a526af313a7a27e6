"""The transcript store: queue order, pending messages, search, audit, retention purge."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from conversations import store
from conversations.models import (APPLICANT, BOT, BOT_AUTHOR, PENDING, SMS, WAITING, AuditEvent)
from core.db import utcnow


def test_channel_ref_is_unique_so_provider_retries_cannot_duplicate(db):
    conversation = store.get_or_create(db, channel=SMS, phone="+8613812345678")
    store.append(db, conversation.id, APPLICANT, "你好", channel_ref="SM1")
    assert store.by_channel_ref(db, "SM1").text == "你好"
    with pytest.raises(IntegrityError):
        store.append(db, conversation.id, APPLICANT, "你好", channel_ref="SM1")


def test_waiting_queue_is_oldest_first(db):
    now = utcnow()
    a, b, c = (store.get_or_create(db) for _ in range(3))
    a.status, a.waiting_since = WAITING, now - timedelta(minutes=1)
    b.status, b.waiting_since = WAITING, now - timedelta(minutes=9)
    db.flush()
    assert [x.id for x in store.waiting_queue(db)] == [b.id, a.id]
    assert c.status == BOT


def test_pending_messages_in_order_and_conversations_with_pending(db):
    conversation = store.get_or_create(db)
    first = store.append(db, conversation.id, APPLICANT, "一", state=PENDING)
    store.append(db, conversation.id, BOT_AUTHOR, "答")
    second = store.append(db, conversation.id, APPLICANT, "二", state=PENDING)
    assert store.pending_messages(db, conversation.id) == [first, second]
    assert store.conversations_with_pending(db) == [conversation.id]
    assert store.conversations_with_pending(db, stored_before=first.created_at) == []
    assert store.conversations_with_pending(db, stored_before=second.created_at + timedelta(seconds=1)) == [conversation.id]
    conversation.status = WAITING
    db.flush()
    assert store.conversations_with_pending(db) == []   # nobody but staff answers a waiting conversation


def test_search_by_phone_ids_and_text(db):
    sms = store.for_phone(db, "+8613812345678")
    web = store.get_or_create(db)
    store.append(db, web.id, APPLICANT, "申请编号 YC20261122-0001 办到哪了")
    assert [c.id for c in store.search(db, phone="+8613812345678")] == [sms.id]
    assert [c.id for c in store.search(db, text="YC20261122-0001")] == [web.id]
    assert [c.id for c in store.search(db, conversation_ids=[sms.id])] == [sms.id]
    assert store.search(db, text="100%_") == []
    assert store.search(db) == []
    assert store.for_phone(db, "+8613812345678").id == sms.id


def test_audit_events_are_recorded(db):
    conversation = store.get_or_create(db)
    store.record_audit(db, account_id=7, conversation_id=conversation.id, action="reveal_id_number", message_id=3)
    [event] = store.audit_events(db, conversation.id)
    assert isinstance(event, AuditEvent) and event.account_id == 7


def test_warm_up_runs_every_prebuilt_read_and_changes_nothing(db):
    conversation = store.get_or_create(db, channel=SMS, phone="+8613812345678")
    store.append(db, conversation.id, APPLICANT, "你好", state=PENDING, channel_ref="SM9")
    db.commit()
    store.warm_up(db)
    assert not db.new and not db.dirty
    assert [m.text for m in store.messages_after(db, conversation.id)] == ["你好"]
    assert store.for_phone(db, "+8613812345678").id == conversation.id
