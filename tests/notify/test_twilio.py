"""The Twilio provider: the real twilio SDK against the local Twilio-compatible test server."""
from core.db import session_scope
from notify import policies
from notify.models import DELIVERED, PERMANENT_FAILURE, SENDING, TECHNICAL_FAILURE
from tests.notify.helpers import PHONE, PHONE_E164, record_committed, row
from tests.support.workers import run_burst


def test_sent_once_with_status_callback_and_sender(twilio, notify_env):
    [notification_id] = record_committed("wf:1:1", phone=PHONE)
    run_burst(notify_env["REDIS_URL"])
    [message] = twilio.messages
    sent = row(notification_id)
    assert (sent.status, sent.provider, sent.provider_ref) == (SENDING, "twilio", message["sid"])
    assert message["to"] == PHONE_E164 and message["from"] == "+8610690000"
    assert message["body"] == sent.body and message["body"].startswith("【杭州一次办】")
    assert message["_status_callback"] == f"http://yici.test/sms/status?n={notification_id}"
    run_burst(notify_env["REDIS_URL"])
    assert len(twilio.creates()) == 1


def test_messaging_service_sid_is_used_when_configured(twilio, notify_env, monkeypatch):
    from core.config import reset_settings

    monkeypatch.setenv("TWILIO_MESSAGING_SERVICE_SID", "MG" + "1" * 32)
    reset_settings()
    record_committed("wf:1:1", phone=PHONE)
    run_burst(notify_env["REDIS_URL"])
    [message] = twilio.messages
    assert message["messaging_service_sid"] == "MG" + "1" * 32 and message["from"] is None


def test_invalid_number_at_twilio_is_a_permanent_failure(twilio, notify_env):
    twilio.fail(code=21211, to=PHONE_E164)
    [notification_id] = record_committed("wf:1:1", phone=PHONE)
    run_burst(notify_env["REDIS_URL"])
    failed = row(notification_id)
    assert (failed.status, failed.error_code, failed.attempts) == (PERMANENT_FAILURE, "21211", 1)
    assert twilio.messages == []


def test_21610_records_the_opt_out(twilio, notify_env):
    twilio.fail(code=21610, to=PHONE_E164)
    [notification_id] = record_committed("wf:1:1", phone=PHONE)
    run_burst(notify_env["REDIS_URL"])
    assert row(notification_id).status == PERMANENT_FAILURE
    with session_scope() as session:
        assert policies.is_opted_out(session, PHONE_E164)


def test_server_errors_are_retried_then_sent_once(twilio, notify_env):
    twilio.fail(status=500, times=2)
    [notification_id] = record_committed("wf:1:1", phone=PHONE)
    run_burst(notify_env["REDIS_URL"], with_scheduler=True)
    sent = row(notification_id)
    assert (sent.status, sent.attempts) == (SENDING, 3)
    assert len(twilio.messages) == 1 and len(twilio.creates()) == 3


def test_retries_run_out_into_technical_failure(twilio, notify_env):
    twilio.fail(status=500, times=None)
    [notification_id] = record_committed("wf:1:1", phone=PHONE)
    run_burst(notify_env["REDIS_URL"], with_scheduler=True)
    failed = row(notification_id)
    assert (failed.status, failed.attempts) == (TECHNICAL_FAILURE, 4)   # 1 + 3 retries
    assert twilio.messages == []


def test_timeout_after_twilio_accepted_is_not_sent_twice(twilio, notify_env):
    """The client gives up (TWILIO_HTTP_TIMEOUT=2) while Twilio has already accepted the message: the
    retry asks Twilio first, finds it, and stores its MessageSid instead of sending again."""
    twilio.accept_slowly(delay=4)
    [notification_id] = record_committed("wf:1:1", phone=PHONE)
    run_burst(notify_env["REDIS_URL"], with_scheduler=True)
    [message] = twilio.messages
    found = row(notification_id)
    assert (found.status, found.provider_ref, found.attempts) == (SENDING, message["sid"], 2)
    assert len(twilio.creates()) == 1
    assert any(r.method == "GET" for r in twilio.requests)


def test_console_is_used_when_twilio_is_not_configured(notify_env):
    [notification_id] = record_committed("wf:1:1", phone=PHONE)
    run_burst(notify_env["REDIS_URL"])
    assert (row(notification_id).status, row(notification_id).provider) == (DELIVERED, "console")
