"""The checklist engine (一次性告知): scenario + answers → items grouped 1 / N / X / 开办, each material once.

Pure and deterministic: the same knowledge base, scenario and answers always give the same checklist.

Rules (from the scenario file plus common.yaml) decide each item: required, optional (listed so the
applicant can choose it, e.g. 烟草 when they said they do not sell cigarettes) or omitted.

Materials: the materials of the required items, each once with the ids of the items that use it
(`used_by`). A material the system already holds (provided_by_system, e.g. the business licence for X
items) is not asked for. A material is marked commitment_ok (告知承诺 may replace it) or deferrable
(容缺: supply after acceptance) only when every item using it allows that. Optional items' materials are
not listed: choosing such an item (answering the question) makes it required and lists them.

Total promised time (working days) = online pre-review (common.yaml prereview_days, 2 by seeds/000)
+ the 1 item's promised days (licence) + the longest promised days among the required N, X and 开办
items, because those run in parallel once the licence is issued (seeds/000 三.3: X 先核先发). Time
for on-site inspection, rectification, public notice and hearings is not counted (行政许可法 第四十五条,
seeds/000 二.3).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from knowledge.loader import KnowledgeBase, KnowledgeError, get_kb
from knowledge.schema import (
    FACT_LABELS, KINDS, UNCERTAIN_NOTICE, Item, ItemMaterial, Question, Scenario, conditions_hold,
)

KIND_TITLES = {"1": "“1”：营业执照", "N": "“N”：多证合一（随营业执照整合）", "X": "“X”：证照联办许可（自主选择联办）",
               "开办": "企业开办"}


class InvalidAnswer(KnowledgeError, ValueError):
    """An answer names no question of the scenario, or is not one of the question's options (Chinese message)."""


@dataclass(frozen=True)
class ChecklistItem:
    item: Item
    optional: bool

    def to_dict(self) -> dict:
        return {"id": self.item.id, "kind": self.item.kind, "name": self.item.name,
                "department": self.item.department, "time_limit_days": self.item.promised_days,
                "optional": self.optional, "onsite_inspection": self.item.onsite_inspection}


@dataclass(frozen=True)
class ChecklistMaterial:
    id: str
    name: str
    used_by: tuple[str, ...]
    notes: str
    commitment_ok: bool
    deferrable: bool
    confidence: str

    def to_dict(self) -> dict:
        return {"name": self.name, "used_by": list(self.used_by), "notes": self.notes,
                "commitment_ok": self.commitment_ok, "deferrable": self.deferrable}


@dataclass(frozen=True)
class Unanswered:
    question: Question

    def to_dict(self) -> dict:
        return {"key": self.question.key, "prompt": self.question.prompt,
                "options": [{"value": o.value, "label": o.label} for o in self.question.options],
                "default": self.question.default}


@dataclass(frozen=True)
class Checklist:
    scenario: Scenario
    answers: dict[str, str]  # every question's value, defaults applied
    items: tuple[ChecklistItem, ...]
    materials: tuple[ChecklistMaterial, ...]
    system_materials: tuple[ChecklistMaterial, ...]  # held by the system: not asked from the applicant
    unanswered: tuple[Unanswered, ...]
    total_days: int
    total_days_explanation: str
    next_steps: tuple[str, ...]
    uncertain_notes: tuple[str, ...]
    follow_on_deadlines: tuple[str, ...] = field(default=())

    def group(self, kind: str) -> list[ChecklistItem]:
        return [entry for entry in self.items if entry.item.kind == kind]

    @property
    def required_items(self) -> list[ChecklistItem]:
        return [entry for entry in self.items if not entry.optional]

    def to_dict(self) -> dict:
        return {
            "scenario": {"id": self.scenario.id, "name": self.scenario.name},
            "items": [entry.to_dict() for entry in self.items],
            "materials": [material.to_dict() for material in self.materials],
            "unanswered": [question.to_dict() for question in self.unanswered],
            "total_days": self.total_days,
            "next_steps": list(self.next_steps),
            "uncertain_notes": list(self.uncertain_notes),
        }


# --- answers ----------------------------------------------------------------------------------------------

def normalise_answers(scenario: Scenario, answers: dict[str, str] | None) -> tuple[dict[str, str], list[Question]]:
    """(every question's option value with defaults applied, the questions left unanswered).

    An answer may be the option value ("small") or its label ("小型"). Empty answers count as unanswered.
    """
    given = {str(k).strip(): v for k, v in (answers or {}).items() if v is not None and str(v).strip() != ""}
    resolved: dict[str, str] = {}
    for key, value in given.items():
        question = scenario.question(key)
        if question is None:
            choices = "；".join(f"{q.key}（{q.prompt}）" for q in scenario.questions)
            raise InvalidAnswer(f"“{scenario.name}”套餐没有问题“{key}”。可以回答的问题：{choices}")
        option = question.resolve(value)
        if option is None:
            choices = "、".join(f"{o.label}（{o.value}）" for o in question.options)
            raise InvalidAnswer(f"“{question.prompt}”的回答“{value}”无效，请从以下选项中选择：{choices}")
        resolved[key] = option
    unanswered = [q for q in scenario.questions if q.key not in resolved]
    effective = {q.key: resolved.get(q.key, q.default) for q in scenario.questions}
    return effective, unanswered


# --- items ------------------------------------------------------------------------------------------------

def select_items(kb: KnowledgeBase, scenario: Scenario, answers: dict[str, str]) -> list[ChecklistItem]:
    """Items the rules include, ordered 1, N, X, 开办 (then by rule order). Required beats optional."""
    decided: dict[str, bool] = {}  # item id -> optional
    for rule in scenario.rules:
        if conditions_hold(rule.when, answers):
            optional = rule.optional
        elif rule.otherwise == "optional":
            optional = True
        else:
            continue
        decided[rule.item] = decided.get(rule.item, True) and optional
    entries = [ChecklistItem(kb.item(item_id), optional) for item_id, optional in decided.items()]
    return sorted(entries, key=lambda entry: KINDS.index(entry.item.kind))  # stable: rule order within a kind


# --- materials --------------------------------------------------------------------------------------------

def _with_notice(text: str) -> str:
    if UNCERTAIN_NOTICE in text:
        return text
    return f"{text}（{UNCERTAIN_NOTICE}）" if text else UNCERTAIN_NOTICE


def merge_materials(entries: list[ChecklistItem], answers: dict[str, str]) -> tuple[list[ChecklistMaterial],
                                                                                   list[ChecklistMaterial]]:
    """(materials to ask for, materials the system provides) of the required items, each material once."""
    uses: dict[str, list[tuple[Item, ItemMaterial]]] = {}
    for entry in entries:
        if entry.optional or not entry.item.covered:
            continue
        for material in entry.item.materials:
            if conditions_hold(material.when, answers):
                uses.setdefault(material.id, []).append((entry.item, material))
    asked, provided = [], []
    for material_id, item_uses in uses.items():
        first = item_uses[0][1]
        notes: list[str] = []
        for _, material in item_uses:
            for note in material.notes.split("；"):
                if note and note not in notes:
                    notes.append(note)
        text = "；".join(notes)
        if first.confidence == "U":
            text = _with_notice(text)
        merged = ChecklistMaterial(
            id=material_id, name=first.name, used_by=tuple(item.id for item, _ in item_uses), notes=text,
            commitment_ok=all(m.commitment_ok for _, m in item_uses),
            deferrable=all(m.deferrable for _, m in item_uses), confidence=first.confidence,
        )
        (provided if first.provided_by_system else asked).append(merged)
    return asked, provided


# --- time -------------------------------------------------------------------------------------------------

def total_promised_days(kb: KnowledgeBase, entries: list[ChecklistItem]) -> tuple[int, str]:
    """(total promised working days, a Chinese sentence saying how it was computed)."""
    required = [entry.item for entry in entries if not entry.optional]
    prereview = kb.common.prereview_days.value
    licence = max((item.promised_days for item in required if item.kind == "1"), default=0)
    after = [item for item in required if item.kind != "1" and item.covered]
    not_covered = [item.name for item in required if item.kind != "1" and not item.covered]
    longest = max(after, key=lambda item: item.promised_days, default=None)
    parallel = longest.promised_days if longest else 0
    total = prereview + licence + parallel
    text = f"预计共约{total}个工作日：网上预审不超过{prereview}个工作日，营业执照{licence}个工作日"
    if longest is not None and parallel:
        text += f"，之后N类、X类和企业开办事项并行办理，最长的是“{longest.name}”{parallel}个工作日"
    text += "。现场核查、问题整改、法定公告、听证等时间不计入"
    if not_covered:
        text += f"；{'、'.join(not_covered)}暂未覆盖，办理时间请咨询窗口工作人员"
    text += "。"
    return total, text


# --- notes ------------------------------------------------------------------------------------------------

def _fact_text(item: Item, fact: str) -> str | None:
    value = getattr(item, fact)
    if fact in ("statutory_days", "promised_days"):
        return f"{value}个工作日" if value is not None else "暂无核实的数据"
    if fact == "onsite_inspection":
        return "需要" if value else "不需要"
    if fact == "reform_mode":
        return value  # None: no reform mode to report
    if fact == "materials":
        return None  # reported per material
    return str(value)


def uncertain_notes(entries: list[ChecklistItem], materials: list[ChecklistMaterial]) -> list[str]:
    notes: list[str] = []
    for entry in entries:
        item = entry.item
        if not item.covered:
            continue
        for fact, confidence in item.confidence.items():
            if confidence != "U":
                continue
            value = _fact_text(item, fact)
            if fact == "materials":
                notes.append(f"“{item.name}”的申请材料清单未经核实，{UNCERTAIN_NOTICE}。")
                continue
            if value is None:
                continue
            extra = item.fact_notes.get(fact, "")
            note = f"“{item.name}”的{FACT_LABELS[fact]}：{value}，{UNCERTAIN_NOTICE}。"
            notes.append(note + (f"说明：{extra}" if extra else ""))
        uncertain_filings = [f.name for f in item.integrates if f.confidence == "U"]
        if uncertain_filings:
            notes.append(f"“{item.name}”中{'、'.join(uncertain_filings)}是否在杭州整合办理未经核实，{UNCERTAIN_NOTICE}。")
    for material in materials:
        if material.confidence == "U":
            notes.append(f"材料“{material.name}”的名称和要求未经核实，{UNCERTAIN_NOTICE}。")
    return notes


def next_steps(kb: KnowledgeBase, scenario: Scenario, entries: list[ChecklistItem],
               materials: list[ChecklistMaterial], system_materials: list[ChecklistMaterial],
               time_text: str) -> tuple[list[str], list[str]]:
    """(next steps, follow-on deadlines) in Chinese."""
    steps = list(kb.common.next_steps)
    steps.append(time_text)
    deadlines: list[str] = []
    for entry in entries:
        item = entry.item
        if not item.covered:
            steps.append(f"{item.name}：{item.summary}")
            continue
        if entry.optional:
            continue
        if item.next_step:
            steps.append(f"{item.name}：{item.next_step}")
        for deadline in item.follow_on_deadlines:
            text = deadline.text if deadline.confidence != "U" else _with_notice(deadline.text)
            deadlines.append(f"{item.name}：{text}")
    steps.extend(deadlines)
    optional = [entry.item.name for entry in entries if entry.optional and entry.item.covered]
    if optional:
        steps.append(f"以下事项可根据实际经营需要自主选择是否一并办理：{'、'.join(optional)}。")
    if system_materials:
        names = "、".join(m.name for m in system_materials)
        steps.append(f"{names}由系统共享获取，无需您另行提交。")
    if any(m.commitment_ok for m in materials):
        steps.append("标注“可告知承诺”的材料，可以书面承诺代替；承诺不实的，将被责令整改直至撤销许可并记入信用记录。")
    if any(m.deferrable for m in materials):
        steps.append("标注“可容缺”的材料，可先受理后补交；须在告知的期限内补齐，逾期未补齐的将撤销受理。")
    steps.extend(scenario.notes)
    return steps, deadlines


# --- the checklist ----------------------------------------------------------------------------------------

def build_checklist(scenario_id: str, answers: dict[str, str] | None = None,
                    kb: KnowledgeBase | None = None) -> Checklist:
    """The checklist for a scenario (id, Chinese name or alias) and the applicant's answers.

    Raises UnknownScenario or InvalidAnswer, both with a Chinese message for the applicant.
    """
    kb = kb or get_kb()
    scenario = kb.scenario(scenario_id)
    effective, unanswered = normalise_answers(scenario, answers)
    entries = select_items(kb, scenario, effective)
    materials, system_materials = merge_materials(entries, effective)
    total, time_text = total_promised_days(kb, entries)
    steps, deadlines = next_steps(kb, scenario, entries, materials, system_materials, time_text)
    return Checklist(
        scenario=scenario, answers=effective, items=tuple(entries), materials=tuple(materials),
        system_materials=tuple(system_materials), unanswered=tuple(Unanswered(q) for q in unanswered),
        total_days=total, total_days_explanation=time_text, next_steps=tuple(steps),
        uncertain_notes=tuple(uncertain_notes(entries, materials)), follow_on_deadlines=tuple(deadlines),
    )


def render_text(checklist: Checklist) -> str:
    """A readable Chinese rendering (the CLI without --json)."""
    lines = [f"【{checklist.scenario.name}】一次性告知清单", ""]
    for kind in KINDS:
        group = checklist.group(kind)
        if not group:
            continue
        lines.append(KIND_TITLES[kind])
        for entry in group:
            item = entry.item
            flags = ["可选" if entry.optional else "需办理"]
            if not item.covered:
                flags = ["请咨询窗口"]
            flags.append(f"{item.department}")
            flags.append(f"承诺{item.promised_days}个工作日" if item.promised_days else "即办")
            if item.onsite_inspection:
                flags.append("需现场核查")
            lines.append(f"  - {item.name}（{'，'.join(flags)}）")
        lines.append("")
    lines.append("需要准备的材料（每份只需提交一次）：")
    for number, material in enumerate(checklist.materials, start=1):
        marks = [m for m, on in (("可告知承诺", material.commitment_ok), ("可容缺", material.deferrable)) if on]
        suffix = f" [{'、'.join(marks)}]" if marks else ""
        lines.append(f"  {number}. {material.name}{suffix}")
        if material.notes:
            lines.append(f"     说明：{material.notes}")
    if checklist.system_materials:
        lines.append(f"  无需提交（系统共享）：{'、'.join(m.name for m in checklist.system_materials)}")
    if checklist.unanswered:
        lines += ["", "以下问题尚未回答，已按默认选项处理："]
        for question in checklist.unanswered:
            default = question.question.option(question.question.default).label
            lines.append(f"  - {question.question.prompt}（默认：{default}）")
    lines += ["", "下一步："] + [f"  - {step}" for step in checklist.next_steps]
    if checklist.uncertain_notes:
        lines += ["", "请注意："] + [f"  - {note}" for note in checklist.uncertain_notes]
    return "\n".join(lines)
