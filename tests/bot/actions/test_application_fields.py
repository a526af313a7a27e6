import pytest

from bot.actions.application_fields import (InvalidAnswer, parse_capital, parse_district, parse_entity_type,
                                            parse_id_number, parse_mobile, parse_names, parse_person_name)


def test_entity_type_from_colloquial_words():
    assert parse_entity_type("个体户") == "个体工商户"
    assert parse_entity_type("就办个公司吧") == "有限责任公司"
    assert parse_entity_type("個體戶") == "个体工商户"
    with pytest.raises(InvalidAnswer, match="主体类型"):
        parse_entity_type("随便")


def test_candidate_names_one_to_three_and_none_for_individuals():
    assert parse_names("杭州一次餐饮店、一次小吃店", "有限责任公司") == ["杭州一次餐饮店", "一次小吃店"]
    assert parse_names("不起名", "个体工商户") == []
    with pytest.raises(InvalidAnswer, match="最多3个"):
        parse_names("甲店、乙店、丙店、丁店", "个体工商户")
    with pytest.raises(InvalidAnswer, match="不能重复"):
        parse_names("一次面馆、一次面馆", "个体工商户")


def test_districts_short_and_old_names():
    assert parse_district("萧山") == "萧山区"
    assert parse_district("在下城区") == "拱墅区"
    assert parse_district("建德") == "建德市"
    with pytest.raises(InvalidAnswer, match="13个区县"):
        parse_district("宁波")


def test_id_number_check_digit_and_birth_date():
    assert parse_id_number("我的身份证是11010519491231002x") == "11010519491231002X"
    with pytest.raises(InvalidAnswer, match="校验位"):
        parse_id_number("110105194912310021")
    # an unknown area code with a valid check digit is accepted (codes are created and retired)
    assert parse_id_number("990105194912310023") == "990105194912310023"


def test_mobile_is_normalised_to_e164():
    assert parse_mobile("我的手机 138 1234 5678") == "+8613812345678"
    with pytest.raises(InvalidAnswer, match="手机"):
        parse_mobile("12345")


def test_capital_in_ten_thousands():
    assert parse_capital("50万") == "50"
    assert parse_capital("注册资本100万元") == "100"
    assert parse_capital("500000元") == "50"
    with pytest.raises(InvalidAnswer):
        parse_capital("很多")


def test_person_name_strips_colloquial_prefix():
    assert parse_person_name("我叫陈小明") == "陈小明"
    with pytest.raises(InvalidAnswer):
        parse_person_name("1")
