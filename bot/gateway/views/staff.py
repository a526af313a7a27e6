"""Window-staff console: the handoff queue, live transcripts, take over / reply / note / hand back / close."""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, jsonify, redirect, render_template, request, url_for

from bot.gateway import routing, sms_channel, transcripts
from bot.gateway.auth import login_required
from bot.gateway.db import get_db
from bot.gateway.rasa_client import BotUnavailable
from conversations import store
from conversations.models import REVEAL_ID_NUMBER, Conversation, Message
from core.accounts import WINDOW_STAFF, Account

bp = Blueprint("staff", __name__, url_prefix="/staff")
MAX_REPLY_CHARS = 1000


@bp.context_processor
def _helpers():
    return {"local_time": transcripts.local_time}


def _conversation(conversation_id: str) -> Conversation:
    conversation = get_db().get(Conversation, conversation_id)
    if conversation is None:
        abort(404)
    return conversation


def _staff_names(ids) -> dict[int, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return {a.id: a.display_name for a in get_db().query(Account).filter(Account.id.in_(ids))}


@bp.get("/")
@login_required(WINDOW_STAFF)
def index():
    db = get_db()
    queue = store.waiting_queue(db)
    return render_template("staff/index.html", queue=queue, waiting_minutes=transcripts.waiting_minutes,
                           mine=store.owned_by(db, g.account.id), live=store.recent_bot_conversations(db))


@bp.get("/search")
@login_required(WINDOW_STAFF)
def search():
    query = request.args.get("q", "").strip()
    results = transcripts.search(get_db(), query) if query else []
    return render_template("staff/search.html", query=query, results=results)


def _render_conversation(conversation: Conversation, revealed: set[int] = frozenset()):
    db = get_db()
    messages = store.messages_after(db, conversation.id, include_notes=True)
    return render_template("staff/conversation.html", conversation=conversation,
                           messages=[transcripts.present(m, revealed) for m in messages],
                           last_id=messages[-1].id if messages else 0,
                           names=_staff_names([conversation.owner_id, *(m.staff_id for m in messages)]),
                           max_reply=MAX_REPLY_CHARS)


@bp.get("/conversations/<conversation_id>")
@login_required(WINDOW_STAFF)
def conversation(conversation_id: str):
    return _render_conversation(_conversation(conversation_id))


@bp.get("/conversations/<conversation_id>/messages")
@login_required(WINDOW_STAFF)
def messages(conversation_id: str):
    """Live view polling: messages after `after`, masked, notes included."""
    conversation = _conversation(conversation_id)
    after = request.args.get("after", "0")
    after_id = int(after) if after.isdigit() else 0
    found = store.messages_after(get_db(), conversation.id, after_id, include_notes=True)
    return jsonify(status=conversation.status, owner_id=conversation.owner_id,
                   messages=[transcripts.present(m) for m in found])


def _locked_action(conversation_id: str, action) -> None:
    """Run a state change under the conversation's lock (never in the middle of a bot turn) and commit."""
    db = get_db()
    try:
        with routing.conversation_lock(conversation_id):
            db.expire_all()
            action(db, _conversation(conversation_id))
            db.commit()
    except routing.ConversationBusy:
        db.rollback()
        flash("该会话正在处理中，请稍后再试。")


@bp.post("/conversations/<conversation_id>/take")
@login_required(WINDOW_STAFF)
def take_over(conversation_id: str):
    _locked_action(conversation_id, lambda db, c: routing.take_over(db, c, g.account.id))
    return redirect(url_for("staff.conversation", conversation_id=conversation_id))


@bp.post("/conversations/<conversation_id>/reply")
@login_required(WINDOW_STAFF)
def reply(conversation_id: str):
    text = request.form.get("text", "").strip()
    if not text or len(text) > MAX_REPLY_CHARS:
        flash(f"回复不能为空，且不超过 {MAX_REPLY_CHARS} 字。")
        return redirect(url_for("staff.conversation", conversation_id=conversation_id))

    def _reply(db, conversation):
        message = routing.staff_reply(db, conversation, g.account.id, text)
        sms_channel.deliver_staff_reply(db, conversation, message)

    _locked_action(conversation_id, _reply)
    return redirect(url_for("staff.conversation", conversation_id=conversation_id))


@bp.post("/conversations/<conversation_id>/note")
@login_required(WINDOW_STAFF)
def note(conversation_id: str):
    text = request.form.get("text", "").strip()
    if text:
        db = get_db()
        routing.add_note(db, _conversation(conversation_id), g.account.id, text[:MAX_REPLY_CHARS])
        db.commit()
    return redirect(url_for("staff.conversation", conversation_id=conversation_id))


@bp.post("/conversations/<conversation_id>/handback")
@login_required(WINDOW_STAFF)
def hand_back(conversation_id: str):
    try:
        _locked_action(conversation_id, lambda db, c: routing.hand_back(db, c, g.account.id))
    except BotUnavailable:
        get_db().rollback()
        flash("智能助手暂时不可用，无法交回，请继续人工服务或稍后再试。")
    return redirect(url_for("staff.conversation", conversation_id=conversation_id))


@bp.post("/conversations/<conversation_id>/close")
@login_required(WINDOW_STAFF)
def close(conversation_id: str):
    _locked_action(conversation_id, lambda db, c: routing.close(db, c, g.account.id))
    return redirect(url_for("staff.index"))


@bp.post("/conversations/<conversation_id>/messages/<int:message_id>/reveal")
@login_required(WINDOW_STAFF)
def reveal(conversation_id: str, message_id: int):
    """Show one message with its ID numbers unmasked; every reveal is written to the audit table."""
    conversation = _conversation(conversation_id)
    db = get_db()
    message = db.get(Message, message_id)
    if message is None or message.conversation_id != conversation.id:
        abort(404)
    store.record_audit(db, account_id=g.account.id, conversation_id=conversation.id, message_id=message.id,
                       action=REVEAL_ID_NUMBER)
    db.commit()
    return _render_conversation(conversation, revealed={message.id})
