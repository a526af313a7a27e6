"""Fault tests: each ends with every message at Twilio exactly once (none lost, none sent twice)."""
from collections import Counter
from datetime import timedelta

import pytest

from core.config import reset_settings
from core.queues import NOTIFY
from core.redis import reset_redis
from notify.models import SENDING, TEMPORARY_FAILURE
from notify.sweeper import sweep
from tests.notify.conftest import wait_for
from tests.notify.helpers import record_committed, rows
from tests.support.redis_server import RedisProcess
from tests.support.workers import WorkerProcess, run_burst

pytestmark = pytest.mark.slow


def phones(n: int) -> list[str]:
    return [f"1381234{i:04d}" for i in range(n)]


def assert_each_sent_exactly_once(twilio, count: int) -> None:
    per_number = Counter(m["to"] for m in twilio.messages)
    assert len(per_number) == count and set(per_number.values()) == {1}
    assert len(twilio.creates()) == count
    assert all(r.status == SENDING and r.provider_ref for r in rows())
    assert sorted(r.provider_ref for r in rows()) == sorted(m["sid"] for m in twilio.messages)


def test_worker_sigkilled_mid_send(twilio, notify_env, monkeypatch):
    """The worker dies while Twilio holds its request (the message is already accepted there). The
    sweeper finds the interrupted batch; the next worker asks Twilio before re-sending each row."""
    monkeypatch.setenv("NOTIFY_RETRY_INTERVALS", "1,1,1")
    reset_settings()
    twilio.accept_slowly(delay=60)                     # the first create is stored, then hangs
    for i, phone in enumerate(phones(5)):
        record_committed(f"wf:{i}:1", phone=phone)
    worker = WorkerProcess(notify_env["REDIS_URL"], env=twilio.env_values, queues=[NOTIFY]).start()
    try:
        wait_for(lambda: len(twilio.messages) == 1)
        worker.kill()
    finally:
        worker.stop()
    assert {r.status for r in rows()} == {SENDING} and not any(r.provider_ref for r in rows())

    report = sweep(older_than=timedelta(0), stale_after=timedelta(0))
    assert len(report.interrupted) == 5 and {r.status for r in rows()} == {TEMPORARY_FAILURE}
    worker = WorkerProcess(notify_env["REDIS_URL"], env=twilio.env_values, queues=[NOTIFY]).start()
    try:
        wait_for(lambda: all(r.provider_ref for r in rows()))
    finally:
        worker.stop()
    assert_each_sent_exactly_once(twilio, 5)
    assert [r.attempts for r in rows()] == [2] * 5


def test_provider_500s_with_a_real_worker_and_scheduler(twilio, notify_env, monkeypatch):
    monkeypatch.setenv("NOTIFY_RETRY_INTERVALS", "1,1,1")
    reset_settings()
    twilio.fail(status=500, times=3)
    for i, phone in enumerate(phones(3)):
        record_committed(f"wf:{i}:1", phone=phone)
    worker = WorkerProcess(notify_env["REDIS_URL"], env=twilio.env_values, queues=[NOTIFY]).start()
    try:
        wait_for(lambda: all(r.provider_ref for r in rows()))
    finally:
        worker.stop()
    assert Counter(m["to"] for m in twilio.messages) == Counter({f"+86{p}": 1 for p in phones(3)})


def test_redis_restart_loses_no_message(twilio, notify_env, monkeypatch, tmp_path):
    """Jobs queued in Redis vanish when it restarts without persistence; the rows in the database do
    not, and the sweeper queues them again. Rows delivered before the restart are not sent again."""

    redis = RedisProcess(tmp_path / "redis").start()
    try:
        monkeypatch.setenv("REDIS_URL", redis.url)
        reset_settings()
        reset_redis()
        numbers = phones(6)
        for i, phone in enumerate(numbers[:3]):
            record_committed(f"wf:{i}:1", phone=phone)
        run_burst(redis.url, with_scheduler=True)          # the first three go out
        for i, phone in enumerate(numbers[3:], start=3):
            record_committed(f"wf:{i}:1", phone=phone)     # queued ...
        redis.kill()                                       # ... and lost
        redis.start()
        reset_redis()
        record_committed("wf:0:1", phone=numbers[0])       # a replayed event while Redis was away
        report = sweep(older_than=timedelta(0))
        assert len(report.requeued) == 3
        run_burst(redis.url, with_scheduler=True)
        assert_each_sent_exactly_once(twilio, 6)
    finally:
        redis.stop()
