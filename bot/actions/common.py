"""Helpers every action shares: the conversation record, button payloads, the latest message, handoff events.

Actions are thin: they read the tracker, call knowledge/, integrations/, notify/, and answer in Chinese.
"""
from __future__ import annotations

import json
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, ConversationPaused, EventType, SlotSet

from conversations.models import SMS, Conversation
from core.db import session_scope

# Intents that leave a form for a moment (rules answer them) instead of answering the form's question.
DIGRESSION_INTENTS = frozenset({"ask_guideline", "request_human", "cancel", "correct", "ask_checklist",
                                "ask_progress", "out_of_scope", "start_application", "greet", "goodbye"})
# Intents whose text is never taken as an answer to an open question.
NEVER_AN_ANSWER = DIGRESSION_INTENTS - {"greet", "goodbye", "start_application", "ask_checklist",
                                        "ask_progress"}


def payload(intent: str, **entities: Any) -> str:
    """A Rasa button payload that forces an intent and entities: /inform{"option": "yes"}."""
    if not entities:
        return f"/{intent}"
    return f"/{intent}{json.dumps(entities, ensure_ascii=False)}"


def button(title: str, intent: str, **entities: Any) -> dict:
    return {"title": title, "payload": payload(intent, **entities)}


def latest_text(tracker: Tracker) -> str:
    return (tracker.latest_message or {}).get("text") or ""


def latest_intent(tracker: Tracker) -> str | None:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name")


def latest_entity(tracker: Tracker, entity: str) -> str | None:
    value = next(tracker.get_latest_entity_values(entity), None)
    return str(value) if value is not None else None


def is_answer_turn(tracker: Tracker, slot: str) -> bool:
    """True when the latest message answers the form's question about `slot` (not a digression)."""
    return tracker.get_slot("requested_slot") == slot and latest_intent(tracker) not in NEVER_AN_ANSWER


def answer_text(tracker: Tracker) -> str:
    """The applicant's answer: a button's option value if one was clicked, else the typed text."""
    option = latest_entity(tracker, "option")
    if option is not None:
        return option
    return latest_text(tracker).strip()


def conversation_channel_and_phone(conversation_id: str) -> tuple[str | None, str | None]:
    """(channel, phone) of the gateway's conversation record; (None, None) when the gateway never saw it."""
    with session_scope() as session:
        conversation = session.get(Conversation, conversation_id)
        if conversation is None:
            return None, None
        return conversation.channel, conversation.phone


def sms_phone_of(conversation_id: str) -> str | None:
    channel, phone = conversation_channel_and_phone(conversation_id)
    return phone if channel == SMS and phone else None


def handoff_events(dispatcher, reason: str, text: str) -> list[EventType]:
    """Pause the bot and tell the gateway (custom payload) to put the conversation in the staff queue."""
    dispatcher.utter_message(text=text)
    dispatcher.utter_message(json_message={"handoff": True, "reason": reason})
    return [ActiveLoop(None), SlotSet("requested_slot", None), ConversationPaused()]
