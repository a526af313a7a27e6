"""The application form (一表申请): extraction and validation of each field, and the questions it asks.

Every field has an extract_ method (the answer to the question just asked, or an entity the applicant
volunteered) and a validate_ method (the parsers in application_fields). Digressions — a guideline
question, a correction, cancel, a human — are never taken as answers, so the rules can handle them.
"""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import application_fields as fields
from bot.actions import resubmission
from bot.actions.common import answer_text, button, is_answer_turn, latest_entity, latest_intent
from integrations.schema import LIMITED_COMPANY

# slot → entity the applicant may volunteer at any time inside the form
VOLUNTEERED_ENTITIES = {"entity_type": "entity_type", "district": "district", "id_number": "id_number",
                        "phone": "phone"}
TEXT_SLOTS = ("entity_type", "candidate_names", "district", "address", "person_name", "id_number", "phone",
              "business_scope", "registered_capital")
YES, NO = "yes", "no"


def x_candidates(tracker: Tracker) -> list[dict]:
    """X items (自主自愿) the bot proposes: from the scenario the applicant described, if any."""
    from bot.actions.checklist import build, find_scenario

    scenario_id = tracker.get_slot("scenario_id")
    if not scenario_id:
        scenario = find_scenario(tracker.get_slot("industry"), tracker.get_slot("business_scope"))
        scenario_id = scenario.id if scenario else None
    if not scenario_id:
        return []
    items = build(scenario_id, tracker.get_slot("checklist_answers") or {}).get("items") or []
    return [item for item in items if str(item.get("kind")) == "X"]


def next_x_offer(tracker: Tracker) -> dict | None:
    decided = set(tracker.get_slot("x_items") or []) | set(tracker.get_slot("x_declined") or [])
    return next((item for item in x_candidates(tracker) if item["id"] not in decided), None)


def _yes_no(tracker: Tracker) -> str | None:
    intent = latest_intent(tracker)
    if intent == "affirm":
        return YES
    if intent == "deny":
        return NO
    text = answer_text(tracker)
    if text in ("是", "要", "办", "1", "好", "需要", "同意"):
        return YES
    if text in ("否", "不", "不要", "不办", "2", "不需要", "不同意"):
        return NO
    return None


def _make_extractor(slot: str):
    async def extract(self, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        if is_answer_turn(tracker, slot):
            entity = VOLUNTEERED_ENTITIES.get(slot)
            return {slot: (entity and latest_entity(tracker, entity)) or answer_text(tracker)}
        entity = VOLUNTEERED_ENTITIES.get(slot)
        if entity and tracker.get_slot(slot) is None and tracker.active_loop_name == "application_form":
            value = latest_entity(tracker, entity)
            if value:
                return {slot: value}
        return {}

    extract.__name__ = f"extract_{slot}"
    return extract


def _make_validator(slot: str, parse):
    def validate(self, value, dispatcher: CollectingDispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        if value is None or isinstance(value, list):
            return {slot: value}
        try:
            return {slot: parse(str(value), tracker)}
        except fields.InvalidAnswer as error:
            dispatcher.utter_message(text=str(error))
            return {slot: None}

    validate.__name__ = f"validate_{slot}"
    return validate


def _parse_entity_type(text: str, tracker: Tracker) -> str:
    value = fields.parse_entity_type(text)
    if value == "合伙企业":
        raise fields.InvalidAnswer("合伙企业需要登记全部合伙人的信息，暂不支持在对话中填写。"
                                   "您可以选择其他主体类型，或回复“转人工”由窗口工作人员协助。")
    return value


PARSERS = {
    "entity_type": _parse_entity_type,
    "candidate_names": lambda text, tracker: fields.parse_names(text, tracker.get_slot("entity_type")),
    "district": lambda text, tracker: fields.parse_district(text),
    "address": lambda text, tracker: fields.parse_address(text),
    "person_name": lambda text, tracker: fields.parse_person_name(text),
    "id_number": lambda text, tracker: fields.parse_id_number(text),
    "phone": lambda text, tracker: fields.parse_mobile(text),
    "business_scope": lambda text, tracker: fields.parse_business_scope(text),
    "registered_capital": lambda text, tracker: fields.parse_capital(text),
}


class ValidateApplicationForm(FormValidationAction):
    def name(self) -> str:
        return "validate_application_form"

    async def required_slots(self, domain_slots, dispatcher, tracker: Tracker, domain) -> list[str]:
        returned = resubmission.correcting_returned(tracker)
        if returned is not None:      # correcting a returned application: only the fields to fix
            return resubmission.required_slots(tracker, returned)
        slots = list(domain_slots)
        if tracker.slots.get("entity_type") != LIMITED_COMPANY:
            slots.remove("registered_capital")
        if tracker.slots.get("x_offer") is None and next_x_offer(tracker) is None:
            slots.remove("x_offer")
        return slots

    for _slot in TEXT_SLOTS:
        locals()[f"extract_{_slot}"] = _make_extractor(_slot)
        locals()[f"validate_{_slot}"] = _make_validator(_slot, PARSERS[_slot])
    del _slot

    async def extract_x_offer(self, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        if not is_answer_turn(tracker, "x_offer"):
            return {}
        return {"x_offer": _yes_no(tracker) or answer_text(tracker)}

    def validate_x_offer(self, value, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        offered = next_x_offer(tracker)
        if offered is None:
            return {"x_offer": "done"}
        if value not in (YES, NO):
            dispatcher.utter_message(text="请回复“是”一并申请，或“否”暂不申请。")
            return {"x_offer": None}
        chosen = list(tracker.get_slot("x_items") or [])
        declined = list(tracker.get_slot("x_declined") or [])
        (chosen if value == YES else declined).append(offered["id"])
        result = {"x_items": chosen, "x_declined": declined}
        tracker.slots.update(result)
        result["x_offer"] = None if next_x_offer(tracker) else "done"
        return result

    async def extract_progress_phone(self, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        """The identity check of a resubmission on the web: the mobile registered with the application."""
        if not is_answer_turn(tracker, resubmission.CHECK_PHONE_SLOT):
            return {}
        return {resubmission.CHECK_PHONE_SLOT: latest_entity(tracker, "phone") or answer_text(tracker)}

    def validate_progress_phone(self, value, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        from integrations import WorkflowError

        returned = resubmission.returned_application(tracker.sender_id)
        try:
            phone = fields.parse_mobile(str(value or ""))
            if returned is not None:
                resubmission.verify_phone(returned.application_id, phone)
        except fields.InvalidAnswer as error:
            dispatcher.utter_message(text=str(error))
            return {resubmission.CHECK_PHONE_SLOT: None}
        except WorkflowError:
            dispatcher.utter_message(text="手机号码与该申请登记的号码不一致。请输入申请时留的手机号码，或回复“转人工”。")
            return {resubmission.CHECK_PHONE_SLOT: None}
        return {resubmission.CHECK_PHONE_SLOT: phone}

    async def extract_consent(self, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != "consent":
            return {}
        answer = _yes_no(tracker)
        if answer is None:
            return {}
        return {"consent": answer == YES}

    def validate_consent(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        if value is True:
            return {"consent": True}
        dispatcher.utter_message(text="没有您的同意，申请无法提交给审批部门。您可以回复“同意”继续，或回复“不办了”取消。")
        return {"consent": None}


class ActionAskCandidateNames(Action):
    def name(self) -> str:
        return "action_ask_candidate_names"

    def run(self, dispatcher: CollectingDispatcher, tracker, domain):
        text = "请提供1至3个拟用名称（按优先顺序，用顿号隔开），例如：杭州一次餐饮店、一次小吃店。"
        buttons = []
        if tracker.get_slot("entity_type") == fields.INDIVIDUAL_BUSINESS:
            text += "个体工商户也可以不起名称。"
            buttons = [button("不使用名称", "inform", option="不起名")]
        dispatcher.utter_message(text=text, buttons=buttons)
        return []


class ActionAskPersonName(Action):
    def name(self) -> str:
        return "action_ask_person_name"

    def run(self, dispatcher: CollectingDispatcher, tracker, domain):
        label = fields.person_label(tracker.get_slot("entity_type"))
        dispatcher.utter_message(text=f"请输入{label}的姓名（与身份证一致）：")
        return []


class ActionAskXOffer(Action):
    """Proposes the X items one by one; the applicant decides each (自主自愿)."""

    def name(self) -> str:
        return "action_ask_x_offer"

    def run(self, dispatcher: CollectingDispatcher, tracker, domain):
        offered = next_x_offer(tracker)
        if offered is None:
            return [SlotSet("x_offer", "done")]
        days = offered.get("time_limit_days")
        limit = f"，承诺{days}个工作日" if days else ""
        dispatcher.utter_message(
            text=f"根据您的经营内容，可以同时申请：{offered['name']}（{offered.get('department')}{limit}）。"
                 "是否一并申请？（自主选择，不影响营业执照办理）",
            buttons=[button("一并申请", "affirm"), button("暂不申请", "deny")])
        return []
