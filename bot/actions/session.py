"""Session start: carry the slots over and welcome a returning applicant with what is still open."""
from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.common import button

UNFINISHED_MARKERS = ("entity_type", "person_name", "address", "candidate_names")


def returning_message(tracker: Tracker) -> tuple[str | None, list[dict]]:
    """What to tell an applicant who comes back to an earlier conversation (None for a new one)."""
    slots = tracker.slots
    if any(slots.get(name) for name in UNFINISHED_MARKERS):
        return ("欢迎回来！您上次的一表申请还没有填完，已填写的信息都保留着。要接着填吗？",
                [button("继续申请", "start_application"), button("不办了", "cancel")])
    if slots.get("last_application_id"):
        return (f"欢迎回来！您之前提交的申请编号是 {slots['last_application_id']}，可以随时发“查进度”查询办理进度。",
                [button("查询进度", "ask_progress")])
    return None, []


class ActionSessionStart(Action):
    def name(self) -> str:
        return "action_session_start"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain):
        events = [SessionStarted()]
        # carry_over_slots_to_new_session: keep what the applicant already told us
        events += [SlotSet(name, value) for name, value in tracker.slots.items()
                   if value is not None and name != "requested_slot"]
        text, buttons = returning_message(tracker)
        if text:
            dispatcher.utter_message(text=text, buttons=buttons)
        events.append(ActionExecuted("action_listen"))
        return events
