"""The http backend: an external workflow system over REST (WORKFLOW_BACKEND=http, WORKFLOW_URL).

Requests are JSON, signed like the events we receive (integrations.signing, WORKFLOW_SECRET), with
connect/read timeouts and retries (urllib3 Retry: connection errors and 502/503/504, exponential
backoff; every POST carries an Idempotency-Key so a retried submission is not applied twice).

    POST {url}/applications                  {"application": {...}, "conversation_id"} → ApplicationStatus JSON
    GET  {url}/applications/<id>?phone=...   → ApplicationStatus JSON
    POST {url}/applications/<id>/resubmit    {"phone", "changes"} → ApplicationStatus JSON
    POST {url}/tasks/<id>/decision           {"task_id", "decision", "reason"?, "fix"?, "reviewer_id"?, "version"?}
                                             → {"task": TaskStatus JSON}
    errors: {"error": {"code", "message", "fields"?}} with code not_found | phone_mismatch | conflict |
            invalid_decision | resubmit_rejected | invalid_application

We keep a local mirror of each submitted application and its tasks (phone, conversation, task states):
the external system reports transitions to POST /api/workflow/events (integrations.inbound), which moves
the mirror through the same state machine and records the applicant's messages exactly once.
"""
from __future__ import annotations

import json
import uuid

import requests
from requests.adapters import HTTPAdapter
from sqlalchemy.orm import Session
from urllib3.util.retry import Retry

from integrations import records, signing
from integrations.base import WorkflowClient
from integrations.errors import (Conflict, InvalidDecision, NotFound, PhoneMismatch, ResubmitRejected,
                                 WorkflowUnavailable)
from integrations.models import HTTP, WorkflowTask
from integrations.schema import Application, InvalidApplication, parse_application
from integrations.status import ApplicationStatus, Receipt, TaskStatus, normalise_application_id

UNAVAILABLE = "审批系统暂时无法连接，请稍后再试，您的信息不会丢失。"
ERRORS = {"not_found": NotFound, "phone_mismatch": PhoneMismatch, "conflict": Conflict,
          "invalid_decision": InvalidDecision, "resubmit_rejected": ResubmitRejected}


def _session(retries: int, backoff: float) -> requests.Session:
    retry = Retry(total=retries, connect=retries, read=retries, status=retries, backoff_factor=backoff,
                  status_forcelist=(502, 503, 504), allowed_methods=None, raise_on_status=False,
                  respect_retry_after_header=True)
    http = requests.Session()
    http.mount("http://", HTTPAdapter(max_retries=retry))
    http.mount("https://", HTTPAdapter(max_retries=retry))
    return http


class HttpWorkflow(WorkflowClient):
    def __init__(self, base_url: str, secret: str, timeout: tuple[float, float] = (3.05, 10.0),
                 retries: int = 3, backoff: float = 0.2):
        if not base_url:
            raise ValueError("WORKFLOW_URL must be set when WORKFLOW_BACKEND=http")
        self.base_url = base_url.rstrip("/")
        self.secret = secret
        self.timeout = timeout
        self.http = _session(retries, backoff)

    @classmethod
    def from_settings(cls, settings) -> "HttpWorkflow":
        return cls(settings.workflow_url, settings.workflow_secret)

    # --- transport --------------------------------------------------------------------------------------

    def _call(self, method: str, path: str, payload: dict | None = None, params: dict | None = None) -> dict:
        body = b"" if payload is None else json.dumps(payload, ensure_ascii=False, default=str).encode()
        headers = signing.sign(self.secret, body)
        if method == "POST":
            headers["Idempotency-Key"] = uuid.uuid4().hex
        try:
            response = self.http.request(method, self.base_url + path, data=body, params=params,
                                         headers=headers, timeout=self.timeout)
        except requests.RequestException:
            raise WorkflowUnavailable(UNAVAILABLE) from None
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.status_code < 400 and isinstance(data, dict):
            return data
        error = (data or {}).get("error") if isinstance(data, dict) else None
        if not isinstance(error, dict):
            raise WorkflowUnavailable(UNAVAILABLE)
        if error.get("code") == "invalid_application":
            raise InvalidApplication(error.get("fields") or {"application": error.get("message", "")})
        kind = ERRORS.get(error.get("code"))
        if kind is None:      # outage, auth failure or a code we do not know: nothing the applicant can fix
            raise WorkflowUnavailable(UNAVAILABLE)
        raise kind(error.get("message") or UNAVAILABLE)

    # --- WorkflowClient ----------------------------------------------------------------------------------

    def submit(self, session: Session, application: Application | dict,
               conversation_id: str | None = None) -> Receipt:
        application = parse_application(application)
        data = self._call("POST", "/applications", {"application": application.model_dump(mode="json"),
                                                    "conversation_id": conversation_id})
        receipt = Receipt.from_dict(data)
        row = records.add_application(session, application, backend=HTTP, conversation_id=conversation_id,
                                      application_id=receipt.application_id)
        for task in receipt.tasks:
            session.add(WorkflowTask(
                application_pk=row.id, external_id=str(task.task_id), kind=task.kind, item_ids=[],
                name=task.name, department=task.department, state=task.state, prereview_due=task.prereview_due,
                processing_days=0, processing_due=task.processing_due,
                deadline_estimated=task.deadline_estimated))
        session.flush()
        return receipt

    def status(self, session: Session, application_id: str, phone: str) -> ApplicationStatus:
        number = normalise_application_id(application_id)
        return ApplicationStatus.from_dict(self._call("GET", f"/applications/{number}", params={"phone": phone}))

    def applications_for_conversation(self, session: Session, conversation_id: str) -> list[ApplicationStatus]:
        return records.applications_for_conversation(session, conversation_id)

    def resubmit(self, session: Session, application_id: str, phone: str, changes: dict) -> ApplicationStatus:
        number = normalise_application_id(application_id)
        data = self._call("POST", f"/applications/{number}/resubmit", {"phone": phone, "changes": changes})
        mirror = records.find_application(session, number)
        merged = parse_application({**mirror.data, **changes})
        mirror.data, mirror.phone = merged.model_dump(mode="json"), merged.phone
        return ApplicationStatus.from_dict(data)

    def decide(self, session: Session, task_id: int | str, decision: str, reason: str | None = None,
               fix: list[str] | None = None, reviewer_id: int | None = None,
               expected_version: int | None = None) -> TaskStatus:
        """`task_id` is our mirror's id (console, API); the external system gets its own id."""
        task = records.find_task(session, task_id)
        payload = {"task_id": task.external_id, "decision": decision, "reason": reason, "fix": fix,
                   "reviewer_id": reviewer_id}
        data = self._call("POST", f"/tasks/{task.external_id}/decision", payload)
        return TaskStatus.from_dict(data["task"])

