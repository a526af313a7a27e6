"""Progress (办理进度): by application number with a phone check, or this conversation's own applications."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.common import answer_text, is_answer_turn, latest_entity, sms_phone_of
from core.db import session_scope
from core.identity import InvalidIdentifier, normalise_mobile


def own_applications(conversation_id: str) -> list:
    from integrations import get_workflow

    with session_scope() as session:
        return get_workflow().applications_for_conversation(session, conversation_id)


class ValidateProgressForm(FormValidationAction):
    def name(self) -> str:
        return "validate_progress_form"

    async def required_slots(self, domain_slots, dispatcher, tracker: Tracker, domain) -> list[str]:
        if tracker.slots.get("application_id") is None and tracker.get_slot("requested_slot") is None:
            if own_applications(tracker.sender_id):
                return []
        if sms_phone_of(tracker.sender_id):
            return ["application_id"]
        return list(domain_slots)

    async def extract_application_id(self, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        volunteered = latest_entity(tracker, "application_id")
        if volunteered:
            return {"application_id": volunteered}
        if is_answer_turn(tracker, "application_id"):
            return {"application_id": answer_text(tracker)}
        return {}

    def validate_application_id(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        from integrations import NotFound
        from integrations.status import normalise_application_id

        try:
            return {"application_id": normalise_application_id(value or "")}
        except NotFound as error:
            dispatcher.utter_message(text=error.message)
            return {"application_id": None}

    async def extract_progress_phone(self, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        volunteered = latest_entity(tracker, "phone")
        if volunteered and tracker.slots.get("progress_phone") is None:
            return {"progress_phone": volunteered}
        if is_answer_turn(tracker, "progress_phone"):
            return {"progress_phone": answer_text(tracker)}
        return {}

    def validate_progress_phone(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        try:
            return {"progress_phone": normalise_mobile(value or "")}
        except InvalidIdentifier as error:
            dispatcher.utter_message(text=str(error))
            return {"progress_phone": None}


class ActionCheckProgress(Action):
    def name(self) -> str:
        return "action_check_progress"

    def run(self, dispatcher: CollectingDispatcher, tracker, domain):
        from integrations import NotFound, PhoneMismatch, WorkflowError, get_workflow

        application_id = tracker.get_slot("application_id")
        phone = sms_phone_of(tracker.sender_id) or tracker.get_slot("progress_phone")
        reset = [SlotSet("application_id", None), SlotSet("progress_phone", None)]
        try:
            with session_scope() as session:
                if application_id:
                    statuses = [get_workflow().status(session, application_id, phone)]
                else:
                    statuses = get_workflow().applications_for_conversation(session, tracker.sender_id)
                texts = [status.summary() for status in statuses]
        except PhoneMismatch:
            dispatcher.utter_message(text="手机号码与该申请登记的号码不一致，无法查询。请核对申请编号和手机号后再试，或回复“转人工”。")
            return reset
        except NotFound as error:
            dispatcher.utter_message(text=error.message)
            return reset
        except WorkflowError as error:
            dispatcher.utter_message(text=f"暂时查询不到进度：{error.message} 请稍后再试，或回复“转人工”。")
            return reset
        if not texts:
            dispatcher.utter_message(text="没有找到您在本对话中提交的申请。")
        for text in texts:
            dispatcher.utter_message(text=text)
        return reset
