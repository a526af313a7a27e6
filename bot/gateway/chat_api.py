"""The web chat API's logic: validate a posted message, store it, let the router answer it."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from redis.exceptions import RedisError
from sqlalchemy.orm import Session

from bot.gateway import jobs, ratelimit, routing
from bot.gateway.rasa_client import BotUnavailable
from conversations import store
from conversations.models import HUMAN, PENDING, WAITING, Conversation
from core.config import get_settings

MAX_TEXT_CHARS = 1000
IP_LIMIT_FACTOR = 5   # many applicants may share one office or carrier IP
_CONVERSATION_ID = re.compile(r"^[0-9a-f]{32}$")

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error the API reports as {"error": {"code", "message"}} with `status`; message in Chinese."""

    def __init__(self, status: int, code: str, message: str, **extra):
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra

    def body(self) -> dict:
        return {"error": {"code": self.code, "message": self.message}, **self.extra}


@dataclass
class PostedMessage:
    text: str
    conversation_id: str | None


def parse_post(body) -> PostedMessage:
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "请求格式不正确：需要 JSON 对象，例如 {\"text\": \"你好\"}。")
    text = body.get("text")
    if not isinstance(text, str):
        raise ApiError(400, "invalid_text", "消息内容必须是文字。")
    text = text.strip()
    if not text:
        raise ApiError(400, "empty_text", "消息不能为空，请输入您的问题。")
    if len(text) > MAX_TEXT_CHARS:
        raise ApiError(400, "text_too_long", f"消息太长了（最多 {MAX_TEXT_CHARS} 字），请分几次发送。")
    conversation_id = body.get("conversation_id")
    if conversation_id is not None and not (isinstance(conversation_id, str)
                                            and _CONVERSATION_ID.match(conversation_id)):
        raise ApiError(400, "invalid_conversation_id", "会话编号格式不正确。")
    return PostedMessage(text=text, conversation_id=conversation_id)


def check_rate(conversation_id: str | None, ip: str) -> None:
    limit = get_settings().chat_rate_limit_per_minute
    hits = [("web-ip", ip, limit * IP_LIMIT_FACTOR)]
    if conversation_id:
        hits.append(("web-conversation", conversation_id, limit))
    if not all(d.allowed for d in ratelimit.hit_many(hits)):
        raise ApiError(429, "rate_limited", ratelimit.LIMITED_MESSAGE)


HANDOFF_STATUSES = (WAITING, HUMAN)


def is_handoff(conversation: Conversation) -> bool:
    return conversation.status in HANDOFF_STATUSES


def post_message(session: Session, posted: PostedMessage) -> dict:
    """Store the applicant's message (committed before Rasa is called: nothing is lost), then answer it.

    Raises ApiError 503 when the bot is down; the message stays pending and a retry job is queued."""
    conversation = None
    if posted.conversation_id:
        conversation = session.get(Conversation, posted.conversation_id)
    conversation = conversation or store.get_or_create(session)
    message = routing.receive(session, conversation, posted.text)
    session.commit()
    if message.state == PENDING:
        try:
            routing.answer_pending(conversation.id)
        except BotUnavailable as error:
            log.warning("bot unavailable for %s: %s", conversation.id, error)
            try:
                jobs.enqueue_answer(conversation.id)
            except RedisError:
                log.exception("retry of %s not queued; the sweeper or the next message will answer", conversation.id)
            raise ApiError(503, "bot_unavailable",
                           "智能助手暂时无法回复。您的消息已保存，恢复后会立即答复您，工作人员也可能直接回复，请稍后查看。",
                           conversation_id=conversation.id, message_id=message.id) from None
    # The turn was stored by answer_pending's own session: read its outcome from the database.
    replies = store.messages_after(session, conversation.id, message.id, include_applicant=False)
    return {"conversation_id": conversation.id, "message_id": message.id,
            "messages": [store.message_to_dict(m) for m in replies],
            "handoff": store.status_of(session, conversation.id) in HANDOFF_STATUSES}


def list_messages(session: Session, conversation_id: str, after: str | None) -> dict:
    try:
        after_id = int(after or 0)
    except ValueError:
        raise ApiError(400, "invalid_after", "参数 after 必须是消息编号（整数）。") from None
    conversation = session.get(Conversation, conversation_id) if _CONVERSATION_ID.match(conversation_id) else None
    if conversation is None:
        raise ApiError(404, "conversation_not_found", "找不到这个会话，请重新开始对话。")
    messages = store.messages_after(session, conversation_id, max(after_id, 0))
    return {"conversation_id": conversation_id, "messages": [store.message_to_dict(m) for m in messages],
            "handoff": is_handoff(conversation), "status": conversation.status}
