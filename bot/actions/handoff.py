"""Human handoff: on request, after two misunderstandings in a row, or after a bad rating."""
from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.common import handoff_events

HANDOFF_TEXT = "好的，正在为您转接窗口工作人员，请稍候。工作人员会在这里直接回复您（工作时间：周一至周五 9:00-17:00）。"
FALLBACK_HANDOFF_TEXT = "抱歉，我连续两次没能理解您的意思。我把对话转给窗口工作人员，请稍候。"


def consecutive_fallbacks(tracker: Tracker) -> int:
    """How many of the latest user messages in a row fell below the NLU confidence threshold."""
    count = 0
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        if ((event.get("parse_data") or {}).get("intent") or {}).get("name") != "nlu_fallback":
            break
        count += 1
    return count


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    def run(self, dispatcher: CollectingDispatcher, tracker, domain):
        return handoff_events(dispatcher, "applicant_request", HANDOFF_TEXT)


class ActionFallback(Action):
    def name(self) -> str:
        return "action_fallback"

    def run(self, dispatcher: CollectingDispatcher, tracker, domain):
        if consecutive_fallbacks(tracker) >= 2:
            return handoff_events(dispatcher, "two_fallbacks", FALLBACK_HANDOFF_TEXT)
        dispatcher.utter_message(response="utter_default")
        return []
