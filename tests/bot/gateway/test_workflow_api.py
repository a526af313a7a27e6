"""The signed machine API: decisions from department systems and events from an external workflow.
Unsigned, forged, stale or replayed requests get 401; bad input 400; conflicts 409."""
from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import select

from core.config import reset_settings
from core.db import session_scope
from integrations import signing, states
from integrations.models import WorkflowTask
from notify.models import Notification
from tests.integrations.helpers import (CONVERSATION, company_data, knowledge_copy, workflow,  # noqa: F401
                                        workflow_kb)

SECRET = "workflow-test-secret"


@pytest.fixture
def signed_client(workflow_kb, monkeypatch, client):
    monkeypatch.setenv("WORKFLOW_SECRET", SECRET)
    reset_settings()
    return client


def send(client, path, payload, secret=SECRET, timestamp=None, headers=None):
    if "/tasks/" in path and "task_id" not in payload:
        payload = {"task_id": int(path.split("/")[-2]), **payload}
    body = json.dumps(payload, ensure_ascii=False).encode()
    signed = signing.sign(secret, body, timestamp) if headers is None else headers
    return client.post(path, data=body, headers=signed), body, signed


def submitted_task(workflow, index=0):
    with session_scope() as session:
        receipt = workflow.submit(session, company_data(), conversation_id=CONVERSATION)
    return receipt.tasks[index].task_id


def test_a_signed_decision_passes_the_task(signed_client, workflow):
    task_id = submitted_task(workflow)
    response, _, _ = send(signed_client, f"/api/workflow/tasks/{task_id}/decision", {"decision": "pass"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["task"]["state"] == states.PASSED
    with session_scope() as session:
        assert {n.template for n in session.scalars(select(Notification))} == {"prereview_passed"}


def test_return_needs_reason_and_fix_and_conflicts_are_409(signed_client, workflow):
    task_id = submitted_task(workflow)
    path = f"/api/workflow/tasks/{task_id}/decision"
    response, _, _ = send(signed_client, path, {"decision": "return", "fix": ["address"]})
    assert response.status_code == 400
    assert response.get_json()["error"] == {"code": "invalid_decision", "message": "退回时必须填写退回原因。"}
    response, _, _ = send(signed_client, path, {"decision": "return", "reason": "地址不详", "fix": "address"})
    assert response.status_code == 400
    response, _, _ = send(signed_client, path, {"decision": "return", "reason": "地址不详", "fix": ["address"]})
    assert response.status_code == 200 and response.get_json()["task"]["fix_labels"] == ["经营场所地址"]
    response, _, _ = send(signed_client, path, {"decision": "pass"})
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "conflict"
    response, _, _ = send(signed_client, "/api/workflow/tasks/999999/decision", {"decision": "pass"})
    assert response.status_code == 404
    response = signed_client.post(path, data=b"not json", headers=signing.sign(SECRET, b"not json"))
    assert response.status_code == 400


def test_unsigned_forged_stale_and_replayed_requests_are_401(signed_client, workflow):
    task_id = submitted_task(workflow)
    path = f"/api/workflow/tasks/{task_id}/decision"
    body = json.dumps({"task_id": task_id, "decision": "pass"}).encode()
    assert signed_client.post(path, data=body, content_type="application/json").status_code == 401
    response, _, _ = send(signed_client, path, {"decision": "pass"}, secret="not-the-secret")
    assert response.status_code == 401
    response, _, _ = send(signed_client, path, {"decision": "pass"}, timestamp=int(time.time()) - 301)
    assert response.status_code == 401
    # A body altered after signing is a forgery too.
    headers = signing.sign(SECRET, body)
    assert signed_client.post(path, data=body.replace(b"pass", b"return"), headers=headers).status_code == 401
    with session_scope() as session:
        assert session.get(WorkflowTask, task_id).state == states.SUBMITTED

    response, body, headers = send(signed_client, path, {"decision": "pass"})
    assert response.status_code == 200
    assert signed_client.post(path, data=body, headers=headers).status_code == 401   # replay


def test_a_signed_decision_cannot_be_pointed_at_another_task(signed_client, workflow):
    first, second = submitted_task(workflow, 0), submitted_task(workflow, 1)
    response, _, _ = send(signed_client, f"/api/workflow/tasks/{second}/decision",
                          {"task_id": first, "decision": "pass"})
    assert response.status_code == 400 and "task_id" in response.get_json()["error"]["message"]
    # The same decision for two tasks in the same second: different bodies, both accepted.
    stamp = int(time.time())
    for task_id in (first, second):
        response, _, _ = send(signed_client, f"/api/workflow/tasks/{task_id}/decision", {"decision": "pass"},
                              timestamp=stamp)
        assert response.status_code == 200, (task_id, first, second, response.get_json())


def test_without_a_configured_secret_everything_is_refused(workflow_kb, client, workflow):
    task_id = submitted_task(workflow)
    body = json.dumps({"task_id": task_id, "decision": "pass"}).encode()
    response = client.post(f"/api/workflow/tasks/{task_id}/decision", data=body,
                           headers=signing.sign("any-secret", body))
    assert response.status_code == 401


def test_signature_verification_window():
    body = b'{"a": 1}'
    headers = signing.sign(SECRET, body, timestamp=1_800_000_000)
    stamp, sig = headers[signing.TIMESTAMP_HEADER], headers[signing.SIGNATURE_HEADER]
    assert signing.verify(SECRET, stamp, sig, body, now=1_800_000_000 + 299) == sig
    assert signing.verify(SECRET, stamp, sig, body, now=1_800_000_000 - 299) == sig
    for now in (1_800_000_000 + 301, 1_800_000_000 - 301):
        with pytest.raises(signing.InvalidSignature):
            signing.verify(SECRET, stamp, sig, body, now=now)
    for bad in ((None, sig), (stamp, None), ("soon", sig), (stamp, sig[:-1] + "0")):
        with pytest.raises(signing.InvalidSignature):
            signing.verify(SECRET, *bad, body, now=1_800_000_000)


def test_events_move_the_mirror_once_and_replays_are_401(signed_client, workflow):
    task_id = submitted_task(workflow, 3)
    with session_scope() as session:
        session.get(WorkflowTask, task_id).external_id = "EXT-7"
    event = {"id": "evt-1", "type": "task.returned", "application_id": "YC20261122-0001",
             "task": {"task_id": "EXT-7"}, "reason": "缺少平面图", "fix": ["attachments"]}
    response, body, headers = send(signed_client, "/api/workflow/events", event)
    assert response.status_code == 200 and response.get_json()["state"] == states.RETURNED
    assert signed_client.post("/api/workflow/events", data=body, headers=headers).status_code == 401
    response, _, _ = send(signed_client, "/api/workflow/events", event, timestamp=int(time.time()) + 1)
    assert response.status_code == 401          # the same event id, freshly signed: still a replay
    with session_scope() as session:
        assert [n.template for n in session.scalars(select(Notification))] == ["prereview_returned"] * 2
        assert session.get(WorkflowTask, task_id).reason == "缺少平面图"
    response, _, _ = send(signed_client, "/api/workflow/events", {**event, "id": "evt-2", "type": "task.exploded"})
    assert response.status_code == 400
    response, _, _ = send(signed_client, "/api/workflow/events",
                          {**event, "id": "evt-3", "task": {"task_id": "EXT-404"}})
    assert response.status_code == 404
    response, _, _ = send(signed_client, "/api/workflow/events", {**event, "id": "evt-4", "type": "task.issued"})
    assert response.status_code == 409
