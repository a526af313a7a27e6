"""Plain functions over the transcript; callers own the session and its transaction."""
from __future__ import annotations

from datetime import datetime
from functools import cache

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from core.db import utcnow

from conversations.models import (APPLICANT, BOT, BOT_AUTHOR, HUMAN, NOTE, PENDING, SMS, WAITING, WEB,
                                  AuditEvent, Conversation, Message)


# The reads of every chat turn and inbound SMS are built once, with bind parameters: SQLAlchemy then works
# out each statement's cache key once, not on every call (two thirds of such a small query's CPU).
@cache
def _messages_after_statement(include_notes: bool, include_applicant: bool):
    query = select(Message).where(Message.conversation_id == bindparam("conversation_id"),
                                  Message.id > bindparam("after_id"))
    excluded = ([] if include_notes else [NOTE]) + ([] if include_applicant else [APPLICANT])
    if excluded:
        query = query.where(Message.author.not_in(excluded))
    return query.order_by(Message.id)


_STATUS = select(Conversation.status).where(Conversation.id == bindparam("conversation_id"))
_PENDING = (select(Message).where(Message.conversation_id == bindparam("conversation_id"),
                                  Message.author == APPLICANT, Message.state == PENDING).order_by(Message.id))
_SMS_CONVERSATION = (select(Conversation).where(Conversation.channel == SMS, Conversation.phone == bindparam("phone"))
                     .order_by(Conversation.created_at.desc()).limit(1))
_BY_CHANNEL_REF = select(Message).where(Message.channel_ref == bindparam("channel_ref"))
_LAST_BOT_MESSAGE = (select(Message).where(Message.conversation_id == bindparam("conversation_id"),
                                           Message.author == BOT_AUTHOR).order_by(Message.id.desc()).limit(1))
_PREBUILT = (_STATUS, _PENDING, _SMS_CONVERSATION, _BY_CHANNEL_REF, _LAST_BOT_MESSAGE,
             _messages_after_statement(False, False), _messages_after_statement(False, True))


def warm_up(session: Session) -> None:
    """Run each prebuilt read once, matching nothing. A process configures the ORM's mappers and compiles a
    statement on its first use (20-40 ms in all): without this, the first applicant each new gateway worker
    serves would wait for it."""
    nothing = {"conversation_id": "", "after_id": 0, "phone": "", "channel_ref": ""}
    for statement in _PREBUILT:
        session.execute(statement, nothing).all()   # a statement takes the parameters it names


def get_or_create(session: Session, conversation_id: str | None = None, channel: str = WEB,
                  phone: str | None = None) -> Conversation:
    if conversation_id:
        conversation = session.get(Conversation, conversation_id)
        if conversation is not None:
            return conversation
    conversation = Conversation(channel=channel, phone=phone)
    if conversation_id:
        conversation.id = conversation_id
    session.add(conversation)
    session.flush()
    return conversation


def for_phone(session: Session, phone: str) -> Conversation:
    """The SMS conversation keyed by an E.164 phone number."""
    conversation = session.scalar(_SMS_CONVERSATION, {"phone": phone})
    return conversation or get_or_create(session, channel=SMS, phone=phone)


def append(session: Session, conversation_id: str, author: str, text: str, data: dict | None = None,
           state: str | None = None, channel_ref: str | None = None, staff_id: int | None = None,
           flush: bool = True) -> Message:
    """Add a message to the transcript. With flush=False its id comes with the session's next flush
    (one flush for a turn's rows instead of one per row)."""
    message = Message(conversation_id=conversation_id, author=author, text=text, data=data or None,
                      state=state, channel_ref=channel_ref, staff_id=staff_id)
    session.add(message)
    if flush:
        session.flush()
    return message


def messages_after(session: Session, conversation_id: str, after_id: int = 0,
                   include_notes: bool = False, include_applicant: bool = True) -> list[Message]:
    return list(session.scalars(_messages_after_statement(include_notes, include_applicant),
                                {"conversation_id": conversation_id, "after_id": after_id}))


def status_of(session: Session, conversation_id: str) -> str | None:
    """The conversation's handoff status as the database has it now (not as a loaded object remembers)."""
    return session.scalar(_STATUS, {"conversation_id": conversation_id})


def message_to_dict(message: Message) -> dict:
    """The stable JSON shape of one message in the chat API."""
    out = {"id": message.id, "author": message.author, "text": message.text,
           "created_at": message.created_at.isoformat()}
    data = message.data or {}
    if data.get("buttons"):
        out["buttons"] = data["buttons"]
    if data.get("link"):
        out["link"] = data["link"]
    return out


def is_applicant(message: Message) -> bool:
    return message.author == APPLICANT


def by_channel_ref(session: Session, channel_ref: str) -> Message | None:
    """The message a provider already delivered to us (Twilio MessageSid), for deduplication."""
    return session.scalar(_BY_CHANNEL_REF, {"channel_ref": channel_ref})


def pending_messages(session: Session, conversation_id: str) -> list[Message]:
    """Applicant messages stored but not yet answered, oldest first."""
    return list(session.scalars(_PENDING, {"conversation_id": conversation_id}))


def conversations_with_pending(session: Session, stored_before: datetime | None = None) -> list[str]:
    """Bot-owned conversations holding unanswered applicant messages (the bot was down); with
    `stored_before`, only messages stored before then (not the turns still under way)."""
    query = (select(Message.conversation_id).join(Conversation, Conversation.id == Message.conversation_id)
             .where(Message.author == APPLICANT, Message.state == PENDING, Conversation.status == BOT))
    if stored_before is not None:
        query = query.where(Message.created_at < stored_before)
    return list(session.scalars(query.distinct()))


def set_state(session: Session, messages: list[Message], state: str) -> None:
    for message in messages:
        message.state = state
    session.flush()


def last_bot_message(session: Session, conversation_id: str) -> Message | None:
    return session.scalar(_LAST_BOT_MESSAGE, {"conversation_id": conversation_id})


def last_message_id(session: Session, conversation_id: str) -> int:
    return session.scalar(select(Message.id).where(Message.conversation_id == conversation_id)
                          .order_by(Message.id.desc()).limit(1)) or 0


def waiting_queue(session: Session) -> list[Conversation]:
    """Conversations waiting for a human, oldest first."""
    return list(session.scalars(select(Conversation).where(Conversation.status == WAITING)
                                .order_by(Conversation.waiting_since, Conversation.created_at)))


def owned_by(session: Session, account_id: int) -> list[Conversation]:
    return list(session.scalars(select(Conversation).where(Conversation.status == HUMAN,
                                                           Conversation.owner_id == account_id)
                                .order_by(Conversation.updated_at.desc())))


def recent_bot_conversations(session: Session, limit: int = 30) -> list[Conversation]:
    """Conversations the bot is handling now, most recently active first (staff watch them live)."""
    return list(session.scalars(select(Conversation).where(Conversation.status == BOT)
                                .order_by(Conversation.updated_at.desc()).limit(limit)))


def touch(session: Session, conversation: Conversation) -> None:
    """Mark a conversation as active now (ordering of live views)."""
    conversation.updated_at = utcnow()
    session.flush()


def search(session: Session, *, phone: str | None = None, text: str | None = None,
           conversation_ids: list[str] | tuple[str, ...] = (), limit: int = 50) -> list[Conversation]:
    """Conversations by phone (E.164), by ids (e.g. those linked to an application number), or whose
    transcript contains `text` (an application number quoted in the chat)."""
    conditions = []
    if phone:
        conditions.append(Conversation.phone == phone)
    if conversation_ids:
        conditions.append(Conversation.id.in_(list(conversation_ids)))
    if text:
        mentioned = select(Message.conversation_id).where(Message.text.contains(text, autoescape=True))
        conditions.append(Conversation.id.in_(mentioned))
    if not conditions:
        return []
    return list(session.scalars(select(Conversation).where(or_(*conditions))
                                .order_by(Conversation.updated_at.desc()).limit(limit)))


def record_audit(session: Session, *, account_id: int, conversation_id: str, action: str,
                 message_id: int | None = None) -> AuditEvent:
    event = AuditEvent(account_id=account_id, conversation_id=conversation_id, action=action,
                       message_id=message_id)
    session.add(event)
    session.flush()
    return event


def audit_events(session: Session, conversation_id: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.conversation_id == conversation_id)
                                .order_by(AuditEvent.id)))
