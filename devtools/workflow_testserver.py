"""A small external workflow system for testing the http backend (integrations.http).

It is a real REST service: the embedded workflow on its own database behind the REST API that
integrations.http documents, checking Yici's request signatures and posting signed events for every
transition to Yici's callback (POST /api/workflow/events). `fail_next(n, status)` makes the next n
requests fail (retry tests).

    server = WorkflowTestServer(database_url, secret, callback_url).start()
    ... server.url ...
    server.stop()

Run alone: python -m devtools.workflow_testserver --port 4020 --database-url sqlite:////tmp/wf.db \
           --secret S --callback http://127.0.0.1:8000/api/workflow/events
"""
from __future__ import annotations

import argparse
import json
import threading
import uuid

import requests
from flask import Flask, g, jsonify, request
from werkzeug.serving import make_server

from core.db import migrate, new_session
from integrations import signing
from integrations.embedded import EmbeddedWorkflow
from integrations.errors import WorkflowError
from integrations.models import WorkflowEvent, WorkflowTask
from integrations.records import task_status
from integrations.schema import InvalidApplication

EVENT_TYPES = {"start_review": "task.review_started", "pass": "task.passed", "return": "task.returned",
               "resubmit": "task.resubmitted", "approve": "task.approved", "issue": "task.issued"}
HTTP_STATUS = {"not_found": 404, "phone_mismatch": 403, "conflict": 409}


class WorkflowTestServer:
    def __init__(self, database_url: str, secret: str, callback_url: str, port: int = 0):
        self.database_url = database_url
        self.secret = secret
        self.callback_url = callback_url
        self.failures: list[int] = []
        self.idempotent: dict[str, tuple[dict, int]] = {}
        self.delivered_events: list[dict] = []
        self.lock = threading.Lock()
        self.workflow = EmbeddedWorkflow(publisher=self._collect)
        self.app = self._build_app()
        self.server = make_server("127.0.0.1", port, self.app, threaded=True)
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def start(self) -> "WorkflowTestServer":
        migrate(self.database_url)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        if self.thread:
            self.thread.join(10)

    def fail_next(self, count: int, status: int = 503) -> None:
        with self.lock:
            self.failures.extend([status] * count)

    # --- events to Yici, after our own commit --------------------------------------------------------

    def _collect(self, session, task: WorkflowTask, event: WorkflowEvent) -> None:
        g.setdefault("events", []).append({
            "id": f"evt-{uuid.uuid4().hex}", "type": EVENT_TYPES[event.action],
            "application_id": task.application.application_id, "task": task_status(task).to_dict(),
            "reason": event.reason, "fix": event.fix})

    def _publish(self, events: list[dict]) -> None:
        for event in events:
            body = json.dumps(event, ensure_ascii=False).encode()
            response = requests.post(self.callback_url, data=body, headers=signing.sign(self.secret, body),
                                     timeout=10)
            response.raise_for_status()
            self.delivered_events.append(event)

    # --- REST API --------------------------------------------------------------------------------------

    def _build_app(self) -> Flask:
        app = Flask(__name__)
        app.json.ensure_ascii = False
        server = self

        @app.before_request
        def check():
            with server.lock:
                failure = server.failures.pop(0) if server.failures else None
            if failure:
                return jsonify({"error": {"code": "unavailable", "message": "injected failure"}}), failure
            try:
                signing.verify(server.secret, request.headers.get(signing.TIMESTAMP_HEADER),
                               request.headers.get(signing.SIGNATURE_HEADER), request.get_data(cache=True))
            except signing.InvalidSignature:
                return jsonify({"error": {"code": "unauthorized", "message": "bad signature"}}), 401
            key = request.headers.get("Idempotency-Key")
            if key and key in server.idempotent:
                body, status = server.idempotent[key]
                return jsonify(body), status
            return None

        def run(handler):
            session = new_session(server.database_url)
            try:
                body, status = handler(session), 200
                session.commit()
            except InvalidApplication as exc:
                session.rollback()
                body, status = {"error": {"code": "invalid_application", "message": str(exc),
                                          "fields": exc.errors}}, 422
            except WorkflowError as exc:
                session.rollback()
                body, status = {"error": {"code": exc.code, "message": exc.message}}, HTTP_STATUS.get(exc.code, 400)
            finally:
                session.close()
            if status == 200:
                server._publish(g.pop("events", []))
            key = request.headers.get("Idempotency-Key")
            if key:
                server.idempotent[key] = (body, status)
            return jsonify(body), status

        @app.post("/applications")
        def submit():
            payload = request.get_json()
            return run(lambda s: server.workflow.submit(s, payload["application"],
                                                        payload.get("conversation_id")).to_dict())

        @app.get("/applications/<application_id>")
        def status(application_id):
            return run(lambda s: server.workflow.status(s, application_id, request.args.get("phone", "")).to_dict())

        @app.post("/applications/<application_id>/resubmit")
        def resubmit(application_id):
            payload = request.get_json()
            return run(lambda s: server.workflow.resubmit(s, application_id, payload.get("phone", ""),
                                                          payload.get("changes") or {}).to_dict())

        @app.post("/tasks/<task_id>/decision")
        def decide(task_id):
            payload = request.get_json()
            return run(lambda s: {"task": server.workflow.decide(
                s, task_id, payload.get("decision", ""), reason=payload.get("reason"), fix=payload.get("fix"),
                reviewer_id=payload.get("reviewer_id"), expected_version=payload.get("version")).to_dict()})

        return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=4020)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--callback", required=True)
    args = parser.parse_args()
    server = WorkflowTestServer(args.database_url, args.secret, args.callback, port=args.port).start()
    print(f"workflow test server on {server.url}")
    try:
        server.thread.join()
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
