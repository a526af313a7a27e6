"""The application schema: validation with field-level Chinese messages."""
import pytest

from integrations.schema import DISTRICTS, FIELD_LABELS, InvalidApplication, parse_application

ID_A = "33010619900101123X"
ID_B = "330102198505122013"


def company(**overrides):
    data = {
        "entity_type": "有限责任公司",
        "names": ["杭州一次科技有限公司", "杭州一办科技有限公司"],
        "district": "西湖区",
        "address": "文三路100号5楼501室",
        "people": [
            {"role": "legal_representative", "name": "张三", "id_number": ID_A},
            {"role": "shareholder", "name": "张三", "id_number": ID_A, "contribution": "60"},
            {"role": "shareholder", "name": "李四", "id_number": ID_B, "contribution": "40"},
        ],
        "phone": "138 1234 5678",
        "business_scope": "软件开发；信息技术咨询服务",
        "registered_capital": "100",
        "consents": {"data_use": True},
    }
    data.update(overrides)
    return data


def errors_of(data):
    with pytest.raises(InvalidApplication) as info:
        parse_application(data)
    return info.value.errors


def test_a_valid_company_is_normalised():
    application = parse_application(company(people=[
        {"role": "legal_representative", "name": "张三", "id_number": "33010619900101123 x"},
        {"role": "shareholder", "name": "李四", "id_number": ID_B.lower()}]))
    assert application.schema_version == 1
    assert application.phone == "+8613812345678"
    assert application.people[0].id_number == ID_A
    assert application.applicant_name == "张三"
    assert application.display_name == "杭州一次科技有限公司"


def test_an_individual_business_may_have_no_name():
    application = parse_application(company(
        entity_type="个体工商户", names=[], registered_capital=None,
        people=[{"role": "operator", "name": "王五", "id_number": ID_B}]))
    assert application.display_name == "王五（个体工商户）"


def test_field_errors_are_chinese_and_point_at_the_field():
    errors = errors_of(company(
        district="朝阳区", phone="010-12345678", consents={"data_use": False},
        people=[{"role": "legal_representative", "name": "张三", "id_number": "330106199001011234"}]))
    assert "杭州市的区县" in errors["district"] and all(d in errors["district"] for d in DISTRICTS)
    assert "手机" in errors["phone"]
    assert "同意" in errors["consents.data_use"]
    assert "校验位" in errors["people.0.id_number"]


def test_missing_fields_are_named():
    errors = errors_of({"entity_type": "有限责任公司"})
    assert errors["district"] == "请填写所在区县。"
    assert errors["address"] == "请填写经营场所地址。"
    assert errors["consents"].startswith("请填写")


@pytest.mark.parametrize("overrides, field, words", [
    ({"names": ["甲公司名称", "乙公司名称", "丙公司名称", "丁公司名称"]}, "names", "最多3个"),
    ({"names": []}, "names", "1至3个"),
    ({"registered_capital": None}, "registered_capital", "注册资本"),
    ({"registered_capital": "-5"}, "registered_capital", "大于0"),
    ({"entity_type": "股份有限公司"}, "entity_type", "个体工商户"),
    ({"people": [{"role": "shareholder", "name": "李四", "id_number": ID_B}]}, "people", "法定代表人"),
    ({"people": [{"role": "legal_representative", "name": "张三", "id_number": ID_A},
                 {"role": "operator", "name": "李四", "id_number": ID_B},
                 {"role": "shareholder", "name": "李四", "id_number": ID_B}]}, "people", "经营者"),
    ({"schema_version": 2}, "schema_version", "版本"),
    ({"colour": "red"}, "colour", "不认识"),
])
def test_rules(overrides, field, words):
    errors = errors_of(company(**overrides))
    assert words in errors[field], errors


def test_every_fixable_field_has_a_label():
    from integrations.schema import FIXABLE_FIELDS

    assert all(field in FIELD_LABELS for field in FIXABLE_FIELDS)
