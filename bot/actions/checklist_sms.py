"""Send the checklist link by SMS: the SMS conversation's own phone, or a mobile asked for on the web."""
from __future__ import annotations

import hashlib
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet

import knowledge
from bot.actions.checklist_text import checklist_link
from bot.actions.common import button, is_answer_turn, latest_entity, latest_text, sms_phone_of
from core.db import session_scope
from core.identity import InvalidIdentifier, mask_mobile, normalise_mobile


class ValidateSendChecklistForm(FormValidationAction):
    def name(self) -> str:
        return "validate_send_checklist_form"

    async def required_slots(self, domain_slots, dispatcher, tracker, domain) -> list[str]:
        return [] if sms_phone_of(tracker.sender_id) else domain_slots

    async def extract_sms_phone(self, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        if not is_answer_turn(tracker, "sms_phone"):
            return {}
        return {"sms_phone": latest_entity(tracker, "phone") or latest_text(tracker)}

    def validate_sms_phone(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        try:
            return {"sms_phone": normalise_mobile(value)}
        except InvalidIdentifier as error:
            dispatcher.utter_message(text=str(error))
            return {"sms_phone": None}


def checklist_event_key(conversation_id: str, link: str) -> str:
    """The same checklist sent twice in one conversation is one notification (outbox idempotency)."""
    return "checklist:" + conversation_id + ":" + hashlib.sha256(link.encode()).hexdigest()[:16]


class ActionSendChecklistSms(Action):
    def name(self) -> str:
        return "action_send_checklist_sms"

    def run(self, dispatcher, tracker, domain):
        from notify import InvalidRecipient
        from notify.outbox import record

        scenario_id = tracker.get_slot("scenario_id")
        answers = tracker.get_slot("checklist_answers") or {}
        phone = sms_phone_of(tracker.sender_id) or tracker.get_slot("sms_phone")
        link = checklist_link(scenario_id, answers)
        scenario_name = knowledge.get_kb().scenario(scenario_id).name
        try:
            with session_scope() as session:
                record(session, event_key=checklist_event_key(tracker.sender_id, link), template="checklist_link",
                       personalisation={"scenario_name": scenario_name, "link": link}, phone=phone)
        except InvalidRecipient as error:
            dispatcher.utter_message(text=f"{error} 短信没有发出，您也可以直接打开上面的链接。")
            return [SlotSet("sms_phone", None)]
        dispatcher.utter_message(text=f"好的，清单链接将以短信发送到 {mask_mobile(phone)}。")
        dispatcher.utter_message(text="需要现在就在线填写一表申请吗？填好后各部门同步预审，结果短信通知您。",
                                 buttons=[button("现在申请", "affirm"), button("暂不需要", "deny")])
        return []

