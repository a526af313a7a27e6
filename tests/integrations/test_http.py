"""The http backend against a real external workflow service (devtools.workflow_testserver) over REST,
with its signed events arriving at the real gateway (served on a local port)."""
import threading

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from core.config import reset_settings
from core.db import session_scope
from devtools.workflow_testserver import WorkflowTestServer
from integrations import get_workflow, states
from integrations.errors import Conflict, NotFound, PhoneMismatch, ResubmitRejected, WorkflowUnavailable
from integrations.http import HttpWorkflow
from integrations.models import WorkflowTask
from integrations.schema import InvalidApplication
from notify.models import Notification
from tests.integrations.helpers import CONVERSATION, PHONE, company_data
from tests.support.redis_server import free_port

SECRET = "http-backend-secret"


@pytest.fixture
def external(workflow_kb, monkeypatch, tmp_path):
    from bot.gateway import create_app

    gateway_port = free_port()
    server = WorkflowTestServer(f"sqlite:///{tmp_path / 'external.db'}", SECRET,
                                f"http://127.0.0.1:{gateway_port}/api/workflow/events").start()
    monkeypatch.setenv("WORKFLOW_BACKEND", "http")
    monkeypatch.setenv("WORKFLOW_URL", server.url)
    monkeypatch.setenv("WORKFLOW_SECRET", SECRET)
    monkeypatch.setenv("QUIET_HOURS", "off")
    reset_settings()
    gateway = make_server("127.0.0.1", gateway_port, create_app(), threaded=True)
    thread = threading.Thread(target=gateway.serve_forever, daemon=True)
    thread.start()
    yield server
    gateway.shutdown()
    thread.join(10)
    server.stop()


def mirror(task_external_id):
    with session_scope() as session:
        task = session.scalar(select(WorkflowTask).where(WorkflowTask.external_id == str(task_external_id)))
        return task.state, task.reason, task.fix


def test_submit_decide_and_events_update_the_mirror_and_notify(external):
    client = get_workflow()
    assert isinstance(client, HttpWorkflow)
    with session_scope() as session:
        receipt = client.submit(session, company_data(), conversation_id=CONVERSATION)
    assert receipt.application_id.startswith("YC") and len(receipt.tasks) == 4
    remote_fire = next(task.task_id for task in receipt.tasks if task.department == "消防")
    with session_scope() as session:
        local_fire = session.scalar(select(WorkflowTask.id).where(WorkflowTask.external_id == str(remote_fire)))
        assert [a.application_id for a in client.applications_for_conversation(session, CONVERSATION)] == [
            receipt.application_id]

    # The department decides in the external system (through our client); its events come back signed.
    with session_scope() as session:
        decided = client.decide(session, local_fire, "return", reason="平面图未标注安全出口", fix=["attachments"])
    assert decided.state == states.RETURNED
    assert [e["type"] for e in external.delivered_events] == ["task.review_started", "task.returned"]
    assert mirror(remote_fire) == (states.RETURNED, "平面图未标注安全出口", ["attachments"])

    with session_scope() as session:
        status = client.status(session, receipt.application_id, PHONE)
        assert status.fields_to_fix == ["attachments"]
        with pytest.raises(PhoneMismatch):
            client.status(session, receipt.application_id, "13900000000")
        with pytest.raises(NotFound):
            client.status(session, "YC20200101-0001", PHONE)
        with pytest.raises(ResubmitRejected):
            client.resubmit(session, receipt.application_id, PHONE, {"address": "文三路1号"})
        client.resubmit(session, receipt.application_id, PHONE, {"attachments": []})
    assert mirror(remote_fire)[0] == states.RESUBMITTED
    with session_scope() as session:
        client.decide(session, local_fire, "pass")
        with pytest.raises(Conflict):
            client.decide(session, local_fire, "pass")
    assert mirror(remote_fire)[0] == states.PASSED
    with session_scope() as session:
        templates = [n.template for n in session.scalars(select(Notification).where(Notification.channel == "sms")
                                                         .order_by(Notification.id))]
    assert templates == ["prereview_returned", "prereview_passed"]


def test_invalid_applications_come_back_as_field_errors(external):
    with session_scope() as session:
        with pytest.raises(InvalidApplication) as info:
            get_workflow().submit(session, company_data(x_items=["no_such_item"]))
    assert "x_items" in info.value.errors


def test_transient_failures_are_retried_and_an_outage_is_reported(external):
    external.fail_next(2, status=503)
    with session_scope() as session:
        receipt = get_workflow().submit(session, company_data(), conversation_id=CONVERSATION)
    assert receipt.application_id
    external.fail_next(10, status=503)
    with session_scope() as session:
        with pytest.raises(WorkflowUnavailable) as info:
            get_workflow().status(session, receipt.application_id, PHONE)
    assert "稍后再试" in str(info.value)


def test_a_dead_service_is_unavailable(workflow_kb, monkeypatch):
    client = HttpWorkflow(f"http://127.0.0.1:{free_port()}", SECRET, timeout=(0.5, 0.5), retries=1, backoff=0)
    with session_scope() as session:
        with pytest.raises(WorkflowUnavailable):
            client.submit(session, company_data())
