"""Twilio webhooks: inbound SMS (/sms/inbound) and delivery receipts (/sms/status), both signed."""
from __future__ import annotations

import logging

from flask import Blueprint, Response, abort, request
from redis.exceptions import RedisError
from sqlalchemy.exc import IntegrityError
from twilio.request_validator import (SIGNATURE_HEADER, SIGNATURE_SETTINGS_HEADER, RequestValidator,
                                      get_signature_algorithm)
from twilio.twiml.messaging_response import MessagingResponse

from bot.gateway import jobs, sms_channel
from bot.gateway.db import get_db
from core.config import get_settings
from core.identity import InvalidIdentifier, normalise_mobile

bp = Blueprint("sms", __name__, url_prefix="/sms")
log = logging.getLogger(__name__)


def signed_url() -> str:
    """The URL Twilio signed: our public base URL (we may sit behind a proxy) plus path and query."""
    url = get_settings().public_base_url.rstrip("/") + request.path
    query = request.query_string.decode()
    return f"{url}?{query}" if query else url


def signature_valid() -> bool:
    token = get_settings().twilio_auth_token
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not token or not signature:
        return False
    algorithm = get_signature_algorithm(request.headers.get(SIGNATURE_SETTINGS_HEADER))
    return RequestValidator(token).validate(signed_url(), request.form, signature, algorithm=algorithm)


def empty_twiml() -> Response:
    return Response(str(MessagingResponse()), mimetype="application/xml")


@bp.before_request
def require_twilio_signature():
    if not signature_valid():
        log.warning("rejected unsigned or forged Twilio request to %s", request.path)
        abort(403)


@bp.post("/inbound")
def inbound():
    sid = request.form.get("MessageSid") or request.form.get("SmsSid")
    sender = request.form.get("From", "")
    if not sid or not sender:
        abort(400)
    try:
        phone = normalise_mobile(sender)
    except InvalidIdentifier:
        log.warning("inbound SMS %s from a number we cannot answer (%s) ignored", sid, sender)
        return empty_twiml()
    db = get_db()
    try:
        conversation_id = sms_channel.receive_inbound(db, phone, request.form.get("Body", ""), sid)
        db.commit()
    except IntegrityError:
        db.rollback()   # the same MessageSid arrived twice at once: the other request has it
        return empty_twiml()
    if conversation_id:
        try:
            jobs.enqueue_answer(conversation_id)
        except RedisError:
            log.exception("could not enqueue the turn of %s; the sweeper will", conversation_id)
    return empty_twiml()


@bp.post("/status")
def status():
    from notify import callbacks

    db = get_db()
    callbacks.apply_twilio_status(db, request.form.to_dict(), request.args.to_dict())
    db.commit()
    return Response(status=204)
