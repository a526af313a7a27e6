"""One-time notification actions against the real knowledge base."""
from rasa_sdk.executor import CollectingDispatcher

import knowledge
from bot.actions.checklist import (ActionAskChecklistReply, ActionAskScenarioId, ActionShowChecklist,
                                   ValidateChecklistForm, next_question)
from bot.actions.checklist_text import checklist_link, checklist_summary, resolve_option
from knowledge.checklist import build_checklist
from tests.bot.actions.trackers import entity, make_tracker, run_async, texts


def restaurant():
    return knowledge.match_scenario("我想开一家饭店")


def test_scenario_found_in_the_opening_message():
    form = ValidateChecklistForm()
    tracker = make_tracker("我想开一家饭店要准备什么材料", intent="ask_checklist",
                           entities=[entity("industry", "饭店")], active_loop="checklist_form")
    assert run_async(form.extract_scenario_id(CollectingDispatcher(), tracker, {})) == {
        "scenario_id": restaurant().id}


def test_unknown_business_is_asked_again_with_every_scenario_as_a_button():
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("开个火箭发射场", intent="inform", slots={"requested_slot": "scenario_id"},
                           active_loop="checklist_form")
    assert run_async(ValidateChecklistForm().extract_scenario_id(dispatcher, tracker, {})) == {"scenario_id": None}
    ActionAskScenarioId().run(dispatcher, tracker, {})
    buttons = dispatcher.messages[-1]["buttons"]
    assert len(buttons) == len(knowledge.get_kb().scenarios)
    assert buttons[0]["payload"].startswith('/inform{"option": ')


def test_questions_are_asked_one_by_one_until_none_is_left():
    scenario_id = restaurant().id
    answers: dict = {}
    form = ValidateChecklistForm()
    asked = 0
    while True:
        question, number, total = next_question(scenario_id, answers)
        if question is None:
            break
        asked += 1
        dispatcher = CollectingDispatcher()
        tracker = make_tracker("", slots={"scenario_id": scenario_id, "checklist_answers": answers,
                                          "requested_slot": "checklist_reply"})
        ActionAskChecklistReply().run(dispatcher, tracker, {})
        assert question["prompt"] in texts(dispatcher)
        assert [b["title"] for b in dispatcher.messages[0]["buttons"]] == [o["label"] for o in question["options"]]
        result = form.validate_checklist_reply("1", dispatcher, tracker, {})  # reply by number
        answers = result["checklist_answers"]
        assert answers[question["key"]] == question["options"][0]["value"]
        assert (result["checklist_reply"] is None) == bool(next_question(scenario_id, answers)[0])
    assert asked == len(build_checklist(scenario_id, {}).to_dict()["unanswered"]) > 0


def test_an_unrecognised_reply_keeps_the_question_open():
    scenario_id = restaurant().id
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("啥", slots={"scenario_id": scenario_id, "checklist_answers": {},
                                       "requested_slot": "checklist_reply"})
    assert ValidateChecklistForm().validate_checklist_reply("啥", dispatcher, tracker, {}) == {"checklist_reply": None}
    assert "选项" in texts(dispatcher)


def test_option_resolution_by_value_label_number():
    question = {"options": [{"value": "yes", "label": "是，需要"}, {"value": "no", "label": "否"}]}
    assert resolve_option(question, "yes") == "yes"
    assert resolve_option(question, "是，需要") == "yes"
    assert resolve_option(question, "2") == "no"
    assert resolve_option(question, "不是") == "no"
    assert resolve_option(question, "火星") is None


def test_summary_lists_items_by_kind_and_each_material_once(env, monkeypatch):
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://yici.example.gov.cn")
    from core.config import reset_settings

    reset_settings()
    scenario = restaurant()
    answers = {q["key"]: q["options"][0]["value"] for q in build_checklist(scenario.id, {}).to_dict()["unanswered"]}
    checklist = build_checklist(scenario.id, answers).to_dict()
    text = checklist_summary(checklist, scenario.name)
    assert text.index("“1”") < text.index("“N”") < text.index("“X”")
    for material in checklist["materials"]:
        assert text.count(f". {material['name']}") == 1
    link = checklist_link(scenario.id, answers)
    assert link.startswith(f"https://yici.example.gov.cn/checklist/{scenario.id}?")
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("", slots={"scenario_id": scenario.id, "checklist_answers": answers})
    ActionShowChecklist().run(dispatcher, tracker, {})
    assert any(m.get("custom") == {"link": link} for m in dispatcher.messages)
    assert "短信" in texts(dispatcher)
