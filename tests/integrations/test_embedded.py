"""The embedded workflow against the real database, the real knowledge base and notify's outbox."""

import pytest
from sqlalchemy import select

from integrations import deadlines, states
from integrations.embedded import _default_kb as get_kb
from integrations.errors import Conflict, InvalidDecision, NotFound, PhoneMismatch, ResubmitRejected
from integrations.models import WorkflowEvent, WorkflowTask
from integrations.schema import InvalidApplication
from notify.models import Notification
from tests.integrations.helpers import CONVERSATION, PHONE, PHONE_E164, company_data


def submit(db, workflow, **overrides):
    receipt = workflow.submit(db, company_data(**overrides), conversation_id=CONVERSATION)
    db.commit()
    return receipt


def test_submit_splits_into_licence_n_and_one_task_per_x_item(db, workflow):
    receipt = submit(db, workflow)
    today = deadlines.local_today()
    assert receipt.application_id == f"YC{today:%Y%m%d}-0001"
    kb = get_kb()
    expected = [kb.item(i) for i in ("establish_llc", "multi_cert_enterprise", "food_business_licence",
                                     "fire_safety_inspection")]
    assert [(task.kind, task.department, task.name) for task in receipt.tasks] == [
        (item.kind, item.department, item.name) for item in expected]
    assert [task.department for task in receipt.tasks] == ["市场监管", "市场监管", "市场监管", "消防"]
    assert all(task.state == states.SUBMITTED for task in receipt.tasks)
    assert all(task.prereview_due == deadlines.prereview_due(today) for task in receipt.tasks)
    days = [task.processing_days for task in db.scalars(select(WorkflowTask).order_by(WorkflowTask.id))]
    licence_days = expected[0].promised_days
    assert days == [licence_days, licence_days + 2,        # N: licence time + 2 days
                    min(expected[2].promised_days, 7),     # X with on-site inspection: at most 7
                    min(expected[3].promised_days, 7 if expected[3].onsite_inspection else 5)]
    assert "YC" in receipt.message() and "4项" in receipt.message()
    assert submit(db, workflow).application_id == f"YC{today:%Y%m%d}-0002"


def test_an_individual_business_gets_its_own_licence_and_n_items(db, workflow):
    receipt = submit(db, workflow, entity_type="个体工商户", names=[], registered_capital=None, x_items=[],
                     people=[{"role": "operator", "name": "王五", "id_number": "330102198505122013"}])
    kb = get_kb()
    assert [task.name for task in receipt.tasks] == [kb.item("establish_individual").name,
                                                     kb.item("multi_cert_individual").name]


@pytest.mark.parametrize("items, words", [(["no_such_item"], "没有找到"), (["establish_llc"], "不是可选择联办")])
def test_unknown_or_non_x_items_are_field_errors(db, workflow, items, words):
    with pytest.raises(InvalidApplication) as info:
        workflow.submit(db, company_data(x_items=items))
    assert words in info.value.errors["x_items"]


def test_status_checks_the_phone(db, workflow):
    receipt = submit(db, workflow)
    status = workflow.status(db, receipt.application_id.lower().replace("-", " "), "+86 138-1234-5678")
    assert [task.state_label for task in status.tasks] == ["已提交，等待预审"] * 4
    assert status.summary().startswith(f"申请编号 {receipt.application_id}")
    with pytest.raises(PhoneMismatch) as info:
        workflow.status(db, receipt.application_id, "13900000000")
    assert "不一致" in str(info.value)
    with pytest.raises(NotFound) as info:
        workflow.status(db, "YC20200101-0001", PHONE)
    assert "未找到" in str(info.value)
    with pytest.raises(NotFound) as info:
        workflow.status(db, "12345", PHONE)
    assert "格式" in str(info.value)
    assert [a.application_id for a in workflow.applications_for_conversation(db, CONVERSATION)] == [receipt.application_id]


def test_return_then_resubmit_only_the_fields_to_fix(db, workflow):
    receipt = submit(db, workflow)
    fire = receipt.tasks[3]
    returned = workflow.decide(db, fire.task_id, "return", reason="平面图未标注安全出口", fix=["address", "attachments"],
                               reviewer_id=7)
    db.commit()
    assert returned.state == states.RETURNED and returned.reason == "平面图未标注安全出口"
    status = workflow.status(db, receipt.application_id, PHONE)
    assert status.fields_to_fix == ["address", "attachments"]
    assert "退回原因：平面图未标注安全出口；需修改：经营场所地址、材料附件" in status.summary()

    with pytest.raises(ResubmitRejected) as info:
        workflow.resubmit(db, receipt.application_id, PHONE, {"address": "文三路100号2楼", "business_scope": "x"})
    assert "不能修改：经营范围" in str(info.value)
    with pytest.raises(ResubmitRejected) as info:
        workflow.resubmit(db, receipt.application_id, PHONE, {"address": "文三路100号2楼"})
    assert "还需要修改：材料附件" in str(info.value)
    with pytest.raises(InvalidApplication) as info:
        workflow.resubmit(db, receipt.application_id, PHONE, {"address": "短", "attachments": []})
    assert "address" in info.value.errors
    db.rollback()

    new_attachments = [{"name": "平面图（已标注安全出口）", "ref": "uploads/plan-v2.pdf"}]
    status = workflow.resubmit(db, receipt.application_id, PHONE,
                               {"address": "文三路100号2楼", "attachments": new_attachments})
    db.commit()
    task = db.get(WorkflowTask, fire.task_id)
    assert task.state == states.RESUBMITTED and task.reason is None and task.fix is None
    assert task.application.data["address"] == "文三路100号2楼"
    assert task.application.data["business_scope"] == "餐饮服务；食品销售"
    assert [t.state for t in status.tasks] == [states.SUBMITTED] * 3 + [states.RESUBMITTED]
    with pytest.raises(ResubmitRejected):
        workflow.resubmit(db, receipt.application_id, PHONE, {"address": "文三路100号3楼"})


def test_every_transition_writes_an_event_and_messages_exactly_once(db, workflow):
    receipt = submit(db, workflow)
    licence = receipt.tasks[0].task_id
    workflow.decide(db, licence, "pass", reviewer_id=3)
    workflow.decide(db, licence, "approve", reviewer_id=3)
    workflow.decide(db, licence, "issue", reviewer_id=3)
    db.commit()
    events = db.scalars(select(WorkflowEvent).where(WorkflowEvent.task_id == licence).order_by(WorkflowEvent.seq)).all()
    assert [(e.seq, e.action, e.from_state, e.to_state) for e in events] == [
        (1, "start_review", "submitted", "in_review"), (2, "pass", "in_review", "passed"),
        (3, "approve", "passed", "approved"), (4, "issue", "approved", "issued")]
    messages = db.scalars(select(Notification).order_by(Notification.id)).all()
    assert sorted({(m.template, m.channel) for m in messages}) == sorted(
        {(t, c) for t in ("prereview_passed", "item_approved", "licence_issued") for c in ("sms", "chat")})
    assert {m.recipient for m in messages if m.channel == "sms"} == {PHONE_E164}
    assert {m.event_key for m in messages} == {f"wf:{licence}:2", f"wf:{licence}:3", f"wf:{licence}:4"}
    task = db.get(WorkflowTask, licence)
    assert task.processing_due == deadlines.processing_due(deadlines.local_today(), 1)


def test_decisions_reject_bad_input_and_invalid_transitions(db, workflow):
    receipt = submit(db, workflow)
    task_id = receipt.tasks[2].task_id
    with pytest.raises(InvalidDecision, match="退回原因"):
        workflow.decide(db, task_id, "return", reason=" ", fix=["address"])
    with pytest.raises(InvalidDecision, match="修改的内容"):
        workflow.decide(db, task_id, "return", reason="缺材料", fix=[])
    with pytest.raises(InvalidDecision, match="不能要求修改"):
        workflow.decide(db, task_id, "return", reason="缺材料", fix=["entity_type"])
    with pytest.raises(InvalidDecision):
        workflow.decide(db, task_id, "maybe")
    with pytest.raises(Conflict, match="不能执行“核准”"):
        workflow.decide(db, task_id, "approve")
    with pytest.raises(NotFound):
        workflow.decide(db, 99999, "pass")
    workflow.decide(db, task_id, "pass")
    db.commit()
    with pytest.raises(Conflict):
        workflow.decide(db, task_id, "pass")
    with pytest.raises(Conflict):     # a stale version from a form loaded before the pass
        workflow.decide(db, task_id, "approve", expected_version=1)
