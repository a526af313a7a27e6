"""Corrections (“刚才名字填错了”): find the field, clear it, and let the application form ask again."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.common import button, latest_entity, latest_intent, latest_text

# (words in the message, slot) — person words before 名字 so that “法人名字写错了” is the person.
FIELD_WORDS = (
    (("法人", "法定代表人", "经营者", "投资人", "姓名", "人名", "我的名字"), "person_name"),
    (("身份证",), "id_number"),
    (("手机", "电话", "号码"), "phone"),
    (("地址", "门牌", "地点", "场所"), "address"),
    (("区县", "哪个区", "区选", "县"), "district"),
    (("经营范围", "范围"), "business_scope"),
    (("注册资本", "资本", "资金", "出资"), "registered_capital"),
    (("类型", "个体", "公司"), "entity_type"),
    (("联办", "许可", "X项", "事项"), "x_offer"),
    (("名称", "名字", "店名", "字号"), "candidate_names"),
)
FIELD_TITLES = {"entity_type": "主体类型", "candidate_names": "拟用名称", "district": "区县", "address": "地址",
                "person_name": "姓名", "id_number": "身份证号", "phone": "手机号", "business_scope": "经营范围",
                "registered_capital": "注册资本", "x_offer": "联办事项"}
# slots cleared with each field, so the form asks again for exactly that
RESETS = {"x_offer": ("x_offer", "x_items", "x_declined"), "entity_type": ("entity_type", "registered_capital")}


def field_from_text(text: str) -> str | None:
    for words, slot in FIELD_WORDS:
        if any(word in (text or "") for word in words):
            return slot
    return None


class ValidateCorrectionForm(FormValidationAction):
    def name(self) -> str:
        return "validate_correction_form"

    async def extract_correction_field(self, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        if tracker.get_slot("correction_field") or latest_intent(tracker) in ("cancel", "request_human",
                                                                              "ask_guideline"):
            return {}
        chosen = latest_entity(tracker, "field") or latest_entity(tracker, "option")
        slot = chosen if chosen in FIELD_TITLES else field_from_text(latest_text(tracker))
        if slot:
            return {"correction_field": slot}
        if tracker.get_slot("requested_slot") == "correction_field":
            dispatcher.utter_message(text="没有识别出要修改哪一项。")
            return {"correction_field": None}
        return {}

    def validate_correction_field(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        if value not in FIELD_TITLES:
            return {"correction_field": None}
        if value == "registered_capital" and tracker.get_slot("entity_type") != "有限责任公司":
            dispatcher.utter_message(text="只有有限责任公司需要填写注册资本。")
            return {"correction_field": None}
        dispatcher.utter_message(text=f"好的，我们重新填写{FIELD_TITLES[value]}。")
        result = {slot: None for slot in RESETS.get(value, (value,))}
        result["correction_field"] = value
        return result


class ActionAskCorrectionField(Action):
    def name(self) -> str:
        return "action_ask_correction_field"

    def run(self, dispatcher: CollectingDispatcher, tracker, domain):
        slots = [s for s in FIELD_TITLES if s != "registered_capital" or tracker.get_slot("entity_type") == "有限责任公司"]
        dispatcher.utter_message(text="请问要修改哪一项？",
                                 buttons=[button(FIELD_TITLES[s], "inform", field=s) for s in slots])
        return []
