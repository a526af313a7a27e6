"""Trackers for action unit tests, built with rasa_sdk's Tracker.from_dict like the action server does."""
from __future__ import annotations

import uuid

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher


def make_tracker(text: str = "", intent: str | None = None, entities: list[dict] | None = None,
                 slots: dict | None = None, events: list[dict] | None = None, active_loop: str | None = None,
                 sender: str | None = None) -> Tracker:
    latest = {"text": text, "intent": {"name": intent, "confidence": 1.0} if intent else {},
              "entities": entities or []}
    return Tracker.from_dict({
        "sender_id": sender or uuid.uuid4().hex,
        "slots": dict(slots or {}),
        "latest_message": latest,
        "events": events or [{"event": "user", "text": text, "parse_data": latest}],
        "paused": False,
        "followup_action": None,
        "active_loop": {"name": active_loop} if active_loop else {},
        "latest_action_name": "action_listen",
    })


def entity(name: str, value: str) -> dict:
    return {"entity": name, "value": value}


def texts(dispatcher: CollectingDispatcher) -> str:
    return "\n".join(m.get("text") or "" for m in dispatcher.messages)


def run_async(coroutine):
    import asyncio

    return asyncio.run(coroutine)
