import pytest

from core.identity import (InvalidIdentifier, mask_id_number, mask_id_numbers_in_text, mask_mobile,
                           normalise_id_number, normalise_mobile, normalise_uscc)


def test_valid_id_numbers():
    assert normalise_id_number("11010519491231002x") == "11010519491231002X"
    assert normalise_id_number("360426 19910101 0071") == "360426199101010071"


def test_unknown_area_code_with_valid_checksum_is_accepted():
    # 999999 is not an area code; the checksum is right, so the number is accepted.
    body = "99999919900101123"
    from stdnum.cn import ric
    number = body + ric.calc_check_digit(body + "0")
    assert normalise_id_number(number) == number


@pytest.mark.parametrize("value, fragment", [
    ("12345", "18位"),
    ("110105194912310021", "校验位"),
    ("110105209912310020", "出生日期"),
])
def test_invalid_id_numbers_have_chinese_messages(value, fragment):
    from stdnum.cn import ric
    if fragment == "出生日期":
        value = value[:-1] + ric.calc_check_digit(value)
    with pytest.raises(InvalidIdentifier) as error:
        normalise_id_number(value)
    assert fragment in str(error.value)


def test_masking():
    assert mask_id_number("11010519491231002X") == "110105********002X"
    assert mask_id_numbers_in_text("证件 11010519491231002X 已提交") == "证件 110105********002X 已提交"
    assert mask_mobile("+8613812345678") == "+86138****5678"


def test_mobile_numbers():
    assert normalise_mobile("138 1234 5678") == "+8613812345678"
    assert normalise_mobile("+86 13812345678") == "+8613812345678"
    with pytest.raises(InvalidIdentifier, match="手机号码"):
        normalise_mobile("12345")
    with pytest.raises(InvalidIdentifier, match="固定电话"):
        normalise_mobile("0571-87654321")


def test_uscc():
    assert normalise_uscc("91110000600037341L") == "91110000600037341L"
    with pytest.raises(InvalidIdentifier):
        normalise_uscc("91110000600037341A")
