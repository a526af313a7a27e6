"""One-time notification (一次性告知): pick the scenario, ask its clarifying questions, show the checklist.

The questions, items and materials come from knowledge/ at run time; nothing here repeats them.
"""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

import knowledge
from bot.actions.checklist_text import checklist_link, checklist_summary, question_text, resolve_option
from bot.actions.common import (NEVER_AN_ANSWER, answer_text, button, is_answer_turn, latest_entity,
                                latest_intent, latest_text, sms_phone_of)

DONE = "done"


def find_scenario(*texts: str | None):
    """The scenario named by an id, a name or alias, or described in free text."""
    kb = knowledge.get_kb()
    for text in texts:
        if not text:
            continue
        scenario = kb.find_scenario(text) or knowledge.match_scenario(text)
        if scenario is not None:
            return scenario
    return None


def build(scenario_id: str, answers: dict[str, str]) -> dict:
    from knowledge.checklist import build_checklist

    return build_checklist(scenario_id, answers or {}).to_dict()


def next_question(scenario_id: str, answers: dict[str, str]) -> tuple[dict | None, int, int]:
    """(the next unanswered question, its number, how many questions in all)."""
    unanswered = build(scenario_id, answers).get("unanswered") or []
    if not unanswered:
        return None, 0, 0
    answered = len(answers or {})
    return unanswered[0], answered + 1, answered + len(unanswered)


class ActionResetChecklist(Action):
    def name(self) -> str:
        return "action_reset_checklist"

    def run(self, dispatcher, tracker, domain):
        return [SlotSet("scenario_id", None), SlotSet("checklist_answers", None),
                SlotSet("checklist_reply", None), SlotSet("sms_phone", None)]


class ValidateChecklistForm(FormValidationAction):
    def name(self) -> str:
        return "validate_checklist_form"

    async def extract_scenario_id(self, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        if tracker.get_slot("scenario_id") or latest_intent(tracker) in NEVER_AN_ANSWER:
            return {}
        scenario = find_scenario(latest_entity(tracker, "option"), latest_entity(tracker, "industry"),
                                 tracker.get_slot("industry"), latest_text(tracker))
        if scenario is not None:
            return {"scenario_id": scenario.id}
        if tracker.get_slot("requested_slot") == "scenario_id":
            dispatcher.utter_message(text="抱歉，暂时没有找到与您描述对应的经营类型。")
            return {"scenario_id": None}
        return {}

    def validate_scenario_id(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        if not value:
            return {"scenario_id": None}
        question, _, _ = next_question(value, {})
        return {"scenario_id": value, "checklist_answers": {},
                "checklist_reply": None if question else DONE}

    async def extract_checklist_reply(self, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        if not is_answer_turn(tracker, "checklist_reply"):
            return {}
        return {"checklist_reply": answer_text(tracker)}

    def validate_checklist_reply(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        scenario_id = tracker.get_slot("scenario_id")
        answers = dict(tracker.get_slot("checklist_answers") or {})
        if value == DONE or not scenario_id:
            return {"checklist_reply": value}
        question, _, _ = next_question(scenario_id, answers)
        if question is None:
            return {"checklist_reply": DONE}
        chosen = resolve_option(question, value)
        if chosen is None:
            dispatcher.utter_message(text="没有识别出您的选择，请点选下面的选项或回复序号。")
            return {"checklist_reply": None}
        answers[question["key"]] = chosen
        remaining, _, _ = next_question(scenario_id, answers)
        return {"checklist_answers": answers, "checklist_reply": None if remaining else DONE}


class ActionAskScenarioId(Action):
    def name(self) -> str:
        return "action_ask_scenario_id"

    def run(self, dispatcher: CollectingDispatcher, tracker, domain):
        scenarios = knowledge.get_kb().scenarios
        dispatcher.utter_message(
            text="您准备经营什么？请选择最接近的一类，或直接描述（例如“开一家小饭店”）：",
            buttons=[button(s.name, "inform", option=s.id) for s in scenarios])
        return []


class ActionAskChecklistReply(Action):
    def name(self) -> str:
        return "action_ask_checklist_reply"

    def run(self, dispatcher: CollectingDispatcher, tracker, domain):
        scenario_id = tracker.get_slot("scenario_id")
        answers = tracker.get_slot("checklist_answers") or {}
        question, number, total = next_question(scenario_id, answers)
        if question is None:
            return [SlotSet("checklist_reply", DONE)]
        from bot.actions.checklist_text import option_pairs

        dispatcher.utter_message(text=question_text(question, number, total),
                                 buttons=[button(label, "inform", option=value)
                                          for value, label in option_pairs(question)])
        return []


class ActionShowChecklist(Action):
    """The chat summary by 1/N/X, the link to the full list, and the offer to send it by SMS."""

    def name(self) -> str:
        return "action_show_checklist"

    def run(self, dispatcher: CollectingDispatcher, tracker, domain):
        scenario_id = tracker.get_slot("scenario_id")
        answers = tracker.get_slot("checklist_answers") or {}
        scenario = knowledge.get_kb().scenario(scenario_id)
        checklist = build(scenario_id, answers)
        link = checklist_link(scenario_id, answers)
        dispatcher.utter_message(text=checklist_summary(checklist, scenario.name))
        dispatcher.utter_message(text=f"完整清单（含每项材料的要求和样表）：{link}", json_message={"link": link})
        if sms_phone_of(tracker.sender_id):
            offer = "需要把完整清单的链接再单独发一条短信给您保存吗？"
        else:
            offer = "需要把完整清单的链接用短信发到您的手机上吗？"
        dispatcher.utter_message(text=offer, buttons=[button("发短信给我", "affirm"), button("不用了", "deny")])
        return [SlotSet("checklist_reply", None)]
