"""Operator CLI (stable JSON), requeue, the dev outbox page, Prometheus, and core.periodic."""
import json

from prometheus_client import CollectorRegistry, generate_latest
from rq.job import Job, JobStatus

from core import periodic
from core.queues import DEFAULT, get_queue
from notify.__main__ import main
from notify.metrics import NotifyStatusCollector
from notify.models import DELIVERED, TECHNICAL_FAILURE
from tests.notify.helpers import PHONE, record_committed, row
from tests.support.workers import run_burst


def test_outbox_json_is_stable(notify_env, capsys):
    [notification_id] = record_committed("wf:1:1", phone=PHONE)
    run_burst(notify_env["REDIS_URL"])
    assert main(["outbox", "--to", PHONE, "--json"]) == 0
    [item] = json.loads(capsys.readouterr().out)
    assert {"id", "to", "channel", "template", "body", "status", "attempts", "timestamps", "history"} <= set(item)
    assert (item["id"], item["to"], item["status"]) == (notification_id, "+8613812345678", DELIVERED)
    assert [h["status"] for h in item["history"]] == ["created", "sending", "delivered"]


def test_failed_rows_are_listed_and_requeued(twilio, notify_env, capsys):
    twilio.fail(status=500, times=4)
    [notification_id] = record_committed("wf:1:1", phone=PHONE)
    run_burst(notify_env["REDIS_URL"], with_scheduler=True)
    assert row(notification_id).status == TECHNICAL_FAILURE
    main(["failed", "--json"])
    assert [i["id"] for i in json.loads(capsys.readouterr().out)] == [notification_id]
    assert main(["requeue"]) == 0
    run_burst(notify_env["REDIS_URL"], with_scheduler=True)
    assert row(notification_id).provider_ref == twilio.messages[0]["sid"]
    assert len(twilio.messages) == 1


def test_dev_outbox_page_and_metrics(notify_env, client):
    record_committed("wf:1:1", phone=PHONE)
    run_burst(notify_env["REDIS_URL"])
    page = client.get("/dev/outbox")
    assert page.status_code == 200 and "高级实名认证" in page.get_data(as_text=True)
    assert client.get("/dev/outbox/json").get_json()[0]["status"] == DELIVERED
    registry = CollectorRegistry()
    registry.register(NotifyStatusCollector())
    text = generate_latest(registry).decode()
    assert 'notify_messages{channel="sms",status="delivered"} 1.0' in text


SWEEPER = periodic.PeriodicJob("notify.sweeper.run", 60)


def test_every_registered_periodic_job_resolves():
    assert SWEEPER in periodic.PERIODIC_JOBS
    for entry in periodic.PERIODIC_JOBS:
        assert callable(periodic.resolve(entry.path))


def test_periodic_install_keeps_one_pending_copy(notify_env):
    assert periodic.install((SWEEPER,)) == [SWEEPER.job_id]
    assert periodic.install((SWEEPER,)) == []
    queue = get_queue(DEFAULT)
    assert queue.scheduled_job_registry.get_job_ids() == [SWEEPER.job_id]
    job = Job.fetch(SWEEPER.job_id, connection=queue.connection)
    job.set_status(JobStatus.FAILED)                  # e.g. its retries ran out
    assert periodic.install((SWEEPER,)) == [SWEEPER.job_id]
    assert queue.scheduled_job_registry.get_job_ids() == [SWEEPER.job_id]


def test_periodic_job_runs_and_repeats(notify_env):
    queue = get_queue(DEFAULT)
    queue.enqueue(periodic.run, SWEEPER.path, job_id=SWEEPER.job_id, repeat=periodic.Repeat(times=5, interval=60))
    run_burst(notify_env["REDIS_URL"], queues=[DEFAULT])
    assert queue.scheduled_job_registry.get_job_ids() == [SWEEPER.job_id]
