"""Parse and check what applicants type for each field of the application form (一表申请).

Each parser returns the clean value or raises InvalidAnswer with a Chinese message; nothing is lost:
the form keeps asking for the same field until the answer is usable.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from core.identity import InvalidIdentifier, normalise_id_number, normalise_mobile
from integrations.schema import DISTRICTS, ENTITY_TYPES, INDIVIDUAL_BUSINESS, LIMITED_COMPANY, ROLE_LABELS


class InvalidAnswer(ValueError):
    """str(error) is a Chinese message telling the applicant what to type instead."""


ENTITY_TYPE_WORDS = (
    ("个人独资", "个人独资企业"), ("独资", "个人独资企业"), ("合伙", "合伙企业"),
    ("个体", INDIVIDUAL_BUSINESS), ("個體", INDIVIDUAL_BUSINESS),
    ("有限", LIMITED_COMPANY), ("公司", LIMITED_COMPANY),
)
DISTRICT_ALIASES = {"下城区": "拱墅区", "下城": "拱墅区", "江干区": "上城区", "江干": "上城区",
                    "钱塘新区": "钱塘区", "大江东": "钱塘区"}
NO_NAME_WORDS = ("不起名", "不要名", "不用名", "没有名", "无名", "不需要名", "不用起", "没有", "无", "不用")
NAME_SEPARATORS = re.compile(r"[、，,；;/\s]+|和|或者|还有")
PERSON_PREFIXES = re.compile(r"^(?:我叫|我是|名字叫|名字是|姓名是|姓名|叫|是|经营者是|经营者|法人是|法人|法定代表人是|"
                             r"法定代表人|投资人是|投资人|合伙人是|合伙人)[：:\s]*")


def parse_entity_type(text: str) -> str:
    value = (text or "").strip()
    if value in ENTITY_TYPES:
        return value
    for word, entity_type in ENTITY_TYPE_WORDS:
        if word in value:
            return entity_type
    raise InvalidAnswer(f"请从以下主体类型中选择：{'、'.join(ENTITY_TYPES)}。")


def parse_names(text: str, entity_type: str | None) -> list[str]:
    """1-3 candidate names, in order of preference; a 个体工商户 may register without a name."""
    value = (text or "").strip()
    if entity_type == INDIVIDUAL_BUSINESS and any(value.startswith(w) for w in NO_NAME_WORDS) and len(value) <= 8:
        return []
    value = re.sub(r"^(?:名称|名字)?(?:就)?(?:叫|是)[：:]?", "", value)
    names = [n.strip("“”\"'。. ") for n in NAME_SEPARATORS.split(value)]
    names = [n for n in names if n]
    if not names:
        raise InvalidAnswer("请提供1至3个拟用名称，多个名称用顿号隔开，例如：杭州一次餐饮店、一次小吃店。")
    if len(names) > 3:
        raise InvalidAnswer("拟用名称最多3个，请选出最想用的3个，用顿号隔开。")
    if len(set(names)) != len(names):
        raise InvalidAnswer("拟用名称不能重复，请重新输入。")
    if any(not 2 <= len(n) <= 50 for n in names):
        raise InvalidAnswer("每个名称应为2至50个字，请重新输入。")
    return names


def parse_district(text: str) -> str:
    value = (text or "").strip()
    for district in DISTRICTS:
        if district in value:
            return district
    for alias, district in DISTRICT_ALIASES.items():
        if alias in value:
            return district
    for district in DISTRICTS:
        short = district[:-1]
        if short in value:
            return district
    raise InvalidAnswer(f"请从杭州市的13个区县中选择：{'、'.join(DISTRICTS)}。")


def parse_address(text: str) -> str:
    value = (text or "").strip()
    if not 5 <= len(value) <= 200:
        raise InvalidAnswer("请填写完整的经营场所地址（街道、路名和门牌号），5至200个字。")
    return value


def parse_person_name(text: str) -> str:
    value = PERSON_PREFIXES.sub("", (text or "").strip()).strip("。. ")
    if not 2 <= len(value) <= 30 or re.search(r"\d", value):
        raise InvalidAnswer("请填写身份证上的真实姓名（2至30个字）。")
    return value


def parse_id_number(text: str) -> str:
    match = re.search(r"[0-9][0-9\s-]{15,22}[0-9Xx]", text or "")
    try:
        return normalise_id_number(match.group(0) if match else text)
    except InvalidIdentifier as error:
        raise InvalidAnswer(str(error)) from None


def parse_mobile(text: str) -> str:
    match = re.search(r"(?:\+?86[\s-]?)?1[\d\s-]{10,14}", text or "")
    try:
        return normalise_mobile(match.group(0) if match else text)
    except InvalidIdentifier as error:
        raise InvalidAnswer(str(error)) from None


def parse_business_scope(text: str) -> str:
    value = re.sub(r"^经营范围(?:是|为)?[：:]?", "", (text or "").strip())
    if not 2 <= len(value) <= 2000:
        raise InvalidAnswer("请填写经营范围（2至2000个字），例如“餐饮服务；预包装食品销售”。")
    return value


def parse_capital(text: str) -> str:
    """Registered capital in 万元, as a plain decimal string ("50", "12.5")."""
    value = (text or "").replace(",", "").replace("，", "")
    match = re.search(r"(\d+(?:\.\d+)?)\s*(万|w|W|元)?", value)
    if not match:
        raise InvalidAnswer("请填写注册资本金额（单位：万元），例如“50万”。")
    try:
        amount = Decimal(match.group(1))
    except InvalidOperation:
        raise InvalidAnswer("请填写注册资本金额（单位：万元），例如“50万”。") from None
    if match.group(2) == "元" and "万" not in value:
        amount = amount / Decimal(10000)
    if amount <= 0:
        raise InvalidAnswer("注册资本应大于0（单位：万元）。")
    return format(amount.normalize(), "f")


def person_role(entity_type: str | None) -> str:
    return {INDIVIDUAL_BUSINESS: "operator", LIMITED_COMPANY: "legal_representative",
            "个人独资企业": "investor", "合伙企业": "partner"}.get(entity_type or "", "operator")


def person_label(entity_type: str | None) -> str:
    return ROLE_LABELS[person_role(entity_type)]
