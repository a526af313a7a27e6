"""Message types: the templates of each channel, their personalisation keys, and rendering.

Templates live in notify/templates/{sms,chat}/NAME.j2 and render with Jinja2 StrictUndefined: a missing
personalisation key is an error at record time, in the caller's transaction, never a blank in an SMS.
SMS bodies begin with the configured signature (settings.sms_signature); non-essential SMS end with the
opt-out hint "回T退订". Transactional messages (pre-review results, approvals, replies the applicant is
waiting for) still go to opted-out numbers; non-essential ones do not.

Personalisation keys (required unless marked optional; `link` is always optional and defaults to
settings.public_base_url; extra keys are ignored):

- prereview_passed: name, application_id, item_name, department; optional due_date, link
    Pre-review passed; next step 高级实名认证 and 电子签名 online.
- prereview_returned: name, application_id, item_name, department, reason, fix (str, or list of str:
    what to correct); optional deadline (text such as "11月30日"), link
- item_approved: name, application_id, item_name, department; optional link
- licence_issued: name, application_id, item_name; optional licence_name (default item_name), link
    (先核先发: each licence is issued as soon as it is ready)
- checklist_link: scenario_name, link          (一次性告知: the full requirement checklist)
- staff_reply: text                            (a window staff member's answer)
- bot_reply_sms: text                          (the assistant's answer in an SMS conversation)
- prereview_overdue: department, application_id, item_name, due_date, link     (to a department)
- sign_reminder: name, application_id, days; optional link    (not signed after `days` days)
- rating_request: name                         (in-channel rating, reply 1-5)
- escalation_reminder: question, waiting_minutes, level, link  (to the desk: a question still open)
- escalation_answer: question, answer          (the expert's answer, to the applicant)
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from core.config import get_settings
from notify.models import CHAT, SMS

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
OPT_OUT_HINT = "回T退订"


@dataclass(frozen=True)
class MessageType:
    name: str
    keys: tuple[str, ...]    # required personalisation keys
    transactional: bool      # True: sent even to opted-out numbers (the applicant needs it)
    sms_budget: int          # most SMS segments the rendered sample may take
    sample: dict


_LINK = "https://yici.example.gov.cn/a/YC20261122-0001"

MESSAGE_TYPES: dict[str, MessageType] = {m.name: m for m in (
    MessageType("prereview_passed", ("name", "application_id", "item_name", "department"),
                True, 3, {"name": "张三", "application_id": "YC20261122-0001",
                          "item_name": "食品经营许可", "department": "市场监管", "link": _LINK}),
    MessageType("prereview_returned", ("name", "application_id", "item_name", "department", "reason",
                                       "fix"),
                True, 4, {"name": "张三", "application_id": "YC20261122-0001",
                          "item_name": "公众聚集场所投入使用、营业前消防安全检查", "department": "消防",
                          "reason": "场所平面布置图未标注安全出口位置",
                          "fix": ["补充标注安全出口和疏散通道的平面图", "上传消防设施清单"],
                          "link": _LINK, "deadline": "2026年11月30日"}),
    MessageType("item_approved", ("name", "application_id", "item_name", "department"),
                True, 2, {"name": "张三", "application_id": "YC20261122-0001",
                          "item_name": "食品经营许可", "department": "市场监管", "link": _LINK}),
    MessageType("licence_issued", ("name", "application_id", "item_name"),
                True, 3, {"name": "张三", "application_id": "YC20261122-0001", "item_name": "食品经营许可",
                          "licence_name": "食品经营许可证", "link": _LINK}),
    MessageType("checklist_link", ("scenario_name", "link"),
                True, 2, {"scenario_name": "开饭店（餐饮服务）",
                          "link": "https://yici.example.gov.cn/checklist/restaurant?seats=50"}),
    MessageType("staff_reply", ("text",),
                True, 4, {"text": "您好，食品经营许可可以和营业执照一起申请，材料清单已发到您的对话里。"}),
    MessageType("bot_reply_sms", ("text",),
                True, 4, {"text": "开饭店需要办理营业执照、食品经营许可，面积较大的还需要消防检查。回复“清单”获取完整材料清单。"}),
    MessageType("prereview_overdue", ("department", "application_id", "item_name", "due_date", "link"),
                True, 3, {"department": "卫生健康", "application_id": "YC20261122-0001",
                          "item_name": "公共场所卫生许可", "due_date": "2026年11月25日",
                          "link": "https://yici.example.gov.cn/reviewer/tasks/17"}),
    MessageType("sign_reminder", ("name", "application_id", "days"),
                False, 3, {"name": "张三", "application_id": "YC20261122-0001", "days": 3,
                           "link": _LINK}),
    MessageType("rating_request", ("name",),
                False, 2, {"name": "张三"}),
    MessageType("escalation_reminder", ("question", "waiting_minutes", "level", "link"),
                True, 3, {"question": "个体户变更经营场所需要重新办理食品经营许可吗？", "waiting_minutes": 30,
                          "level": "A岗", "link": "https://yici.example.gov.cn/desk/questions/5"}),
    MessageType("escalation_answer", ("question", "answer"),
                True, 5, {"question": "个体户变更经营场所需要重新办理食品经营许可吗？",
                          "answer": "需要。经营场所变更应重新申请食品经营许可，可与营业执照变更一并在网上提交。"}),
)}


class UnknownTemplate(ValueError):
    pass


def message_type(name: str) -> MessageType:
    try:
        return MESSAGE_TYPES[name]
    except KeyError:
        raise UnknownTemplate(f"unknown notify template {name!r}") from None


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(str(TEMPLATE_DIR)), undefined=StrictUndefined,
                       autoescape=False, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False)


def render(template: str, channel: str, personalisation: dict) -> str:
    """The body of one message. Raises jinja2.UndefinedError for a missing key."""
    kind = message_type(template)
    if channel not in (SMS, CHAT):
        raise ValueError(f"unknown channel {channel!r}")
    settings = get_settings()
    values = {"site_link": settings.public_base_url, **personalisation}
    text = _environment().get_template(f"{channel}/{template}.j2").render(**values).strip()
    if channel == SMS:
        text = settings.sms_signature + text
        if not kind.transactional:
            text = text + OPT_OUT_HINT
    return text


# --- SMS segments (GSM 03.38 default alphabet; anything else, Chinese included, is UCS-2)
_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
_GSM_EXTENDED = set("^{}\\[~]|€\f")


def encoding(text: str) -> str:
    return "GSM-7" if all(ch in _GSM_BASIC or ch in _GSM_EXTENDED for ch in text) else "UCS-2"


def segments(text: str) -> int:
    """How many SMS parts a body takes (GSM-7: 160 single / 153 per part; UCS-2: 70 / 67)."""
    if encoding(text) == "GSM-7":
        units = sum(2 if ch in _GSM_EXTENDED else 1 for ch in text)
        single, part = 160, 153
    else:
        units = sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)   # UTF-16 code units
        single, part = 70, 67
    if units <= single:
        return 1
    return -(-units // part)
