"""B-post routing: take handoffs from the bot queue and escalate a conversation or one question.

A handed-off conversation has status `waiting` (conversations.models); taking it makes it `human`
with the B-post as owner, so the bot stays silent. Escalating leaves the B-post as the conversation's
owner: the expert's answer reaches the applicant through notify (escalation_answer).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from bot.gateway.routing import ConversationBusy, add_note, conversation_lock, take_over
from conversations import store
from conversations.models import APPLICANT, WAITING, Conversation, Message
from core.accounts import B_POST, Account
from desk import escalations
from desk.errors import DeskError, InvalidTransition, NotFound, NotPermitted
from desk.models import KIND_CONVERSATION, KIND_QUESTION, Escalation

TRIAGE_ROLES = (B_POST, *escalations.SUPERVISORS)
CONTEXT_MESSAGES = 5   # applicant messages quoted when a whole conversation is escalated


def waiting_conversations(session: Session) -> list[Conversation]:
    """The bot's handoff queue, longest waiting first."""
    return store.waiting_queue(session)


def owned_conversations(session: Session, account: Account) -> list[Conversation]:
    return store.owned_by(session, account.id)


def get_conversation(session: Session, conversation_id: str) -> Conversation:
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        raise NotFound("找不到该会话。")
    return conversation


def take(session: Session, conversation_id: str, actor: Account) -> Conversation:
    """Take a waiting conversation from the bot queue (first come, first served).

    The conditional UPDATE makes the first taker win even across processes (the second one's UPDATE
    matches no row once the first commits); the gateway's take_over then silences the bot."""
    if actor.role not in TRIAGE_ROLES:
        raise NotPermitted("只有B岗或科长可以接手会话。")
    conversation = get_conversation(session, conversation_id)
    try:
        with conversation_lock(conversation_id):
            result = session.execute(
                update(Conversation)
                .where(Conversation.id == conversation_id, Conversation.status == WAITING,
                       Conversation.owner_id.is_(None))
                .values(owner_id=actor.id).execution_options(synchronize_session=False))
            session.refresh(conversation)
            if result.rowcount != 1:
                raise InvalidTransition("该会话已被其他人接手或不在等待队列中。")
            take_over(session, conversation, actor.id)
    except ConversationBusy:
        raise DeskError("该会话正在处理中，请稍后再试。") from None
    return conversation


def applicant_messages(session: Session, conversation_id: str) -> list[Message]:
    return [m for m in store.messages_after(session, conversation_id) if m.author == APPLICANT]


def _conversation_question(session: Session, conversation: Conversation) -> str:
    texts = [m.text for m in applicant_messages(session, conversation.id) if m.text.strip()]
    if not texts:
        raise DeskError("该会话中没有申请人的提问，无法升级。")
    return "\n".join(texts[-CONTEXT_MESSAGES:])


def escalate(session: Session, actor: Account, conversation_id: str, department: str, note: str | None = None,
             message_id: int | None = None, question: str | None = None,
             now: datetime | None = None) -> Escalation:
    """Escalate a whole conversation, or one applicant message of it (message_id), to a department.

    `question` lets the B-post restate the applicant's question more clearly; by default it is the
    chosen message or the applicant's last messages.
    """
    conversation = get_conversation(session, conversation_id)
    if not escalations.is_supervisor(actor) and conversation.owner_id != actor.id:
        raise NotPermitted("请先接手该会话再升级。")
    if message_id:
        message = session.get(Message, message_id)
        if message is None or message.conversation_id != conversation_id or message.author != APPLICANT:
            raise DeskError("只能升级该会话中申请人的消息。")
        kind, default_question = KIND_QUESTION, message.text
    else:
        kind, default_question = KIND_CONVERSATION, None
    text = (question or "").strip() or default_question or _conversation_question(session, conversation)
    escalation = escalations.create(session, actor, kind=kind, department=department, question=text, note=note,
                                    conversation_id=conversation_id, message_id=message_id, now=now)
    add_note(session, conversation, actor.id,
             f"已升级至{escalation.department}A岗（编号{escalation.id}）" + (f"：{escalation.note}" if escalation.note else "。"))
    return escalation
