"""Cancel (“不办了”): leave whatever form is open and forget what it collected."""
from __future__ import annotations

from rasa_sdk import Action
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.application import APPLICATION_SLOTS

JOURNEY_SLOTS = APPLICATION_SLOTS + ("scenario_id", "checklist_answers", "checklist_reply", "sms_phone",
                                     "application_id", "progress_phone", "requested_slot")


class ActionCancelJourney(Action):
    def name(self) -> str:
        return "action_cancel_journey"

    def run(self, dispatcher: CollectingDispatcher, tracker, domain):
        if tracker.active_loop_name == "application_form" or tracker.get_slot("entity_type"):
            text = "好的，已取消本次申请，填写的信息不会提交，也不会保留。需要时随时可以重新开始。"
        elif tracker.active_loop_name:
            text = "好的，已取消。还有什么可以帮您？"
        else:
            text = "好的。还有什么可以帮您？"
        dispatcher.utter_message(text=text)
        return [ActiveLoop(None)] + [SlotSet(slot, None) for slot in JOURNEY_SLOTS]
