"""Start, summarise and submit the application (一表申请) through integrations/."""
from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import application_fields as fields
from bot.actions import resubmission
from bot.actions.common import button, sms_phone_of
from core.db import session_scope
from core.identity import mask_id_number, mask_mobile
from core.workdays import add_working_days
from integrations.schema import FIELD_LABELS, LIMITED_COMPANY, SHAREHOLDER

APPLICATION_SLOTS = ("entity_type", "candidate_names", "district", "address", "person_name", "id_number", "phone",
                     "business_scope", "registered_capital", "x_offer", "x_items", "x_declined", "consent",
                     "correction_field")
PREREVIEW_WORKING_DAYS = 2


def application_data(tracker: Tracker) -> dict:
    """The structured application (integrations.schema.Application) from the form's slots."""
    entity_type = tracker.get_slot("entity_type")
    person = {"role": fields.person_role(entity_type), "name": tracker.get_slot("person_name"),
              "id_number": tracker.get_slot("id_number"), "mobile": tracker.get_slot("phone")}
    people = [person]
    if entity_type == LIMITED_COMPANY:
        # 一人有限责任公司: the legal representative is the only shareholder, with the whole capital.
        people.append({**person, "role": SHAREHOLDER, "contribution": tracker.get_slot("registered_capital")})
    return {
        "entity_type": entity_type,
        "names": list(tracker.get_slot("candidate_names") or []),
        "district": tracker.get_slot("district"),
        "address": tracker.get_slot("address"),
        "people": people,
        "phone": tracker.get_slot("phone"),
        "business_scope": tracker.get_slot("business_scope"),
        "registered_capital": tracker.get_slot("registered_capital") if entity_type == LIMITED_COMPANY else None,
        "x_items": list(tracker.get_slot("x_items") or []),
        "consents": {"data_use": bool(tracker.get_slot("consent")), "sms": True},
    }


def x_item_names(item_ids: list[str]) -> list[str]:
    import knowledge

    kb = knowledge.get_kb()
    names = []
    for item_id in item_ids:
        try:
            names.append(kb.item(item_id).name)
        except knowledge.UnknownItem:
            names.append(item_id)
    return names


def summary_text(data: dict) -> str:
    """The application as the applicant sees it before confirming; the ID number is masked."""
    person = data["people"][0]
    label = fields.person_label(data["entity_type"])
    lines = ["请核对您的申请信息：",
             f"主体类型：{data['entity_type']}",
             f"拟用名称：{'、'.join(data['names']) if data['names'] else '不使用名称'}",
             f"经营场所：{data['district']} {data['address']}",
             f"{label}：{person['name']}，身份证 {mask_id_number(person['id_number'] or '')}",
             f"联系手机：{mask_mobile(data['phone'] or '')}",
             f"经营范围：{data['business_scope']}"]
    if data["entity_type"] == LIMITED_COMPANY:
        lines.append(f"注册资本：{data['registered_capital']}万元（股东：{person['name']}，一人有限责任公司）")
    x_names = x_item_names(data["x_items"])
    lines.append(f"一并申请的联办事项：{'、'.join(x_names) if x_names else '无'}")
    lines.append("信息无误请点“确认提交”；需要修改请点“修改”或直接告诉我哪一项要改。")
    return "\n".join(lines)


class ActionStartApplication(Action):
    """Opens the form: on the SMS channel the conversation's phone is the contact mobile."""

    def name(self) -> str:
        return "action_start_application"

    def run(self, dispatcher: CollectingDispatcher, tracker, domain):
        events = [SlotSet("correction_field", None)]
        filled = [slot for slot in ("entity_type", "person_name", "address") if tracker.get_slot(slot)]
        if filled:
            dispatcher.utter_message(text="我们接着上次没填完的申请继续。如需从头填写，请回复“不办了”后重新开始。")
        else:
            dispatcher.utter_message(text="好的，我们开始一表申请。只需填写一次，营业执照和联办事项共用这些信息。"
                                          "随时可以问我问题，填错了可以说“刚才xx填错了”，不想办了说“不办了”。")
        phone = sms_phone_of(tracker.sender_id)
        if phone and not tracker.get_slot("phone"):
            events.append(SlotSet("phone", phone))
        return events


class ActionApplicationSummary(Action):
    def name(self) -> str:
        return "action_application_summary"

    def run(self, dispatcher: CollectingDispatcher, tracker, domain):
        returned = resubmission.being_resubmitted(tracker)
        if returned is not None:
            dispatcher.utter_message(text=resubmission.summary_text(tracker, returned),
                                     buttons=[button("确认提交", "affirm"), button("修改", "deny")])
            return [SlotSet("correction_field", None)]
        dispatcher.utter_message(text=summary_text(application_data(tracker)),
                                 buttons=[button("确认提交", "affirm"), button("修改", "deny")])
        return [SlotSet("correction_field", None)]


class ActionSubmitApplication(Action):
    def name(self) -> str:
        return "action_submit_application"

    def run(self, dispatcher: CollectingDispatcher, tracker, domain):
        from integrations import InvalidApplication, WorkflowError, get_workflow

        returned = resubmission.being_resubmitted(tracker)
        if returned is not None:
            return self.resubmit(dispatcher, tracker, returned)
        data = application_data(tracker)
        try:
            with session_scope() as session:
                receipt = get_workflow().submit(session, data, conversation_id=tracker.sender_id)
                application_id, message, tasks = receipt.application_id, receipt.message(), len(receipt.tasks)
        except InvalidApplication as error:
            field = next(iter(error.errors), "")
            top = field.split(".")[0]
            slot = _slot_for_field(top)
            dispatcher.utter_message(text=f"申请还不能提交：{error}")
            if slot:
                dispatcher.utter_message(text=f"请重新填写{FIELD_LABELS.get(top, top)}。")
                return [SlotSet(slot, None), FollowupAction("application_form")]
            return [FollowupAction("action_listen")]
        except WorkflowError as error:
            dispatcher.utter_message(text=f"提交暂时没有成功：{error.message} 您填写的信息已保存，请稍后回复“确认提交”再试，"
                                          "或回复“转人工”。")
            return [FollowupAction("action_listen")]
        due = add_working_days(_today(), PREREVIEW_WORKING_DAYS)
        dispatcher.utter_message(
            text=f"{message}\n接下来：{tasks}个事项同步网上预审，{PREREVIEW_WORKING_DAYS}个工作日内（{due.month}月{due.day}日前）"
                 f"出预审结果，通过或需补正都会短信通知您，通过后带原件到窗口一次领取证照。"
                 f"随时可以发“查进度”查询办理进度。")
        return [SlotSet(slot, None) for slot in APPLICATION_SLOTS] + [SlotSet("last_application_id", application_id)]

    @staticmethod
    def resubmit(dispatcher: CollectingDispatcher, tracker, returned):
        """The fields a department returned, corrected in chat, go back to the same application."""
        from integrations import WorkflowError

        try:
            dispatcher.utter_message(text=resubmission.resubmit(tracker, returned))
        except WorkflowError as error:
            dispatcher.utter_message(text=f"补正没有提交成功：{error.message} 您可以再说一次要修改的内容，或回复“转人工”。")
        return [SlotSet(slot, None) for slot in (*APPLICATION_SLOTS, resubmission.CHECK_PHONE_SLOT)]


def _today():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from core.config import get_settings

    return datetime.now(ZoneInfo(get_settings().timezone)).date()


def _slot_for_field(field: str) -> str | None:
    return {"entity_type": "entity_type", "names": "candidate_names", "district": "district",
            "address": "address", "people": "person_name", "phone": "phone",
            "business_scope": "business_scope", "registered_capital": "registered_capital"}.get(field)
