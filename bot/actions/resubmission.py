"""Correcting a returned application (退回补正) in the conversation it was submitted from.

After submission the application form's slots are empty. A correction then ("/correct", "地址填错了")
means the application a department returned: the form asks only for the fields the reviewer asked to
fix (and, on the web, the mobile registered with the application, as the identity check), and the
summary and submit actions resubmit those fields through integrations instead of a new application.
"""
from __future__ import annotations

from rasa_sdk import Tracker

from bot.actions.common import sms_phone_of
from core.db import session_scope

# integrations field (FIXABLE_FIELDS) → the application form's slot; the others need a human
FIELD_SLOTS = {"names": "candidate_names", "district": "district", "address": "address", "phone": "phone",
               "business_scope": "business_scope"}
CHECK_PHONE_SLOT = "progress_phone"
SLOT_TITLES = {"candidate_names": "拟用名称", "district": "区县", "address": "地址", "phone": "手机号",
               "business_scope": "经营范围"}


def returned_application(conversation_id: str):
    """The newest application of this conversation with fields to fix (ApplicationStatus), or None."""
    from integrations import WorkflowError, get_workflow

    try:
        with session_scope() as session:
            statuses = get_workflow().applications_for_conversation(session, conversation_id)
    except WorkflowError:
        return None
    return next((status for status in statuses if status.fields_to_fix), None)


def no_application_in_progress(tracker: Tracker) -> bool:
    """Every new application has its entity type before the summary; a resubmission has none."""
    return tracker.get_slot("entity_type") is None


def being_resubmitted(tracker: Tracker):
    """At the summary and at submit: the returned application being corrected, or None (a new one)."""
    return returned_application(tracker.sender_id) if no_application_in_progress(tracker) else None


def correcting_returned(tracker: Tracker):
    """The returned application when this turn corrects one (a correction with no new application open)."""
    if not (tracker.get_slot("correction_field") and no_application_in_progress(tracker)):
        return None
    return returned_application(tracker.sender_id)


def required_slots(tracker: Tracker, status) -> list[str]:
    slots = [] if sms_phone_of(tracker.sender_id) else [CHECK_PHONE_SLOT]
    slots += [FIELD_SLOTS[key] for key in status.fields_to_fix if key in FIELD_SLOTS]
    return slots


def check_phone(tracker: Tracker) -> str | None:
    return sms_phone_of(tracker.sender_id) or tracker.get_slot(CHECK_PHONE_SLOT)


def verify_phone(application_id: str, phone: str) -> None:
    """Raises PhoneMismatch / NotFound (Chinese messages) unless `phone` is the application's mobile."""
    from integrations import get_workflow

    with session_scope() as session:
        get_workflow().status(session, application_id, phone)


def unsupported_fields(status) -> list[str]:
    from integrations.status import fix_labels

    return fix_labels([key for key in status.fields_to_fix if key not in FIELD_SLOTS])


def changes(tracker: Tracker, status) -> dict:
    return {key: tracker.get_slot(FIELD_SLOTS[key]) for key in status.fields_to_fix if key in FIELD_SLOTS}


def summary_text(tracker: Tracker, status) -> str:
    lines = [f"请核对申请 {status.application_id} 的补正内容："]
    for key, value in changes(tracker, status).items():
        shown = "、".join(value) if isinstance(value, list) else value
        if key == "phone":
            from core.identity import mask_mobile

            shown = mask_mobile(value or "")
        lines.append(f"{SLOT_TITLES[FIELD_SLOTS[key]]}：{shown}")
    lines.append("信息无误请点“确认提交”；需要修改请点“修改”。")
    return "\n".join(lines)


def resubmit(tracker: Tracker, status) -> str:
    """Resubmit the fixed fields; the Chinese answer for the applicant. WorkflowError propagates."""
    from integrations import get_workflow

    unsupported = unsupported_fields(status)
    if unsupported:
        return (f"以下补正内容需要上传材料或由工作人员协助修改：{'、'.join(unsupported)}。"
                "请回复“转人工”，或按退回短信中的链接在线补正。")
    with session_scope() as session:
        get_workflow().resubmit(session, status.application_id, check_phone(tracker), changes(tracker, status))
    departments = "、".join(dict.fromkeys(task.department for task in status.returned_tasks))
    return (f"补正内容已重新提交（申请编号 {status.application_id}），{departments}将重新预审，"
            "结果会短信通知您。随时可以发“查进度”查询办理进度。")
