"""Applicant-facing pages and the chat JSON API: web chat at /, the checklist page, /openapi.json."""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request

from bot.gateway import chat_api, checklist_page, openapi
from bot.gateway.chat_api import ApiError
from bot.gateway.db import get_db

bp = Blueprint("chat", __name__)


@bp.errorhandler(ApiError)
def api_error(error: ApiError):
    return jsonify(error.body()), error.status


@bp.get("/")
def index():
    return render_template("chat.html")


@bp.post("/api/chat/messages")
def post_message():
    try:
        body = request.get_json(silent=True)
    except RecursionError:   # JSON nested thousands deep: not a message (get_json's silent misses it)
        body = None
    posted = chat_api.parse_post(body)
    chat_api.check_rate(posted.conversation_id, request.remote_addr or "unknown")
    return jsonify(chat_api.post_message(get_db(), posted))


@bp.get("/api/chat/<conversation_id>/messages")
def list_messages(conversation_id: str):
    return jsonify(chat_api.list_messages(get_db(), conversation_id, request.args.get("after")))


@bp.get("/openapi.json")
def openapi_json():
    return jsonify(openapi.spec())


@bp.get("/checklist/<scenario_id>")
def checklist(scenario_id: str):
    try:
        page = checklist_page.build(scenario_id, request.args.to_dict(), request.url)
    except checklist_page.ChecklistNotFound as error:
        return render_template("checklist_error.html", message=str(error)), 404
    except checklist_page.ChecklistBadAnswer as error:
        return render_template("checklist_error.html", message=str(error)), 400
    return render_template("checklist.html", **page)
