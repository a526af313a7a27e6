"""Pydantic models of the knowledge data: departments, materials, items (1 / N / X / 开办), questions, scenarios.

The YAML files are maintained by people who are not programmers, so the models are strict (unknown fields
are errors) and every error is reported by the loader with the file, the entry and the field.

Confidence marks follow /work/shared/reference/regulation-facts.md: "V" verified against the primary text,
"S" secondary source, "U" uncertain. A "U" fact is never asserted: it is shown followed by
UNCERTAIN_NOTICE ("以窗口最新办事指南为准").
"""
from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

DEPARTMENTS: tuple[str, ...] = ("市场监管", "卫生健康", "药品监管", "烟草", "公安", "消防", "税务", "人社", "公积金", "银行")
KINDS: tuple[str, ...] = ("1", "N", "X", "开办")
REFORM_MODES: tuple[str, ...] = ("直接取消审批", "审批改为备案", "实行告知承诺", "优化审批服务")
UNCERTAIN_NOTICE = "以窗口最新办事指南为准"

Confidence = Literal["V", "S", "U"]
Kind = Literal["1", "N", "X", "开办"]
ReformMode = Literal["直接取消审批", "审批改为备案", "实行告知承诺", "优化审批服务"]

# The facts of an item that each carry their own confidence mark (item.confidence[fact]).
FACT_FIELDS: tuple[str, ...] = (
    "reform_mode", "statutory_days", "promised_days", "onsite_inspection", "fee", "legal_basis", "materials",
)
FactField = Literal["reform_mode", "statutory_days", "promised_days", "onsite_inspection", "fee", "legal_basis",
                    "materials"]
FACT_LABELS = {
    "reform_mode": "改革方式", "statutory_days": "法定办理时限", "promised_days": "承诺办理时限",
    "onsite_inspection": "现场核查", "fee": "收费", "legal_basis": "法律依据", "materials": "申请材料",
}

_SLUG = re.compile(r"^[a-z][a-z0-9_]*$")
_VALUE = re.compile(r"^[a-z0-9][a-z0-9_]*$")

# Condition on the answers: question key -> accepted option value(s).
Conditions = dict[str, str | list[str]]


def _check_slug(value: str) -> str:
    if not _SLUG.match(value):
        raise ValueError(f"{value!r} is not an ascii slug (lower-case letters, digits and '_', starting with a letter)")
    return value


def condition_values(condition: str | list[str]) -> list[str]:
    return [condition] if isinstance(condition, str) else list(condition)


def conditions_hold(conditions: Conditions, answers: dict[str, str]) -> bool:
    """True when every key of `conditions` has one of its accepted values in `answers`."""
    return all(answers.get(key) in condition_values(accepted) for key, accepted in conditions.items())


Slug = Annotated[str, AfterValidator(_check_slug)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Department(_Strict):
    name: str
    full_name: str
    notes: str = ""

    @field_validator("name")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in DEPARTMENTS:
            raise ValueError(f"unknown department {value!r}; the canonical names are: {', '.join(DEPARTMENTS)}")
        return value


class Material(_Strict):
    """A material in the shared catalogue (materials.yaml); items refer to it by id, so it is listed once."""

    id: Slug
    name: str = Field(min_length=2)
    notes: str = ""
    provided_by_system: bool = False  # e.g. the business licence for X items: never asked from the applicant
    confidence: Confidence = "V"
    source: str = Field(min_length=2)


class MaterialUse(_Strict):
    """An item's use of a catalogue material, as written in an item file."""

    id: Slug
    notes: str = ""  # added to the catalogue notes for this item
    commitment_ok: bool = False  # 告知承诺 may replace the material for this item
    deferrable: bool = False  # 容缺受理: may be supplied after acceptance for this item
    when: Conditions = Field(default_factory=dict)  # only needed when these answers hold


class ItemMaterial(_Strict):
    """A material as an item needs it: the catalogue entry merged with the item's use of it."""

    id: Slug
    name: str
    notes: str
    provided_by_system: bool
    commitment_ok: bool
    deferrable: bool
    confidence: Confidence
    source: str
    when: Conditions = Field(default_factory=dict)


class IntegratedFiling(_Strict):
    """One filing integrated into the business licence (多证合一), for the N items."""

    name: str
    confidence: Confidence
    source: str


class FollowOnDeadline(_Strict):
    """A deadline the applicant must keep after establishment (e.g. 社保登记 within 30 days)."""

    text: str = Field(min_length=4)  # Chinese, shown to the applicant
    days: int = Field(ge=1)
    counted_from: str = Field(min_length=2)  # e.g. 企业成立之日
    confidence: Confidence
    source: str = Field(min_length=2)


class Item(_Strict):
    id: Slug
    name: str = Field(min_length=2)
    kind: Kind
    department: str
    summary: str = Field(min_length=4)
    covered: bool = True  # False: listed, but the applicant is told to ask window staff
    reform_mode: ReformMode | None = None
    materials: list[ItemMaterial] = Field(default_factory=list)
    statutory_days: int | None = Field(default=None, ge=0)  # None: no statutory limit for this step
    promised_days: int = Field(ge=0)  # Hangzhou promise; N/X/开办 counted from the licence, 1 from acceptance
    onsite_inspection: bool
    fee: str = Field(min_length=2)
    legal_basis: str = Field(min_length=2)
    source: str = Field(min_length=2)
    confidence: dict[FactField, Confidence]
    fact_notes: dict[FactField, str] = Field(default_factory=dict)
    integrates: list[IntegratedFiling] = Field(default_factory=list)
    follow_on_deadlines: list[FollowOnDeadline] = Field(default_factory=list)
    next_step: str = ""

    @field_validator("department")
    @classmethod
    def _known_department(cls, value: str) -> str:
        if value not in DEPARTMENTS:
            raise ValueError(f"unknown department {value!r}; the canonical names are: {', '.join(DEPARTMENTS)}")
        return value

    @model_validator(mode="after")
    def _complete(self) -> "Item":
        missing = [f for f in FACT_FIELDS if f not in self.confidence]
        if missing:
            raise ValueError(f"confidence must mark every fact ({', '.join(FACT_FIELDS)}); missing: {', '.join(missing)}")
        ids = [m.id for m in self.materials]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"material listed twice: {', '.join(duplicates)}")
        if self.integrates and self.kind != "N":
            raise ValueError("only N items list integrated filings ('integrates')")
        return self

    def confidence_of(self, fact: str) -> str:
        return self.confidence[fact]

    def is_uncertain(self, fact: str) -> bool:
        return self.confidence[fact] == "U"


class Option(_Strict):
    value: str
    label: str = Field(min_length=1)

    @field_validator("value")
    @classmethod
    def _value(cls, value: str) -> str:
        if not _VALUE.match(value):
            raise ValueError(f"option value {value!r} must be ascii: lower-case letters, digits and '_'")
        return value


class Question(_Strict):
    key: Slug
    prompt: str = Field(min_length=2)
    options: list[Option] = Field(min_length=2)
    default: str
    help: str = ""

    @model_validator(mode="after")
    def _default_is_an_option(self) -> "Question":
        values = [o.value for o in self.options]
        if len(set(values)) != len(values):
            raise ValueError(f"question {self.key!r}: option values must be unique")
        if self.default not in values:
            raise ValueError(f"question {self.key!r}: default {self.default!r} is not one of its options "
                             f"({', '.join(values)})")
        return self

    def option(self, value: str) -> Option:
        return next(o for o in self.options if o.value == value)

    def resolve(self, given: str) -> str | None:
        """The option value for an answer given as value or as label (None when it matches neither)."""
        text = str(given).strip()
        for option in self.options:
            if text.lower() == option.value or text == option.label:
                return option.value
        return None


class Rule(_Strict):
    """Decides whether an item is on the checklist.

    When the answers satisfy `when` (all keys, any listed value), the item is included — as optional if
    `optional` is true. Otherwise `otherwise` decides: "omit" (default) or "optional" (listed so the
    applicant can still choose it).
    """

    item: Slug
    when: Conditions = Field(default_factory=dict)
    optional: bool = False
    otherwise: Literal["omit", "optional"] = "omit"


class QuestionRef(_Strict):
    """In a scenario file: a common question by key, optionally with another default or prompt."""

    key: str
    default: str | None = None
    prompt: str | None = None


class Scenario(_Strict):
    id: Slug
    order: int = 100  # position in scenario lists (lower first)
    name: str = Field(min_length=2)
    aliases: list[str] = Field(default_factory=list)
    summary: str = ""
    questions: list[Question]
    rules: list[Rule]
    notes: list[str] = Field(default_factory=list)  # shown with the checklist (Chinese)

    @model_validator(mode="after")
    def _unique_keys(self) -> "Scenario":
        keys = [q.key for q in self.questions]
        duplicates = sorted({k for k in keys if keys.count(k) > 1})
        if duplicates:
            raise ValueError(f"question asked twice: {', '.join(duplicates)}")
        return self

    @property
    def names(self) -> list[str]:
        """Every way to name the scenario: the name, its '/'-separated parts and the aliases."""
        parts = [p for p in re.split(r"[/／、]", self.name) if p]
        seen, names = set(), []
        for name in [self.name, *parts, *self.aliases]:
            if name not in seen:
                seen.add(name)
                names.append(name)
        return names

    def question(self, key: str) -> Question | None:
        return next((q for q in self.questions if q.key == key), None)


class ProcessFact(_Strict):
    value: int = Field(ge=0)
    confidence: Confidence
    source: str = Field(min_length=2)


class Common(_Strict):
    """common.yaml: questions shared by scenarios, rules applied in every scenario, process facts."""

    questions: list[Question]
    rules: list[Rule]
    prereview_days: ProcessFact
    next_steps: list[str] = Field(default_factory=list)
