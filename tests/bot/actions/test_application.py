"""The application form, summary, submission and progress against the real embedded workflow."""
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.application import ActionApplicationSummary, ActionSubmitApplication, application_data
from bot.actions.application_form import ActionAskXOffer, ValidateApplicationForm
from bot.actions.correction import ValidateCorrectionForm, field_from_text
from bot.actions.progress import ActionCheckProgress, ValidateProgressForm
from tests.bot.actions.trackers import entity, make_tracker, run_async, texts

ID_NUMBER = "11010519491231002X"
FILLED = {"entity_type": "个体工商户", "candidate_names": ["一次面馆"], "district": "西湖区",
          "address": "文一西路969号1幢101室", "person_name": "陈小明", "id_number": ID_NUMBER,
          "phone": "+8613812345678", "business_scope": "餐饮服务；预包装食品销售", "consent": True,
          "x_items": ["food_business_licence"], "scenario_id": "restaurant"}


def test_a_typed_answer_fills_the_requested_field_and_bad_input_is_refused_in_chinese():
    form = ValidateApplicationForm()
    tracker = make_tracker("110105194912310021", intent="inform", slots={"requested_slot": "id_number"},
                           entities=[entity("id_number", "110105194912310021")], active_loop="application_form")
    extracted = run_async(form.extract_id_number(CollectingDispatcher(), tracker, {}))
    assert extracted == {"id_number": "110105194912310021"}
    dispatcher = CollectingDispatcher()
    assert form.validate_id_number(extracted["id_number"], dispatcher, tracker, {}) == {"id_number": None}
    assert "校验位" in texts(dispatcher)


def test_a_guideline_question_is_not_taken_as_an_answer():
    tracker = make_tracker("食品经营许可证多久能办下来", intent="ask_guideline",
                           slots={"requested_slot": "address"}, active_loop="application_form")
    assert run_async(ValidateApplicationForm().extract_address(CollectingDispatcher(), tracker, {})) == {}


def test_capital_only_for_companies_and_x_items_offered_one_by_one():
    form = ValidateApplicationForm()
    domain_slots = ["entity_type", "candidate_names", "district", "address", "person_name", "id_number", "phone",
                    "business_scope", "registered_capital", "x_offer", "consent"]
    individual = make_tracker("", slots={"entity_type": "个体工商户", "scenario_id": "restaurant"})
    required = run_async(form.required_slots(domain_slots, CollectingDispatcher(), individual, {}))
    assert "registered_capital" not in required and "x_offer" in required
    company = make_tracker("", slots={"entity_type": "有限责任公司"})
    required = run_async(form.required_slots(domain_slots, CollectingDispatcher(), company, {}))
    assert "registered_capital" in required and "x_offer" not in required  # no scenario: nothing to propose

    slots = {"entity_type": "个体工商户", "scenario_id": "restaurant", "requested_slot": "x_offer"}
    chosen = []
    for _ in range(10):
        dispatcher = CollectingDispatcher()
        tracker = make_tracker("是", intent="affirm", slots=slots)
        ActionAskXOffer().run(dispatcher, tracker, {})
        if not dispatcher.messages:
            break
        assert "是否一并申请" in texts(dispatcher)
        result = form.validate_x_offer("yes", dispatcher, tracker, {})
        slots.update(result)
        chosen = result["x_items"]
        if result["x_offer"] == "done":
            break
    assert "food_business_licence" in chosen


def test_summary_masks_the_id_number():
    dispatcher = CollectingDispatcher()
    ActionApplicationSummary().run(dispatcher, make_tracker("", slots=FILLED), {})
    text = texts(dispatcher)
    assert "110105********002X" in text and ID_NUMBER not in text
    assert "食品经营许可证" in text
    assert [b["title"] for b in dispatcher.messages[0]["buttons"]] == ["确认提交", "修改"]


def test_submit_gives_the_application_number_then_progress_by_number_and_phone(env):
    sender = "conv-submit-1"
    dispatcher = CollectingDispatcher()
    events = ActionSubmitApplication().run(dispatcher, make_tracker("确认", intent="affirm", slots=FILLED,
                                                                    sender=sender), {})
    application_id = next(e["value"] for e in events if e.get("name") == "last_application_id")
    assert application_id.startswith("YC")
    assert application_id in texts(dispatcher) and "2个工作日" in texts(dispatcher)
    assert {"name": "id_number", "value": None} in [{"name": e.get("name"), "value": e.get("value")} for e in events]

    # this conversation's own applications: no number or phone needed
    form = ValidateProgressForm()
    own = make_tracker("查进度", intent="ask_progress", sender=sender)
    assert run_async(form.required_slots(["application_id", "progress_phone"], CollectingDispatcher(), own, {})) == []
    dispatcher = CollectingDispatcher()
    ActionCheckProgress().run(dispatcher, own, {})
    assert application_id in texts(dispatcher) and "食品经营许可证" in texts(dispatcher)

    # another conversation: number and the right phone
    dispatcher = CollectingDispatcher()
    ActionCheckProgress().run(dispatcher, make_tracker("", slots={"application_id": application_id,
                                                                  "progress_phone": "+8613812345678"}), {})
    assert application_id in texts(dispatcher)
    dispatcher = CollectingDispatcher()
    ActionCheckProgress().run(dispatcher, make_tracker("", slots={"application_id": application_id,
                                                                  "progress_phone": "+8613900000000"}), {})
    assert "不一致" in texts(dispatcher)


def test_an_application_the_workflow_refuses_reopens_the_field(env):
    slots = {**FILLED, "entity_type": "有限责任公司", "registered_capital": None, "candidate_names": []}
    dispatcher = CollectingDispatcher()
    events = ActionSubmitApplication().run(dispatcher, make_tracker("确认", intent="affirm", slots=slots), {})
    assert "还不能提交" in texts(dispatcher)
    assert {"event": "followup", "name": "application_form"} in [
        {k: e.get(k) for k in ("event", "name")} for e in events]


def test_corrections_find_the_field_in_what_the_applicant_says():
    assert field_from_text("刚才名字填错了") == "candidate_names"
    assert field_from_text("法人名字写错了") == "person_name"
    assert field_from_text("身份证号输错了") == "id_number"
    form = ValidateCorrectionForm()
    tracker = make_tracker("刚才名字填错了", intent="correct", slots=FILLED)
    assert run_async(form.extract_correction_field(CollectingDispatcher(), tracker, {})) == {
        "correction_field": "candidate_names"}
    dispatcher = CollectingDispatcher()
    assert form.validate_correction_field("candidate_names", dispatcher, tracker, {}) == {
        "candidate_names": None, "correction_field": "candidate_names"}


def test_application_data_matches_the_schema():
    from integrations import parse_application

    parsed = parse_application(application_data(make_tracker("", slots=FILLED)))
    assert parsed.people[0].role == "operator" and parsed.x_items == ["food_business_licence"]
    company = {**FILLED, "entity_type": "有限责任公司", "registered_capital": "50"}
    parsed = parse_application(application_data(make_tracker("", slots=company)))
    assert {p.role for p in parsed.people} == {"legal_representative", "shareholder"}

