"""The structured application (一表申请) that the bot collects and the workflow receives.

`Application` is versioned (`schema_version`); `field_errors(exc)` turns a pydantic ValidationError into
{field: 中文消息} so the bot can ask again for exactly the field that was wrong.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from core.identity import InvalidIdentifier, normalise_id_number, normalise_mobile

SCHEMA_VERSION = 1

INDIVIDUAL_BUSINESS = "个体工商户"
LIMITED_COMPANY = "有限责任公司"
SOLE_PROPRIETORSHIP = "个人独资企业"
PARTNERSHIP = "合伙企业"
ENTITY_TYPES = (INDIVIDUAL_BUSINESS, LIMITED_COMPANY, SOLE_PROPRIETORSHIP, PARTNERSHIP)

# The 13 districts and counties (county-level cities) of Hangzhou.
DISTRICTS = ("上城区", "拱墅区", "西湖区", "滨江区", "萧山区", "余杭区", "临平区", "钱塘区", "富阳区",
             "临安区", "桐庐县", "淳安县", "建德市")

OPERATOR = "operator"                        # 经营者 (个体工商户)
LEGAL_REPRESENTATIVE = "legal_representative"  # 法定代表人 (公司)
SHAREHOLDER = "shareholder"                  # 股东 (公司)
INVESTOR = "investor"                        # 投资人 (个人独资企业)
PARTNER = "partner"                          # 合伙人 (合伙企业)
ROLE_LABELS = {OPERATOR: "经营者", LEGAL_REPRESENTATIVE: "法定代表人", SHAREHOLDER: "股东",
               INVESTOR: "投资人", PARTNER: "合伙人"}

# (role, minimum, maximum) per entity type; 公司法 第四十二条: an LLC has 1-50 shareholders.
ROLE_RULES: dict[str, tuple[tuple[str, int, int], ...]] = {
    INDIVIDUAL_BUSINESS: ((OPERATOR, 1, 1),),
    LIMITED_COMPANY: ((LEGAL_REPRESENTATIVE, 1, 1), (SHAREHOLDER, 1, 50)),
    SOLE_PROPRIETORSHIP: ((INVESTOR, 1, 1),),
    PARTNERSHIP: ((PARTNER, 2, 1000),),
}

# Chinese labels of the fields an applicant can be asked to fix (a returned task's `fix` uses these keys).
FIELD_LABELS = {
    "entity_type": "主体类型",
    "names": "拟用名称",
    "district": "所在区县",
    "address": "经营场所地址",
    "people": "人员信息",
    "phone": "联系手机",
    "business_scope": "经营范围",
    "registered_capital": "注册资本",
    "x_items": "联办事项",
    "consents": "授权同意",
    "attachments": "材料附件",
}
# What a reviewer may ask to fix and a resubmission may change. Changing the entity type, the chosen X
# items or the consents is a new application, not a correction.
FIXABLE_FIELDS = ("names", "district", "address", "people", "phone", "business_scope", "registered_capital",
                  "attachments")


class Person(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    role: Literal["operator", "legal_representative", "shareholder", "investor", "partner"]
    name: str = Field(min_length=2, max_length=30)
    id_number: str
    mobile: str | None = None
    contribution: Decimal | None = Field(default=None, gt=0, description="认缴出资额（万元），股东/合伙人")

    @field_validator("id_number")
    @classmethod
    def _id_number(cls, value: str) -> str:
        return normalise_id_number(value)

    @field_validator("mobile")
    @classmethod
    def _mobile(cls, value: str | None) -> str | None:
        return normalise_mobile(value) if value else None


class Consents(BaseModel):
    model_config = ConfigDict(extra="forbid")

    data_use: bool = Field(description="同意将申请信息用于登记和联办审批（必需）")
    sms: bool = True

    @field_validator("data_use")
    @classmethod
    def _data_use_required(cls, value: bool) -> bool:
        if not value:
            raise ValueError("consent required")
        return value


class Attachment(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=100)   # e.g. 住所（经营场所）申报承诺书
    ref: str = Field(min_length=1, max_length=500)    # storage key or URL of the uploaded file


class Application(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    schema_version: Literal[1] = SCHEMA_VERSION
    entity_type: Literal["个体工商户", "有限责任公司", "个人独资企业", "合伙企业"]
    names: list[str] = Field(default_factory=list, max_length=3)
    district: Literal["上城区", "拱墅区", "西湖区", "滨江区", "萧山区", "余杭区", "临平区", "钱塘区", "富阳区",
                      "临安区", "桐庐县", "淳安县", "建德市"]
    address: str = Field(min_length=5, max_length=200)
    people: list[Person] = Field(min_length=1)
    phone: str
    business_scope: str = Field(min_length=2, max_length=2000)
    registered_capital: Decimal | None = Field(default=None, gt=0, description="注册资本（万元）")
    x_items: list[str] = Field(default_factory=list)
    consents: Consents
    attachments: list[Attachment] = Field(default_factory=list)

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        return normalise_mobile(value)

    @field_validator("names")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        names = [name.strip() for name in value if name and name.strip()]
        if len(set(names)) != len(names):
            raise ValueError("duplicate names")
        if any(not 2 <= len(name) <= 50 for name in names):
            raise ValueError("name length")
        return names

    @field_validator("x_items")
    @classmethod
    def _x_items(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(item.strip() for item in value if item.strip()))

    @model_validator(mode="after")
    def _entity_rules(self) -> "Application":
        if self.entity_type != INDIVIDUAL_BUSINESS and not self.names:
            # 个体工商户 may register without a name (实施细则 第六条); every other type needs one.
            raise _FieldError("names", "请提供1至3个拟用名称。")
        if self.entity_type == LIMITED_COMPANY and self.registered_capital is None:
            raise _FieldError("registered_capital", "有限责任公司需填写注册资本（万元）。")
        for role, minimum, maximum in ROLE_RULES[self.entity_type]:
            count = sum(1 for person in self.people if person.role == role)
            if not minimum <= count <= maximum:
                label = ROLE_LABELS[role]
                wanted = f"{minimum}名" if minimum == maximum else f"{minimum}至{maximum}名"
                raise _FieldError("people", f"{self.entity_type}需要{wanted}{label}，目前有{count}名。")
        allowed = {role for role, _, _ in ROLE_RULES[self.entity_type]}
        extra = sorted({ROLE_LABELS[p.role] for p in self.people if p.role not in allowed})
        if extra:
            raise _FieldError("people", f"{self.entity_type}不需要以下人员：{'、'.join(extra)}。")
        return self

    @property
    def applicant_name(self) -> str:
        """The person the messages address: operator, legal representative, investor or first partner."""
        for role in (OPERATOR, LEGAL_REPRESENTATIVE, INVESTOR, PARTNER):
            for person in self.people:
                if person.role == role:
                    return person.name
        return self.people[0].name

    @property
    def display_name(self) -> str:
        return self.names[0] if self.names else f"{self.applicant_name}（{INDIVIDUAL_BUSINESS}）"


class _FieldError(ValueError):
    """A cross-field rule failure that belongs to one field (carried through pydantic as a ValueError)."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class InvalidApplication(ValueError):
    """The application has errors; `errors` is {field: 中文消息}."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("；".join(f"{FIELD_LABELS.get(k.split('.')[0], k)}：{v}" for k, v in errors.items()))


def parse_application(data: dict | Application) -> Application:
    """Validate raw data (a dict from the bot or a JSON body); raise InvalidApplication with Chinese messages."""
    if isinstance(data, Application):
        return data
    try:
        return Application.model_validate(data)
    except ValidationError as exc:
        raise InvalidApplication(field_errors(exc)) from None


def field_errors(exc: ValidationError) -> dict[str, str]:
    """{dotted field path: 中文消息}, first message per field."""
    errors: dict[str, str] = {}
    for error in exc.errors():
        field, message = _chinese_error(error)
        errors.setdefault(field, message)
    return errors


def _chinese_error(error: dict) -> tuple[str, str]:
    location = [str(part) for part in error.get("loc", ())]
    field = ".".join(location) or "application"
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, _FieldError):
        return cause.field, cause.message
    if isinstance(cause, InvalidIdentifier):
        return field, str(cause)
    leaf = location[-1] if location else ""
    top = location[0] if location else ""
    kind = error.get("type", "")
    label = FIELD_LABELS.get(top, top)
    if kind == "missing":
        return field, f"请填写{_leaf_label(leaf, label)}。"
    if kind == "extra_forbidden":
        return field, f"不认识的填写项“{leaf}”。"
    if top == "entity_type":
        return field, f"主体类型应为：{'、'.join(ENTITY_TYPES)}。"
    if top == "district":
        return field, f"请选择杭州市的区县：{'、'.join(DISTRICTS)}。"
    if top == "schema_version":
        return field, f"申请表版本不受支持，当前版本为{SCHEMA_VERSION}。"
    if top == "consents" and leaf == "data_use":
        return field, "需要您同意将申请信息用于登记和联办审批，才能提交申请。"
    if top == "names":
        if kind == "too_long":
            return field, "拟用名称最多3个。"
        return field, "拟用名称不能重复，每个名称2至50个字。"
    if top == "address":
        return field, "请填写完整的经营场所地址（街道、门牌号），5至200个字。"
    if top == "business_scope":
        return field, "请填写经营范围（2至2000个字）。"
    if leaf == "role":
        return field, f"人员身份应为：{'、'.join(ROLE_LABELS.values())}之一。"
    if leaf == "name" and top == "people":
        return field, "请填写人员的真实姓名（2至30个字）。"
    if leaf in ("registered_capital", "contribution"):
        return field, f"{_leaf_label(leaf, label)}应为大于0的数字（单位：万元）。"
    if top == "people" and kind == "too_short":
        return field, "请至少填写一名人员。"
    return field, f"{_leaf_label(leaf, label)}填写有误，请核对。"


_LEAF_LABELS = {"id_number": "身份证号码", "mobile": "手机号码", "name": "姓名", "role": "人员身份",
                "contribution": "认缴出资额", "data_use": "数据使用授权", "ref": "附件", "consents": "授权同意"}


def _leaf_label(leaf: str, fallback: str) -> str:
    return FIELD_LABELS.get(leaf) or _LEAF_LABELS.get(leaf) or fallback
