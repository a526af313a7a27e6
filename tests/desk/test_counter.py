"""Counter escalation: window staff ask, no confident answer, escalate with the applicant's phone; the
A-post's answer comes back to the staff member's inbox and, by SMS, to the applicant (notify outbox,
delivered by a real RQ worker run)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from desk import counter, escalations
from desk.errors import DeskError
from desk.models import ANSWERED, KIND_COUNTER, Escalation
from notify.models import DELIVERED, SMS, Notification
from tests.support.workers import run_burst

QUESTION = "申请人在外省已有健康证，来杭州开面馆还要重新体检吗？"


def test_counter_question_answered_by_sms_to_the_applicant(db, staff, redis_url, sms_any_hour):
    escalation = counter.escalate(db, staff.window, question=QUESTION, department="市场监管",
                                  phone="138 0013 8000", note="申请人在窗口等候")
    db.commit()
    assert (escalation.kind, escalation.phone, escalation.origin_role) == (KIND_COUNTER, "+8613800138000", "window_staff")
    assert escalations.department_queue(db, staff.a_market) == [escalation]
    assert escalations.department_queue(db, staff.a_fire) == []

    escalations.claim(db, escalation.id, staff.a_market)
    escalations.answer(db, escalation.id, staff.a_market, "健康证全国通用，在有效期内无需重新体检。",
                       source="食品安全法 第四十五条")
    db.commit()

    assert escalations.inbox(db, staff.window) == [escalation]          # back to the asking staff member
    sms = db.scalar(select(Notification).where(Notification.template == "escalation_answer"))
    assert (sms.channel, sms.recipient) == (SMS, "+8613800138000")
    assert "健康证全国通用" in sms.body

    run_burst(redis_url)                                                 # the real notify delivery jobs
    db.expire_all()
    assert db.get(Notification, sms.id).status == DELIVERED
    assert db.scalars(select(Notification)).all() == [sms]                # no chat row: no conversation


def test_counter_question_without_phone_goes_only_to_the_inbox(db, staff, redis_url):
    escalation = counter.escalate(db, staff.window, question=QUESTION, department="市场监管")
    escalations.claim(db, escalation.id, staff.a_market)
    escalations.answer(db, escalation.id, staff.a_market, "无需重新体检。")
    db.commit()
    assert escalation.state == ANSWERED and escalation.phone is None
    assert escalations.inbox(db, staff.window) == [escalation]
    assert db.scalars(select(Notification)).all() == []


def test_bad_phone_is_refused_in_chinese_and_nothing_is_stored(db, staff):
    with pytest.raises(DeskError, match="手机号码"):
        counter.escalate(db, staff.window, question=QUESTION, department="市场监管", phone="12345")
    with pytest.raises(DeskError, match="请输入申请人的问题"):
        counter.ask_knowledge_base("  ")
    db.rollback()
    assert db.scalars(select(Escalation)).all() == []
