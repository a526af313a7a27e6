"""Identifiers applicants type: resident ID numbers, USCC codes and mobile numbers.

Validation uses python-stdnum and phonenumbers; every error message is Chinese, for the applicant.
"""
from __future__ import annotations

import re
from datetime import date

import phonenumbers
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError

ID_NUMBER_PATTERN = re.compile(r"(?<![0-9A-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])")


class InvalidIdentifier(ValueError):
    """A value the applicant typed is not a valid identifier; str(error) is a Chinese message."""


def normalise_id_number(value: str) -> str:
    """Validate a GB 11643 resident ID number; return it compact and upper-case.

    Checks the ISO 7064 MOD 11-2 check digit and a real, past birth date. An unknown area code is
    not an error: codes are retired and created, and a valid checksum is what proves a typo-free number.
    """
    number = re.sub(r"[\s-]", "", value or "").upper()
    if not re.fullmatch(r"\d{17}[\dX]", number):
        raise InvalidIdentifier("身份证号码应为18位，前17位是数字，最后一位是数字或X，请核对后重新输入。")
    if ric.calc_check_digit(number) != number[-1]:
        raise InvalidIdentifier("身份证号码校验位不正确，可能有输错的数字，请核对后重新输入。")
    try:
        birth = ric.get_birth_date(number)
    except ValidationError:
        raise InvalidIdentifier("身份证号码中的出生日期无效，请核对后重新输入。") from None
    if birth >= date.today() or birth.year < 1900:
        raise InvalidIdentifier("身份证号码中的出生日期无效，请核对后重新输入。")
    return number


def mask_id_number(number: str) -> str:
    """110105********002X: area code and last four kept, birth date hidden."""
    number = (number or "").strip()
    if len(number) < 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_id_numbers_in_text(text: str) -> str:
    return ID_NUMBER_PATTERN.sub(lambda m: mask_id_number(m.group(0)), text)


def normalise_uscc(value: str) -> str:
    code = re.sub(r"[\s-]", "", value or "").upper()
    try:
        return uscc.validate(code)
    except ValidationError:
        raise InvalidIdentifier("统一社会信用代码应为18位且校验位正确，请核对后重新输入。") from None


def normalise_mobile(value: str) -> str:
    """A mainland-China mobile number in E.164 (+8613812345678)."""
    raw = (value or "").strip()
    try:
        parsed = phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException:
        raise InvalidIdentifier("手机号码格式不正确，请输入11位手机号码。") from None
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidIdentifier("手机号码无效，请输入11位手机号码。")
    if parsed.country_code == 86 and phonenumbers.number_type(parsed) not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise InvalidIdentifier("请提供手机号码（用于接收短信），固定电话无法接收短信。")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def mask_mobile(e164: str) -> str:
    """+86138****5678"""
    if len(e164) < 8:
        return e164
    return e164[:-8] + "****" + e164[-4:]
