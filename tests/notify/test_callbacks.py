"""Twilio status callbacks: mapped onto the status table, idempotent, out-of-order safe."""
from core.db import session_scope
from notify import policies
from notify.callbacks import apply_twilio_status
from notify.history import history
from notify.models import DELIVERED, PERMANENT_FAILURE, SENDING
from tests.notify.helpers import PHONE, PHONE_E164, record_committed, row
from tests.support.workers import run_burst


def _sent(twilio, notify_env):
    [notification_id] = record_committed("wf:1:1", phone=PHONE)
    run_burst(notify_env["REDIS_URL"])
    return notification_id, row(notification_id).provider_ref


def test_delivered_then_late_sent_keeps_delivered(twilio, notify_env):
    notification_id, sid = _sent(twilio, notify_env)
    with session_scope() as session:
        assert apply_twilio_status(session, {"MessageSid": sid, "MessageStatus": "delivered"}).status == DELIVERED
        apply_twilio_status(session, {"MessageSid": sid, "MessageStatus": "sent"})          # out of order
        apply_twilio_status(session, {"MessageSid": sid, "MessageStatus": "delivered"})     # twice
    assert row(notification_id).status == DELIVERED and row(notification_id).delivered_at
    with session_scope() as session:
        assert [e.status for e in history(session, notification_id)].count(DELIVERED) == 1


def test_undelivered_opt_out_records_it(twilio, notify_env):
    notification_id, sid = _sent(twilio, notify_env)
    with session_scope() as session:
        apply_twilio_status(session, {"MessageSid": sid, "MessageStatus": "failed", "ErrorCode": "21610"})
    assert row(notification_id).status == PERMANENT_FAILURE
    with session_scope() as session:
        assert policies.is_opted_out(session, PHONE_E164)


def test_unknown_sid_is_ignored(notify_env):
    with session_scope() as session:
        assert apply_twilio_status(session, {"MessageSid": "SM" + "9" * 32, "MessageStatus": "delivered"}) is None


def test_callback_finds_a_row_whose_sid_was_never_stored(twilio, notify_env):
    """The worker died after Twilio accepted: the callback URL's `n` ties the receipt to the row."""
    [notification_id] = record_committed("wf:1:1", phone=PHONE)
    with session_scope() as session:
        found = apply_twilio_status(session, {"MessageSid": "SM" + "1" * 32, "MessageStatus": "sent"},
                                    query={"n": str(notification_id)})
        assert found.id == notification_id
    stored = row(notification_id)
    assert (stored.status, stored.provider_ref) == (SENDING, "SM" + "1" * 32)
    run_burst(notify_env["REDIS_URL"])          # the queued job finds it no longer claimable
    assert twilio.messages == []
