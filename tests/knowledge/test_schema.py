"""Schema and cross-reference errors: each names the file, the entry and the field, in plain words."""
from __future__ import annotations

import pytest

from knowledge import DEPARTMENTS, KnowledgeDataError, load_knowledge_base
from knowledge.faq import PACKAGE_DATA_DIR
from tests.knowledge.conftest import read_yaml, write_yaml


def errors_after(data_dir, edit) -> list[str]:
    edit(data_dir)
    with pytest.raises(KnowledgeDataError) as raised:
        load_knowledge_base(data_dir)
    return raised.value.errors


def edit_item(data_dir, file, item_id, change):
    path = data_dir / "items" / file
    items = read_yaml(path)
    change(next(item for item in items if item["id"] == item_id))
    write_yaml(path, items)


def edit_scenario(data_dir, scenario_id, change):
    path = data_dir / "scenarios" / f"{scenario_id}.yaml"
    scenario = read_yaml(path)
    change(scenario)
    write_yaml(path, scenario)


def test_the_shipped_core_data_is_valid(data_dir):
    kb = load_knowledge_base(data_dir)
    assert {s.id for s in kb.scenarios} >= {"restaurant", "small_catering", "drinks_shop", "pharmacy", "supermarket",
                                             "convenience_store", "food_workshop", "beauty_salon", "hotel",
                                             "general_company"}
    assert {d.name for d in kb.departments} == set(DEPARTMENTS)
    kinds = {item.kind for item in kb.items}
    assert kinds == {"1", "N", "X", "开办"}


def test_missing_field(data_dir):
    errors = errors_after(data_dir, lambda d: edit_item(d, "food.yaml", "food_business_licence",
                                                        lambda item: item.pop("promised_days")))
    assert errors == ["items/food.yaml: item 'food_business_licence' (entry 1): field 'promised_days': "
                      "is required but missing"]


def test_unknown_department(data_dir):
    errors = errors_after(data_dir, lambda d: edit_item(d, "licences.yaml", "tobacco_retail_licence",
                                                        lambda item: item.update(department="烟草局")))
    assert len(errors) == 1
    assert errors[0].startswith("items/licences.yaml: item 'tobacco_retail_licence' (entry 4): field 'department': "
                                "unknown department '烟草局'; the canonical names are: 市场监管, ")


def test_unknown_item_in_a_scenario(data_dir):
    errors = errors_after(data_dir, lambda d: edit_scenario(
        d, "restaurant", lambda s: s["rules"].append({"item": "liquor_licence", "when": {"scale": "large"}})))
    assert errors == ["scenarios/restaurant.yaml: scenario 'restaurant': field 'rules[4]' (item 'liquor_licence'): "
                      "unknown item 'liquor_licence' (no item with this id in items/*.yaml)"]


def test_rule_key_that_is_not_a_question(data_dir):
    errors = errors_after(data_dir, lambda d: edit_scenario(
        d, "restaurant", lambda s: s["rules"][0].update(when={"size": "large"})))
    assert errors == ["scenarios/restaurant.yaml: scenario 'restaurant': field 'rules[0]' (item 'food_business_licence'): "
                      "rule key 'size' is not one of this scenario's questions "
                      "(entity_type, scale, sells_tobacco, public_gathering)"]


def test_rule_value_that_is_not_an_option(data_dir):
    errors = errors_after(data_dir, lambda d: edit_scenario(
        d, "restaurant", lambda s: s["rules"][0].update(when={"scale": "huge"})))
    assert errors == ["scenarios/restaurant.yaml: scenario 'restaurant': field 'rules[0]' (item 'food_business_licence'): "
                      "value 'huge' for 'scale' is not an option of that question (small, large)"]


def test_common_rules_need_their_question_in_every_scenario(data_dir):
    errors = errors_after(data_dir, lambda d: edit_scenario(
        d, "beauty_salon", lambda s: s["questions"].pop(0)))
    assert "scenarios/beauty_salon.yaml: scenario 'beauty_salon': common.yaml rules[0] (item 'establish_individual'): " \
           "rule key 'entity_type' is not one of this scenario's questions (central_ac)" in errors


def test_question_default_must_be_an_option(data_dir):
    errors = errors_after(data_dir, lambda d: edit_scenario(
        d, "pharmacy", lambda s: s["questions"][1].update(default="maybe")))
    assert errors == ["scenarios/pharmacy.yaml: scenario 'pharmacy': field 'questions[1]': question "
                      "'sells_medical_devices': default 'maybe' is not one of its options (yes, no)"]


def test_unknown_question_key(data_dir):
    errors = errors_after(data_dir, lambda d: edit_scenario(
        d, "hotel", lambda s: s["questions"].append({"key": "has_pool"})))
    assert errors == ["scenarios/hotel.yaml: scenario 'hotel': field 'questions[5]': unknown question key 'has_pool': "
                      "not in common.yaml; define it here with prompt, options and default"]


def test_unknown_material(data_dir):
    errors = errors_after(data_dir, lambda d: edit_item(
        d, "food.yaml", "small_grocery_registration", lambda item: item["materials"].append({"id": "shop_photo"})))
    assert errors == ["items/food.yaml: item 'small_grocery_registration' (entry 4): field 'materials[5]': "
                      "unknown material 'shop_photo' (add it to materials.yaml or fix the id)"]


def test_misspelt_field_and_bad_kind_and_confidence(data_dir):
    def change(item):
        item["onsite_inspecton"] = item.pop("onsite_inspection")
        item["kind"] = "Y"
        item["confidence"]["fee"] = "maybe"

    errors = errors_after(data_dir, lambda d: edit_item(d, "kaiban.yaml", "bank_account", change))
    where = "items/kaiban.yaml: item 'bank_account' (entry 3): "
    assert where + "field 'onsite_inspection': is required but missing" in errors
    assert where + "field 'onsite_inspecton': is not a known field (check the spelling)" in errors
    assert any(e.startswith(where + "field 'kind': Input should be '1', 'N', 'X' or '开办'") for e in errors)
    assert any(e.startswith(where + "field 'confidence.fee': Input should be 'V', 'S' or 'U'") for e in errors)


def test_every_fact_needs_a_confidence_mark(data_dir):
    errors = errors_after(data_dir, lambda d: edit_item(
        d, "establishment.yaml", "establish_llc", lambda item: item["confidence"].pop("fee")))
    assert errors == ["items/establishment.yaml: item 'establish_llc' (entry 2): confidence must mark every fact "
                      "(reform_mode, statutory_days, promised_days, onsite_inspection, fee, legal_basis, materials); "
                      "missing: fee"]


def test_duplicate_ids_and_alias_clashes(data_dir):
    def change(d):
        edit_item(d, "kaiban.yaml", "bank_account", lambda item: item.update(id="company_seal"))
        edit_scenario(d, "small_catering", lambda s: s["aliases"].append("饭店"))

    errors = errors_after(data_dir, change)
    assert "items/kaiban.yaml: item 'company_seal' (entry 3): field 'id': duplicate item id 'company_seal' " \
           "(already in items/kaiban.yaml)" in errors
    assert any("scenarios/" in e and "'饭店' is also a name or alias of scenario" in e for e in errors)


def test_invalid_yaml_names_the_file(data_dir):
    errors = errors_after(data_dir, lambda d: (d / "scenarios" / "hotel.yaml").write_text("id: [hotel\n"))
    assert len(errors) == 1 and errors[0].startswith("scenarios/hotel.yaml: not valid YAML")


def test_faq_entries_need_a_source(data_dir):
    entry = {"id": "prereview-days", "question": "预审要几天？", "paraphrases": ["预审多久"],
             "answer": "网上预审不超过2个工作日。", "confidence": "V", "topic": "时限"}
    errors = errors_after(data_dir, lambda d: write_yaml(d / "faq" / "time.yaml", [entry]))
    assert len(errors) == 1
    assert errors[0].startswith("faq/time.yaml entry 1 (id 'prereview-days'): field 'source'")


def test_faq_is_loaded_through_the_faq_model(data_dir):
    entry = {"id": "prereview-days", "question": "预审要几天？", "paraphrases": ["预审多久"],
             "answer": "网上预审不超过2个工作日。", "source": "seeds/000 四.2", "confidence": "V", "topic": "时限"}
    write_yaml(data_dir / "faq" / "time.yaml", [entry])
    kb = load_knowledge_base(data_dir)
    assert [f.id for f in kb.faq] == ["prereview-days"] and kb.faq[0].source.startswith("seeds/000")


def test_same_material_has_one_name_everywhere():
    # materials are defined once in materials.yaml and referenced by id: the shipped files never name them
    for path in (PACKAGE_DATA_DIR / "items").glob("*.yaml"):
        for item in read_yaml(path):
            for use in item.get("materials", []):
                assert "name" not in use, f"{path.name}: {item['id']} names material {use['id']} itself"


def test_faq_related_items_must_exist(data_dir):
    entry = {"id": "tobacco-days", "question": "烟草证要几天？", "paraphrases": ["烟草许可多久"],
             "answer": "承诺7个工作日。", "source": "seeds/000", "confidence": "V", "topic": "时限",
             "related_items": ["tobacco_retail_licence", "tobacco_wholesale"]}
    errors = errors_after(data_dir, lambda d: write_yaml(d / "faq" / "time.yaml", [entry]))
    assert errors == ["faq: entry 'tobacco-days': field 'related_items': unknown item 'tobacco_wholesale'"]
