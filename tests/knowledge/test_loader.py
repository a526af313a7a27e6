"""get_kb(): one knowledge base per process, reloaded when data files change; lookups and free-text matching."""
from __future__ import annotations

import pytest

import knowledge
from knowledge import UnknownScenario, get_kb, loader, match_scenario
from knowledge.checklist import build_checklist
from tests.knowledge.conftest import copy_core_data, read_yaml, write_yaml


def rename_item(data_dir, new_name):
    path = data_dir / "items" / "food.yaml"
    items = read_yaml(path)
    items[0]["name"] = new_name
    write_yaml(path, items)


def test_loaded_once_per_process(data_dir):
    assert get_kb() is get_kb()
    assert get_kb().directory == data_dir


def test_data_directory_comes_from_the_environment(tmp_path, use_data_dir):
    first = use_data_dir(copy_core_data(tmp_path / "one"))
    rename_item(first, "食品经营许可证（一）")
    assert get_kb().item("food_business_licence").name == "食品经营许可证（一）"
    use_data_dir(copy_core_data(tmp_path / "two"))
    assert get_kb().item("food_business_licence").name == "食品经营许可证"


def test_changed_files_are_picked_up_without_a_restart(data_dir, monkeypatch):
    before = get_kb()
    monkeypatch.setattr(loader, "CHECK_INTERVAL_SECONDS", 3600)
    rename_item(data_dir, "食品经营许可证（新版名称）")
    assert get_kb() is before  # not checked again within the interval

    monkeypatch.setattr(loader, "CHECK_INTERVAL_SECONDS", 0)
    after = get_kb()
    assert after is not before and after.version != before.version
    assert after.item("food_business_licence").name == "食品经营许可证（新版名称）"
    food = next(i for i in build_checklist("饭店", {"scale": "large"}).to_dict()["items"]
                if i["id"] == "food_business_licence")
    assert food["name"] == "食品经营许可证（新版名称）"


def test_new_and_removed_files_are_picked_up(data_dir, monkeypatch):
    monkeypatch.setattr(loader, "CHECK_INTERVAL_SECONDS", 0)
    assert get_kb().find_scenario("烘焙店") is None
    scenario = read_yaml(data_dir / "scenarios" / "drinks_shop.yaml")
    scenario.update(id="bakery", name="烘焙店", aliases=["面包店", "蛋糕店"])
    write_yaml(data_dir / "scenarios" / "bakery.yaml", scenario)
    assert get_kb().scenario("面包店").id == "bakery"
    (data_dir / "scenarios" / "bakery.yaml").unlink()
    assert get_kb().find_scenario("面包店") is None


def test_an_invalid_edit_keeps_the_previous_version_running(data_dir, monkeypatch, caplog):
    monkeypatch.setattr(loader, "CHECK_INTERVAL_SECONDS", 0)
    good = get_kb()
    path = data_dir / "items" / "food.yaml"
    items = read_yaml(path)
    items[0]["department"] = "食药监"
    write_yaml(path, items)
    assert get_kb() is good
    assert "unknown department '食药监'" in caplog.text
    items[0]["department"] = "市场监管"
    items[0]["name"] = "食品经营许可证（已修正）"
    write_yaml(path, items)
    assert get_kb().item("food_business_licence").name == "食品经营许可证（已修正）"


def test_first_load_of_invalid_data_raises(data_dir):
    (data_dir / "departments.yaml").write_text("- name: 环保\n  full_name: 生态环境局\n", encoding="utf-8")
    with pytest.raises(knowledge.KnowledgeDataError, match="departments.yaml: department '环保'"):
        get_kb()


def test_faq_edits_are_picked_up(data_dir, monkeypatch):
    monkeypatch.setattr(loader, "CHECK_INTERVAL_SECONDS", 0)
    assert get_kb().faq == ()
    write_yaml(data_dir / "faq" / "time.yaml", [{
        "id": "prereview-days", "question": "预审要几天？", "paraphrases": ["预审多久"],
        "answer": "网上预审不超过2个工作日。", "source": "seeds/000", "confidence": "V", "topic": "时限"}])
    assert [entry.id for entry in get_kb().faq] == ["prereview-days"]


def test_item_and_scenario_lookup(core_data):
    kb = get_kb()
    assert kb.item("tobacco_retail_licence").department == "烟草"
    with pytest.raises(LookupError):
        kb.item("no_such_item")
    for name in ("restaurant", "饭店/餐饮", "饭店", "餐饮", "火锅店", " 饭馆 "):
        assert kb.scenario(name).id == "restaurant"
    assert kb.scenario("普通公司（无需许可）").id == "general_company"
    with pytest.raises(UnknownScenario, match="可选的套餐：饭店/餐饮、"):
        kb.scenario("游艇俱乐部")


@pytest.mark.parametrize("text, scenario_id", [
    ("我想开一家饭店", "restaurant"),
    ("想开个火锅店需要办什么", "restaurant"),
    ("开个奶茶店", "drinks_shop"),
    ("我想开咖啡店", "drinks_shop"),
    ("想办个药房", "pharmacy"),
    ("开一家小饭馆", "small_catering"),  # the longest name wins over 饭店/餐饮's 饭馆
    ("开一家小超市", "convenience_store"),
    ("我要开超市", "supermarket"),
    ("开个便利店卖烟", "convenience_store"),
    ("做糕点作坊", "food_workshop"),
    ("开理发店", "beauty_salon"),
    ("我家想做民宿", "hotel"),
    ("注册一个贸易公司", "general_company"),
    ("pharmacy", "pharmacy"),
])
def test_match_scenario(core_data, text, scenario_id):
    assert match_scenario(text).id == scenario_id


@pytest.mark.parametrize("text", ["", "预审要几天", "你好", "hotelx", "营业执照丢了怎么办"])
def test_match_scenario_finds_nothing(core_data, text):
    assert match_scenario(text) is None
