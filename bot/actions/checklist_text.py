"""Plain functions that turn knowledge/ checklists and questions into chat text, buttons and links."""
from __future__ import annotations

from urllib.parse import urlencode

from core.config import get_settings

KIND_TITLES = (("1", "“1”：营业执照"), ("N", "“N”：多证合一，随执照一并办理，无需另交材料"),
               ("X", "“X”：证照联办许可，自主选择是否一并申请"), ("开办", "企业开办：开业后的配套事项"))


def checklist_link(scenario_id: str, answers: dict[str, str]) -> str:
    """The gateway's stateless page for the full list: the URL holds the answers."""
    base = get_settings().public_base_url.rstrip("/")
    query = urlencode(sorted((answers or {}).items()))
    return f"{base}/checklist/{scenario_id}" + (f"?{query}" if query else "")


def option_pairs(question: dict) -> list[tuple[str, str]]:
    """[(value, label)] of a clarifying question, whatever shape knowledge/ gives the options in."""
    pairs = []
    for option in question.get("options") or []:
        if isinstance(option, dict):
            value = str(option.get("value"))
            pairs.append((value, str(option.get("label") or value)))
        else:
            pairs.append((str(option), str(option)))
    return pairs


def resolve_option(question: dict, reply: str) -> str | None:
    """The option value a reply means: the value, the label, its number in the list, or yes/no words."""
    text = (reply or "").strip().rstrip("。.!！")
    pairs = option_pairs(question)
    for value, label in pairs:
        if text.lower() == value.lower() or text == label:
            return value
    if text.isdigit() and 1 <= int(text) <= len(pairs):
        return pairs[int(text) - 1][0]
    for value, label in pairs:
        if label and (label in text or (len(text) >= 2 and text in label)):
            return value
    yes_no = {"yes": ("是", "是的", "对", "有", "要", "需要", "嗯", "好"), "no": ("否", "不", "不是", "没有", "无", "不要", "不需要")}
    for value, _ in pairs:
        if value in yes_no and text in yes_no[value]:
            return value
    return None


def question_text(question: dict, index: int | None = None, total: int | None = None) -> str:
    numbered = "\n".join(f"{n}. {label}" for n, (_, label) in enumerate(option_pairs(question), 1))
    prefix = f"（{index}/{total}）" if index and total else ""
    return f"{prefix}{question.get('prompt', '')}\n{numbered}\n可直接点选，或回复序号。"


def _days(value) -> str:
    return f"{value}个工作日" if value not in (None, "", 0) else "当场办结"


def checklist_summary(checklist: dict, scenario_name: str) -> str:
    """The chat summary: items grouped by 1/N/X with time limits, each material once."""
    lines = [f"【{scenario_name}】一次性告知："]
    items = checklist.get("items") or []
    for kind, title in KIND_TITLES:
        group = [item for item in items if str(item.get("kind")) == kind]
        if not group:
            continue
        lines.append(title)
        for item in group:
            extra = "（可选）" if item.get("optional") else ""
            inspect = "，需现场核查" if item.get("onsite_inspection") else ""
            lines.append(f"· {item.get('name')}{extra}—{item.get('department')}，"
                         f"承诺时限{_days(item.get('time_limit_days'))}{inspect}")
    materials = checklist.get("materials") or []
    if materials:
        lines.append(f"需准备的材料（共{len(materials)}项，每份只交一次）：")
        for number, material in enumerate(materials, 1):
            notes = []
            if material.get("commitment_ok"):
                notes.append("可用承诺书代替")
            if material.get("deferrable"):
                notes.append("可容缺后补")
            suffix = f"（{'，'.join(notes)}）" if notes else ""
            lines.append(f"{number}. {material.get('name')}{suffix}")
    if checklist.get("total_days") not in (None, ""):
        lines.append(f"全部事项预计{_days(checklist.get('total_days'))}内办结（法定节假日不计）。")
    for note in checklist.get("uncertain_notes") or []:
        lines.append(f"注意：{note}")
    return "\n".join(lines)
