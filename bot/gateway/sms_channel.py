"""The SMS channel: keywords, short replies (at most 2 segments plus a link), delivery through notify/.

Every SMS we send goes through notify.outbox (one row per event, idempotent), so a retried job never
sends the same answer twice and delivery receipts, quiet hours and opt-outs are handled in one place.
"""
from __future__ import annotations

import re

from sqlalchemy.orm import Session

from conversations import store
from conversations.models import ANSWERED, BOT_AUTHOR, Conversation, Message
from core.config import get_settings

SEGMENT_CHARS = 67       # one part of a concatenated non-GSM (Chinese) SMS
MAX_SEGMENTS = 2
HUMAN_KEYWORDS = frozenset({"人工", "转人工", "人工服务"})
OPT_OUT_CONFIRMATION = ("您已退订本服务的非必要短信（提醒、满意度调查等）。"
                        "预审通过或退回等办件结果短信属于业务通知，仍会照常发送给您。")
BOT_REPLY_TEMPLATE = "bot_reply_sms"
STAFF_REPLY_TEMPLATE = "staff_reply"
_TRAILING_PUNCTUATION = re.compile(r"[\s。.!！,，]+$")


def keyword(text: str) -> str | None:
    """'opt_out', 'human' or None for an inbound SMS body."""
    from notify.policies import is_opt_out_keyword

    if is_opt_out_keyword(text):
        return "opt_out"
    word = _TRAILING_PUNCTUATION.sub("", (text or "").strip())
    if word in HUMAN_KEYWORDS:
        return "human"
    return None


def conversation_link(conversation: Conversation) -> str:
    """The web view of an SMS conversation (the id is an unguessable token sent only to that phone)."""
    return f"{get_settings().public_base_url.rstrip('/')}/?c={conversation.id}"


def compose(texts: list[str], buttons: list[dict] | None = None, link: str | None = None,
            fallback_link: str | None = None) -> str:
    """One SMS body: the text in at most MAX_SEGMENTS segments, then a link to the full answer.

    When the text is cut, the link is the bot's own link (a checklist) or else `fallback_link`."""
    text = "\n".join(t.strip() for t in texts if t and t.strip())
    if buttons:
        options = " ".join(f"{n}.{b['title']}" for n, b in enumerate(buttons, start=1))
        text = f"{text}\n回复数字选择：{options}" if text else f"回复数字选择：{options}"
    budget = SEGMENT_CHARS * MAX_SEGMENTS
    cut = len(text) > budget
    if cut:
        text = text[:budget - 1] + "…"
        link = link or fallback_link
    if link:
        text = f"{text}\n{'详情' if cut else '链接'}：{link}"
    return text


def send_text(session: Session, conversation: Conversation, event_key: str, text: str,
              template: str = BOT_REPLY_TEMPLATE) -> None:
    """Queue one SMS to the conversation's phone through notify's outbox (in the caller's transaction)."""
    from notify import outbox

    # urgent: a reply the applicant is waiting for right now ignores quiet hours.
    outbox.record(session, event_key=event_key, template=template, personalisation={"text": text},
                  phone=conversation.phone, urgent=True)


def deliver_turn(session: Session, conversation: Conversation, message: Message, replies: list[Message]) -> None:
    """Send a bot turn's answer by SMS when the applicant's message came by SMS (it has a MessageSid)."""
    if not message.channel_ref or not conversation.phone or not replies:
        return
    buttons = next(((r.data or {}).get("buttons") for r in reversed(replies) if (r.data or {}).get("buttons")), None)
    link = next(((r.data or {}).get("link") for r in replies if (r.data or {}).get("link")), None)
    body = compose([r.text for r in replies], buttons, link, fallback_link=conversation_link(conversation))
    send_text(session, conversation, f"bot-reply:{message.id}", body)


def deliver_staff_reply(session: Session, conversation: Conversation, reply: Message) -> None:
    """A staff answer goes out by SMS for SMS conversations (web conversations just show it)."""
    if conversation.channel != "sms" or not conversation.phone:
        return
    body = compose([reply.text], fallback_link=conversation_link(conversation))
    send_text(session, conversation, f"staff-reply:{reply.id}", body, template=STAFF_REPLY_TEMPLATE)


def answer_now(session: Session, conversation: Conversation, message: Message, text: str) -> Message:
    """The gateway answers itself (keywords, rate limit): stored as a bot message and sent by SMS."""
    message.state = ANSWERED
    reply = store.append(session, conversation.id, BOT_AUTHOR, text)
    send_text(session, conversation, f"bot-reply:{message.id}", text)
    return reply


def receive_inbound(session: Session, phone: str, body: str, message_sid: str) -> str | None:
    """Store one inbound SMS and answer what the gateway answers itself.

    Returns the conversation id when a bot turn must run (the caller enqueues it after commit), None when
    nothing more is to be done: a Twilio retry of a message we already have, a keyword, a rate-limited
    sender, or a conversation owned by a human (the message is held for staff)."""
    from bot.gateway import ratelimit, routing
    from notify import policies

    if store.by_channel_ref(session, message_sid) is not None:
        return None
    conversation = store.for_phone(session, phone)
    decision = ratelimit.hit("sms", phone, get_settings().sms_rate_limit_per_minute)
    if not decision.allowed:
        from conversations.models import LIMITED

        message = routing.receive(session, conversation, body, channel_ref=message_sid, state=LIMITED)
        if decision.first_refusal:
            send_text(session, conversation, f"bot-reply:{message.id}", ratelimit.LIMITED_MESSAGE)
        return None
    word = keyword(body)
    if word == "opt_out":
        message = routing.receive(session, conversation, body, channel_ref=message_sid, state=ANSWERED)
        policies.record_opt_out(session, phone, "sms_keyword")
        answer_now(session, conversation, message, OPT_OUT_CONFIRMATION)
        return None
    if word == "human":
        message = routing.receive(session, conversation, body, channel_ref=message_sid, state=ANSWERED)
        notice = routing.request_human(session, conversation)
        send_text(session, conversation, f"bot-reply:{message.id}", notice.text)
        return None
    message = routing.receive(session, conversation, body, channel_ref=message_sid)
    return conversation.id if message.state == "pending" else None
