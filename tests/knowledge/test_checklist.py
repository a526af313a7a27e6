"""The checklist engine against the real data files (a private copy): scenario × answers → checklist."""
from __future__ import annotations

import itertools

import pytest

from knowledge import UNCERTAIN_NOTICE, UnknownScenario, get_kb
from knowledge.checklist import InvalidAnswer, build_checklist, render_text

KAIBAN = {"company_seal", "tax_invoice", "bank_account", "social_insurance_registration", "housing_fund_registration"}


def ids(checklist, *, kind=None, optional=None) -> set[str]:
    return {entry.item.id for entry in checklist.items
            if (kind is None or entry.item.kind == kind) and (optional is None or entry.optional == optional)}


# scenario (as an applicant names it), answers, required X items, optional X items
X_TABLE = [
    ("饭店", {}, {"food_business_licence", "fire_safety_inspection"}, {"tobacco_retail_licence"}),
    ("饭店", {"scale": "small", "public_gathering": "no", "sells_tobacco": "yes"},
     {"small_catering_registration", "tobacco_retail_licence"}, {"fire_safety_inspection"}),
    ("火锅店", {"scale": "large", "sells_tobacco": "是"},
     {"food_business_licence", "tobacco_retail_licence", "fire_safety_inspection"}, set()),
    ("小餐饮店", {}, {"small_catering_registration"}, {"tobacco_retail_licence"}),
    ("奶茶店", {}, {"small_catering_registration"}, set()),
    ("奶茶/饮品店", {"food_mode": "prepackaged_only"}, {"prepackaged_food_filing"}, set()),
    ("咖啡店", {"scale": "large"}, {"food_business_licence"}, set()),
    ("药店", {}, {"drug_retail_licence", "medical_device_class2_filing"}, {"prepackaged_food_filing"}),
    ("药房", {"sells_medical_devices": "no", "sells_health_food": "yes"},
     {"drug_retail_licence", "prepackaged_food_filing"}, {"medical_device_class2_filing"}),
    ("超市", {}, {"food_business_licence", "tobacco_retail_licence", "fire_safety_inspection"},
     {"public_place_hygiene_licence"}),
    ("商场", {"food_mode": "prepackaged_only", "central_ac": "yes", "sells_tobacco": "no", "public_gathering": "no"},
     {"prepackaged_food_filing", "public_place_hygiene_licence"}, {"tobacco_retail_licence", "fire_safety_inspection"}),
    ("便利店", {}, {"small_grocery_registration", "tobacco_retail_licence"}, set()),
    ("小卖部", {"scale": "large", "food_mode": "prepackaged_only", "sells_tobacco": "no"},
     {"prepackaged_food_filing"}, {"tobacco_retail_licence"}),
    ("便利店/小食杂店", {"scale": "large"}, {"food_business_licence", "tobacco_retail_licence"}, set()),
    ("食品小作坊", {}, {"food_workshop_registration"}, set()),
    ("食品小作坊", {"scale": "large"}, {"food_production_licence"}, set()),
    ("理发店", {}, {"public_place_hygiene_licence"}, set()),
    ("宾馆", {}, {"special_trade_hotel", "public_place_hygiene_licence", "fire_safety_inspection"},
     {"food_business_licence", "tobacco_retail_licence"}),
    ("民宿", {"provides_meals": "yes", "public_gathering": "no"},
     {"special_trade_hotel", "public_place_hygiene_licence", "food_business_licence"},
     {"fire_safety_inspection", "tobacco_retail_licence"}),
    ("普通公司", {}, set(), set()),
]


@pytest.mark.parametrize("scenario, answers, required_x, optional_x", X_TABLE)
def test_x_items_follow_the_answers(core_data, scenario, answers, required_x, optional_x):
    checklist = build_checklist(scenario, answers)
    assert ids(checklist, kind="X", optional=False) == required_x
    assert ids(checklist, kind="X", optional=True) == optional_x


# entity type → the 1 item, the N item, and whether the 企业开办 steps are required (True) or offered (False)
ENTITY_TABLE = [
    ("individual", "establish_individual", "multi_cert_individual", False),
    ("个体工商户", "establish_individual", "multi_cert_individual", False),
    ("llc", "establish_llc", "multi_cert_enterprise", True),
    ("有限责任公司", "establish_llc", "multi_cert_enterprise", True),
    ("sole_proprietorship", "establish_sole_proprietorship", "multi_cert_enterprise", True),
    ("partnership", "establish_partnership", "multi_cert_enterprise", True),
    ("cooperative", "establish_cooperative", "multi_cert_enterprise", True),
]


@pytest.mark.parametrize("scenario", ["restaurant", "general_company", "hotel"])
@pytest.mark.parametrize("entity, licence, n_item, kaiban_required", ENTITY_TABLE)
def test_entity_type_decides_the_1_n_and_kaiban_items(core_data, scenario, entity, licence, n_item, kaiban_required):
    checklist = build_checklist(scenario, {"entity_type": entity})
    assert ids(checklist, kind="1") == {licence}
    assert ids(checklist, kind="1", optional=True) == set()
    assert ids(checklist, kind="N") == {n_item}
    assert ids(checklist, kind="开办") == KAIBAN
    assert ids(checklist, kind="开办", optional=not kaiban_required) == KAIBAN


def test_items_are_grouped_1_n_x_kaiban(core_data):
    kinds = [entry.item.kind for entry in build_checklist("超市").items]
    assert kinds == sorted(kinds, key=["1", "N", "X", "开办"].index)
    assert kinds[0] == "1" and kinds[1] == "N" and kinds[-1] == "开办"


def test_default_scenario_defaults_apply_and_are_reported(core_data):
    checklist = build_checklist("饭店", {"scale": "small"})
    assert [q.question.key for q in checklist.unanswered] == ["entity_type", "sells_tobacco", "public_gathering"]
    unanswered = checklist.to_dict()["unanswered"]
    assert unanswered[2] == {
        "key": "public_gathering", "prompt": get_kb().scenario("restaurant").question("public_gathering").prompt,
        "options": [{"value": "yes", "label": "是"}, {"value": "no", "label": "否"}], "default": "yes"}
    assert checklist.answers == {"entity_type": "individual", "scale": "small", "sells_tobacco": "no",
                                 "public_gathering": "yes"}
    assert build_checklist("饭店", {"entity_type": "llc", "scale": "small", "sells_tobacco": "no",
                                   "public_gathering": "no"}).unanswered == ()


def test_materials_are_listed_once_with_the_items_using_them(core_data):
    checklist = build_checklist("小餐饮店", {"entity_type": "individual"})
    names = [m.name for m in checklist.materials]
    assert len(names) == len(set(names))
    operator = next(m for m in checklist.materials if m.id == "operator_id")
    assert operator.used_by == ("establish_individual", "small_catering_registration")


def test_pharmacy_selling_devices_asks_the_quality_documents_once(core_data):
    checklist = build_checklist("药店", {"sells_medical_devices": "yes"})
    quality = [m for m in checklist.materials if m.id == "quality_management_docs"]
    assert len(quality) == 1
    assert quality[0].used_by == ("drug_retail_licence", "medical_device_class2_filing")
    assert {m.id for m in checklist.materials}.isdisjoint({"business_licence"})


def test_commitment_is_marked_only_when_every_item_accepts_it(core_data):
    without_tobacco = build_checklist("饭店", {"sells_tobacco": "no"})
    premises = next(m for m in without_tobacco.materials if m.id == "premises_proof")
    assert premises.commitment_ok is True and premises.used_by == ("establish_individual",)

    with_tobacco = build_checklist("饭店", {"sells_tobacco": "yes"})
    premises = next(m for m in with_tobacco.materials if m.id == "premises_proof")
    assert premises.used_by == ("establish_individual", "tobacco_retail_licence")
    assert premises.commitment_ok is False
    assert "不能用承诺书代替" in premises.notes and "申报承诺书" in premises.notes


def test_deferrable_and_conditional_materials(core_data):
    no_ac = build_checklist("美容美发", {"central_ac": "no"})
    report = next(m for m in no_ac.materials if m.id == "hygiene_test_report")
    assert report.deferrable is True and report.commitment_ok is True
    assert "central_ac_report" not in {m.id for m in no_ac.materials}
    with_ac = build_checklist("美容美发", {"central_ac": "yes"})
    assert "central_ac_report" in {m.id for m in with_ac.materials}
    assert any("容缺" in step for step in with_ac.next_steps)


def test_the_business_licence_is_never_asked_from_the_applicant(core_data):
    checklist = build_checklist("宾馆", {"entity_type": "llc", "provides_meals": "yes"})
    assert "营业执照" not in [m["name"] for m in checklist.to_dict()["materials"]]
    licence = next(m for m in checklist.system_materials if m.id == "business_licence")
    assert set(licence.used_by) >= {"special_trade_hotel", "public_place_hygiene_licence", "food_business_licence",
                                    "company_seal"}
    assert any("营业执照由系统共享获取" in step for step in checklist.next_steps)


def test_optional_items_do_not_add_materials(core_data):
    checklist = build_checklist("饭店", {"sells_tobacco": "no"})
    assert "tobacco_retail_licence" in ids(checklist, optional=True)
    assert "tobacco_licence_application" not in {m.id for m in checklist.materials}
    assert all("tobacco_retail_licence" not in m.used_by for m in checklist.materials)


def test_material_conditions_on_entity_type(core_data):
    company = build_checklist("普通公司", {"entity_type": "llc"})
    assert {"invoice_seal_impression", "company_seals"} <= {m.id for m in company.materials}


TOTAL_TABLE = [
    # prereview 2 + licence 1 + the longest of the parallel N / X / 开办 items
    ("饭店", {}, 2 + 1 + 7),
    ("小餐饮店", {}, 2 + 1 + 2),  # the 登记证 comes with the licence (0); N adds 2
    ("普通公司", {"entity_type": "llc"}, 2 + 1 + 2),
    ("美容美发", {}, 2 + 1 + 5),
    ("药店", {"sells_medical_devices": "no"}, 2 + 1 + 7),
]


@pytest.mark.parametrize("scenario, answers, total", TOTAL_TABLE)
def test_total_promised_days(core_data, scenario, answers, total):
    checklist = build_checklist(scenario, answers)
    assert checklist.total_days == total
    assert f"预计共约{total}个工作日" in checklist.total_days_explanation
    assert checklist.total_days_explanation in checklist.next_steps


def test_items_not_covered_do_not_count_in_the_total(core_data):
    checklist = build_checklist("食品小作坊", {"scale": "large"})
    assert checklist.total_days == 2 + 1 + 2
    assert "食品生产许可证（SC）暂未覆盖，办理时间请咨询窗口工作人员" in checklist.total_days_explanation


def test_optional_items_do_not_count_in_the_total(core_data):
    assert build_checklist("美容美发", {"entity_type": "individual"}).total_days == 8
    # tobacco (7 days) offered but not chosen: the total stays that of the 登记证 + N
    assert build_checklist("小餐饮店", {"sells_tobacco": "no"}).total_days == 5
    assert build_checklist("小餐饮店", {"sells_tobacco": "yes"}).total_days == 10


def test_uncertain_facts_are_never_asserted(core_data):
    checklist = build_checklist("饭店", {"scale": "large"})
    notes = checklist.uncertain_notes
    assert notes and all(UNCERTAIN_NOTICE in note for note in notes)
    assert any("食品经营许可证" in note and "法定办理时限" in note for note in notes)
    rules = next(m for m in checklist.materials if m.id == "food_safety_rules")
    assert rules.notes.endswith(f"（{UNCERTAIN_NOTICE}）")
    company = build_checklist("普通公司", {"entity_type": "llc"})
    assert any("公章刻制备案" in note for note in company.uncertain_notes)


def test_not_covered_items_send_the_applicant_to_staff(core_data):
    cooperative = build_checklist("普通公司", {"entity_type": "cooperative"})
    assert any("农民专业合作社" in step and "窗口工作人员" in step for step in cooperative.next_steps)
    workshop = build_checklist("食品小作坊", {"scale": "large"})
    assert any("食品生产许可证" in step and "窗口工作人员" in step for step in workshop.next_steps)


def test_follow_on_deadlines_for_companies(core_data):
    checklist = build_checklist("普通公司", {"entity_type": "llc"})
    assert any("30日内办理单位社会保险登记" in d for d in checklist.follow_on_deadlines)
    assert any("30日内办理住房公积金缴存登记" in d for d in checklist.follow_on_deadlines)
    assert set(checklist.follow_on_deadlines) <= set(checklist.next_steps)
    assert build_checklist("普通公司", {"entity_type": "individual"}).follow_on_deadlines == ()


def test_to_dict_has_the_contract_shape(core_data):
    result = build_checklist("restaurant", {"sells_tobacco": "yes"}).to_dict()
    assert set(result) == {"scenario", "items", "materials", "unanswered", "total_days", "next_steps",
                           "uncertain_notes"}
    assert result["scenario"] == {"id": "restaurant", "name": "饭店/餐饮"}
    assert all(set(item) == {"id", "kind", "name", "department", "time_limit_days", "optional",
                             "onsite_inspection"} for item in result["items"])
    assert all(set(m) == {"name", "used_by", "notes", "commitment_ok", "deferrable"} for m in result["materials"])
    food = next(item for item in result["items"] if item["id"] == "food_business_licence")
    assert food == {"id": "food_business_licence", "kind": "X", "name": "食品经营许可证", "department": "市场监管",
                    "time_limit_days": 7, "optional": False, "onsite_inspection": True}


def test_answers_may_be_labels_and_are_deterministic(core_data):
    by_label = build_checklist("饭店", {"entity_type": "有限责任公司", "scale": "小型", "sells_tobacco": "是"})
    by_value = build_checklist("restaurant", {"entity_type": "llc", "scale": "small", "sells_tobacco": "yes"})
    assert by_label.to_dict() == by_value.to_dict()


def test_unknown_scenario_and_bad_answers_have_clear_chinese_errors(core_data):
    with pytest.raises(UnknownScenario, match="没有找到“开飞机”对应的行业套餐.*饭店/餐饮"):
        build_checklist("开飞机", {})
    with pytest.raises(InvalidAnswer, match="“饭店/餐饮”套餐没有问题“colour”.*entity_type"):
        build_checklist("饭店", {"colour": "red"})
    with pytest.raises(InvalidAnswer, match="回答“maybe”无效.*是（yes）、否（no）"):
        build_checklist("饭店", {"sells_tobacco": "maybe"})


def _all_answer_combinations(scenario):
    keys = [q.key for q in scenario.questions]
    for values in itertools.product(*[[o.value for o in q.options] for q in scenario.questions]):
        yield dict(zip(keys, values))


def test_every_answer_combination_of_every_scenario_gives_a_consistent_checklist(core_data):
    kb = get_kb()
    checked = 0
    for scenario in kb.scenarios:
        for answers in _all_answer_combinations(scenario):
            checklist = build_checklist(scenario.id, answers, kb=kb)
            required = ids(checklist, optional=False)
            assert len(ids(checklist, kind="1")) == 1 and len(ids(checklist, kind="N")) == 1
            material_ids = [m.id for m in checklist.materials]
            assert len(material_ids) == len(set(material_ids))
            assert all(not kb.materials[m].provided_by_system for m in material_ids)
            assert all(set(m.used_by) <= required for m in checklist.materials + checklist.system_materials)
            assert checklist.unanswered == ()
            checked += 1
    assert checked > 300


def test_text_rendering_is_readable_chinese(core_data):
    text = render_text(build_checklist("饭店", {"sells_tobacco": "yes"}))
    assert text.startswith("【饭店/餐饮】一次性告知清单")
    assert "“X”：证照联办许可" in text and "烟草专卖零售许可证（需办理" in text
    assert "无需提交（系统共享）：营业执照" in text
