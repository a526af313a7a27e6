"""Machine API for workflow and department systems, authenticated by HMAC signature (no session, no CSRF).

Every request carries X-Yici-Timestamp and X-Yici-Signature = "sha256=" + hex HMAC-SHA256(WORKFLOW_SECRET,
"<timestamp>." + raw body); older than 5 minutes, forged, unsigned or replayed → 401 (integrations.signing).

POST /api/workflow/events                 an external workflow system reports a task transition
POST /api/workflow/tasks/<id>/decision    {"task_id": <id>, "decision": "pass"|"return"|"approve"|"issue",
                                           "reason"?, "fix"?, "version"?, "reviewer_id"?} from a department system
The signature covers the timestamp and the body only, so the decision body names its task ("task_id" must
equal the id in the URL): a signed decision cannot be replayed against another task, and decisions on
different tasks never share a signature.
Errors: {"error": {"code", "message"}} with 400 (bad input), 401, 404, 409 (stale or invalid transition).
"""
from __future__ import annotations

from flask import Blueprint, jsonify, request
from sqlalchemy.exc import IntegrityError

from bot.gateway.db import get_db
from core.config import get_settings
from integrations import get_workflow, inbound, signing
from integrations.errors import Conflict, InvalidDecision, NotFound, WorkflowError

bp = Blueprint("workflow_api", __name__, url_prefix="/api/workflow")

_STATUS = {NotFound: 404, Conflict: 409, InvalidDecision: 400}


def _error(code: str, message: str, status: int):
    return jsonify({"error": {"code": code, "message": message}}), status


def _authenticate():
    """Verify the signature and remember it (replay protection) in the request's transaction."""
    body = request.get_data(cache=True)
    key = signing.verify(get_settings().workflow_secret, request.headers.get(signing.TIMESTAMP_HEADER),
                         request.headers.get(signing.SIGNATURE_HEADER), body)
    signing.remember(get_db(), f"sig:{key}")


def _json_body() -> dict:
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise InvalidDecision("请求体必须是 JSON 对象。")
    return payload


def _run(handler):
    session = get_db()
    try:
        _authenticate()
        result = handler(session)
        session.commit()
        return jsonify(result), 200
    except (signing.InvalidSignature, IntegrityError):   # IntegrityError: a concurrent copy was stored first
        session.rollback()
        return _error("unauthorized", "签名无效、已过期或重复。", 401)
    except WorkflowError as exc:
        session.rollback()
        return _error(exc.code, exc.message, _STATUS.get(type(exc), 400))


@bp.post("/events")
def events():
    def handle(session):
        payload = _json_body()
        event_id = payload.get("id")
        if not isinstance(event_id, str) or not event_id:
            raise InvalidDecision("event id is required")
        signing.remember(session, f"event:{event_id}")
        task = inbound.apply_event(session, payload)
        return {"ok": True, "task_id": task.external_id, "state": task.state}

    return _run(handle)


@bp.post("/tasks/<task_id>/decision")
def decision(task_id: str):
    def handle(session):
        payload = _json_body()
        if str(payload.get("task_id", "")) != task_id:
            raise InvalidDecision("请求体中的 task_id 必须与网址中的任务编号一致。")
        reviewer_id = payload.get("reviewer_id")
        if reviewer_id is not None and not isinstance(reviewer_id, int):
            raise InvalidDecision("reviewer_id 必须是整数。")
        fix = payload.get("fix")
        if fix is not None and not (isinstance(fix, list) and all(isinstance(item, str) for item in fix)):
            raise InvalidDecision("fix 必须是字段名列表。")
        version = payload.get("version")
        if version is not None and not isinstance(version, int):
            raise InvalidDecision("version 必须是整数。")
        status = get_workflow().decide(session, task_id, str(payload.get("decision", "")),
                                       reason=payload.get("reason"), fix=fix,
                                       reviewer_id=reviewer_id, expected_version=version)
        return {"task": status.to_dict()}

    return _run(handle)
