"""Who answers an applicant's message — the bot or a human — and the handoff state of a conversation.

The database row (Conversation.status/owner_id) is the only truth; Redis holds a per-conversation lock
so that bot turns and staff actions on one conversation happen one at a time, in order. A message that
arrives while a human owns (or is awaited on) the conversation is stored as `held` and never reaches Rasa.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Iterator

from redis.exceptions import LockError, RedisError
from sqlalchemy.orm import Session

from bot.gateway import rasa_client, sms_channel
from bot.gateway.rasa_client import BotUnavailable
from conversations import store
from conversations.models import (ANSWERED, APPLICANT, BOT, BOT_AUTHOR, CLOSED, HELD, HUMAN, NOTE, PENDING,
                                  STAFF, SYSTEM, WAITING, Conversation, Message)
from core.db import session_scope, utcnow
from core.redis import get_redis

LOCK_SECONDS = 120          # longest a holder may keep a conversation (a few slow Rasa turns)
LOCK_WAIT_SECONDS = 40      # how long a request waits for the conversation's current turn to finish
LOCK_POLL_SECONDS = 0.01    # how often a waiter tries again (redis-py's default, 0.1 s, adds up to 100 ms a turn)

TAKEN_OVER_TEXT = "工作人员已接入，正在为您服务。"
HANDED_BACK_TEXT = "工作人员已将对话交回智能助手，您可以继续提问。"
CLOSED_TEXT = "本次对话已结束。如还有问题，直接发送消息即可重新开始。"
HUMAN_REQUESTED_TEXT = "已为您转接人工服务，工作人员会尽快回复，请稍候。"


class ConversationBusy(RuntimeError):
    """The conversation's lock could not be taken (another turn is still running, or Redis is down)."""


@dataclass
class TurnResult:
    applicant_message_id: int
    reply_ids: list[int] = field(default_factory=list)
    handoff: bool = False


@contextlib.contextmanager
def conversation_lock(conversation_id: str) -> Iterator[None]:
    lock = get_redis().lock(f"yici:lock:conversation:{conversation_id}", timeout=LOCK_SECONDS,
                            sleep=LOCK_POLL_SECONDS, blocking_timeout=LOCK_WAIT_SECONDS)
    try:
        acquired = lock.acquire()
    except RedisError as error:
        raise ConversationBusy(str(error)) from error
    if not acquired:
        raise ConversationBusy(f"conversation {conversation_id} is busy")
    try:
        yield
    finally:
        with contextlib.suppress(LockError, RedisError):
            lock.release()


def bot_answers(conversation: Conversation) -> bool:
    """The router's one question, asked before anything is sent to Rasa."""
    return conversation.status == BOT


def resolve_button(session: Session, conversation_id: str, text: str) -> tuple[str, str | None]:
    """A quick reply typed or clicked: (text shown in the transcript, payload for Rasa or None).

    Accepts the button's payload (web clicks), its title, or its number "1", "2"... (SMS)."""
    last = store.last_bot_message(session, conversation_id)
    buttons = ((last.data or {}).get("buttons") or []) if last else []
    for number, button in enumerate(buttons, start=1):
        if text in (button.get("payload"), button.get("title"), str(number)):
            return button.get("title") or text, button.get("payload") or None
    return text, None


def receive(session: Session, conversation: Conversation, text: str, *, channel_ref: str | None = None,
            state: str | None = None) -> Message:
    """Store an applicant message: pending when the bot answers, held when a human owns the conversation."""
    if conversation.status == CLOSED:
        conversation.status = BOT   # writing again reopens; Rasa still has its context
        conversation.owner_id = None
    shown, payload = resolve_button(session, conversation.id, text)
    if state is None:
        state = PENDING if bot_answers(conversation) else HELD
    message = store.append(session, conversation.id, APPLICANT, shown, data={"payload": payload} if payload else None,
                           state=state, channel_ref=channel_ref, flush=False)
    store.touch(session, conversation)   # one flush: the message and the conversation's activity
    return message


def answer_pending(conversation_id: str) -> list[TurnResult]:
    """Send the conversation's pending messages to Rasa in order, storing each turn (commits per turn).

    Answers the messages pending when it took the conversation's lock; one stored meanwhile is answered
    by whoever stored it (its request, or the SMS job), which waits for this lock and then finds it pending.
    Raises BotUnavailable (after committing the turns that did happen) when Rasa or the action server is
    down: the rest stay pending for the retry job or the next request. Stops, holding the rest, as soon
    as the conversation is no longer the bot's (a handoff in this turn, or staff took over)."""
    try:
        with conversation_lock(conversation_id):
            return _answer_pending_locked(conversation_id)
    except ConversationBusy as error:
        raise BotUnavailable(str(error)) from error


def _answer_pending_locked(conversation_id: str) -> list[TurnResult]:
    results: list[TurnResult] = []
    with session_scope() as session:
        conversation = session.get(Conversation, conversation_id)
        if conversation is None:
            return results
        pending = store.pending_messages(session, conversation_id)
        for message in pending:
            if results:
                session.refresh(conversation)   # more to answer: is the conversation still the bot's?
            if not bot_answers(conversation):
                store.set_state(session, store.pending_messages(session, conversation_id), HELD)
                return results
            payload = (message.data or {}).get("payload") or message.text
            # End the read transaction before the turn: its pooled connection is not held for the whole
            # Rasa call (a request thread waiting on Rasa then holds no database connection). The turn's
            # writes below open a new one; the conversation lock keeps other turns out meanwhile.
            session.commit()
            turn = rasa_client.send_message(conversation_id, payload)
            stored = [store.append(session, conversation_id, BOT_AUTHOR, reply.text, data=reply.data(), flush=False)
                      for reply in turn.replies]
            message.state = ANSWERED
            sms_channel.deliver_turn(session, conversation, message, stored)
            if turn.handoff:
                mark_waiting(session, conversation, turn.handoff_reason)
            store.touch(session, conversation)   # flushes the turn's rows together
            session.commit()                     # each turn is kept as soon as it happened
            results.append(TurnResult(applicant_message_id=message.id, reply_ids=[reply.id for reply in stored],
                                      handoff=turn.handoff))
    return results


def mark_waiting(session: Session, conversation: Conversation, reason: str | None = None) -> None:
    """Queue the conversation for a human; the bot stays silent from now on."""
    if conversation.status in (WAITING, HUMAN):
        return
    conversation.status = WAITING
    conversation.waiting_since = utcnow()
    conversation.handoff_reason = (reason or "")[:200] or None
    conversation.owner_id = None
    store.set_state(session, store.pending_messages(session, conversation.id), HELD)
    session.flush()


def request_human(session: Session, conversation: Conversation, reason: str = "申请人要求人工服务") -> Message:
    """The applicant asked for a human (SMS keyword 人工 or the web button)."""
    mark_waiting(session, conversation, reason)
    return store.append(session, conversation.id, SYSTEM, HUMAN_REQUESTED_TEXT)


def take_over(session: Session, conversation: Conversation, account_id: int) -> None:
    """A staff member owns the conversation: the bot is silenced, unanswered messages are held for them."""
    if conversation.status == HUMAN and conversation.owner_id == account_id:
        return
    conversation.status = HUMAN
    conversation.owner_id = account_id
    conversation.waiting_since = None
    store.set_state(session, store.pending_messages(session, conversation.id), HELD)
    store.append(session, conversation.id, SYSTEM, TAKEN_OVER_TEXT, staff_id=account_id)
    store.touch(session, conversation)


def staff_reply(session: Session, conversation: Conversation, account_id: int, text: str) -> Message:
    """A staff answer, stored in the transcript (the web page shows it; SMS delivery is the caller's)."""
    take_over(session, conversation, account_id)
    for message in store.messages_after(session, conversation.id):
        if message.author == APPLICANT and message.state == HELD:
            message.state = ANSWERED
    reply = store.append(session, conversation.id, STAFF, text, staff_id=account_id)
    store.touch(session, conversation)
    return reply


def add_note(session: Session, conversation: Conversation, account_id: int, text: str) -> Message:
    """A staff-internal note: in the transcript, never shown to the applicant."""
    return store.append(session, conversation.id, NOTE, text, staff_id=account_id)


def hand_back(session: Session, conversation: Conversation, account_id: int) -> None:
    """Give the conversation back to the bot: Rasa resumes with its context (raises BotUnavailable)."""
    rasa_client.resume(conversation.id)
    conversation.status = BOT
    conversation.owner_id = None
    conversation.waiting_since = None
    conversation.handoff_reason = None
    store.append(session, conversation.id, SYSTEM, HANDED_BACK_TEXT, staff_id=account_id)
    store.touch(session, conversation)


def close(session: Session, conversation: Conversation, account_id: int) -> None:
    """End the conversation. Rasa is resumed (best effort) so that a later message is answered again."""
    with contextlib.suppress(BotUnavailable):
        rasa_client.resume(conversation.id)
    conversation.status = CLOSED
    conversation.owner_id = None
    conversation.waiting_since = None
    store.append(session, conversation.id, SYSTEM, CLOSED_TEXT, staff_id=account_id)
    store.touch(session, conversation)
