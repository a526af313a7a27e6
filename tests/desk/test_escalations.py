"""The escalation state machine and who may do what, per role (on SQLite and PostgreSQL)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from core.db import new_session
from desk import escalations
from desk.errors import DeskError, InvalidTransition, NotPermitted
from desk.models import ANSWERED, CLAIMED, CLOSED, KIND_CONVERSATION, KIND_COUNTER, OPEN

MONDAY_10 = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)   # 10:00 in Hangzhou, a working day


def counter_question(db, staff, department="市场监管", question="个体户变更经营场所要重新办食品经营许可吗？"):
    return escalations.create(db, staff.window, kind=KIND_COUNTER, department=department, question=question,
                              now=MONDAY_10)


def test_lifecycle_open_claimed_answered_closed(db, staff):
    escalation = counter_question(db, staff)
    assert escalation.state == OPEN and escalation.owner_id is None
    assert escalation.due_at == datetime(2026, 11, 24, 2, 0, tzinfo=timezone.utc)   # 1 working day
    assert escalation.topic

    escalations.claim(db, escalation.id, staff.a_market)
    assert (escalation.state, escalation.owner_id) == (CLAIMED, staff.a_market.id)
    escalations.answer(db, escalation.id, staff.a_market, "需要重新申请，可与执照变更一并网上提交。",
                       source="食品经营许可管理办法 第二十七条")
    assert escalation.state == ANSWERED and escalation.answered_by_id == staff.a_market.id
    assert escalations.inbox(db, staff.window) == [escalation]

    escalations.close(db, escalation.id, staff.window)
    db.commit()
    assert escalation.state == CLOSED and escalations.inbox(db, staff.window) == []
    assert [e.action for e in escalations.history(db, escalation.id)] == ["created", "claimed", "answered", "closed"]


def test_invalid_transitions_are_rejected(db, staff):
    escalation = counter_question(db, staff)
    with pytest.raises(InvalidTransition):
        escalations.answer(db, escalation.id, staff.a_market, "直接答复")       # open: claim first
    with pytest.raises(InvalidTransition):
        escalations.close(db, escalation.id, staff.window)                     # not answered yet
    escalations.claim(db, escalation.id, staff.a_market)
    with pytest.raises(InvalidTransition):
        escalations.claim(db, escalation.id, staff.a_market2)                  # already claimed
    escalations.answer(db, escalation.id, staff.a_market, "答复内容")
    with pytest.raises(InvalidTransition):
        escalations.answer(db, escalation.id, staff.a_market, "再答一次")
    with pytest.raises(InvalidTransition):
        escalations.reassign(db, escalation.id, staff.chief, department="消防")  # answered: no reassigning
    with pytest.raises(InvalidTransition):
        escalations.release(db, escalation.id, staff.a_market)
    assert escalation.state == ANSWERED


def test_a_post_answers_only_for_its_own_department(db, staff):
    escalation = counter_question(db, staff, department="市场监管")
    with pytest.raises(NotPermitted, match="本部门"):
        escalations.claim(db, escalation.id, staff.a_fire)
    escalations.claim(db, escalation.id, staff.a_market)
    with pytest.raises(NotPermitted, match="本部门"):
        escalations.answer(db, escalation.id, staff.a_fire, "消防的答复")
    with pytest.raises(NotPermitted, match="其他专家"):
        escalations.answer(db, escalation.id, staff.a_market2, "同部门另一位专家")
    assert escalation.state == CLAIMED and escalation.answer is None


def test_b_post_window_staff_and_chief_cannot_answer(db, staff):
    escalation = counter_question(db, staff)
    for account in (staff.b_post, staff.window, staff.chief):
        with pytest.raises(NotPermitted):
            escalations.claim(db, escalation.id, account)
    escalations.claim(db, escalation.id, staff.a_market)
    for account in (staff.b_post, staff.window, staff.chief):
        with pytest.raises(NotPermitted):
            escalations.answer(db, escalation.id, account, "代为答复")


def test_chief_reassigns_to_another_department_or_a_named_expert(db, staff):
    escalation = counter_question(db, staff, department="市场监管", question="饭店的消防检查要多久？")
    escalations.claim(db, escalation.id, staff.a_market)
    for account in (staff.b_post, staff.a_market, staff.window):
        with pytest.raises(NotPermitted):
            escalations.reassign(db, escalation.id, account, department="消防")

    escalations.reassign(db, escalation.id, staff.chief, department="消防", note="属于消防验收")
    assert (escalation.state, escalation.department, escalation.owner_id) == (OPEN, "消防", None)
    escalations.reassign(db, escalation.id, staff.chief, owner_id=staff.a_market2.id)
    assert (escalation.state, escalation.department, escalation.owner_id) == (CLAIMED, "市场监管", staff.a_market2.id)
    with pytest.raises(DeskError):
        escalations.reassign(db, escalation.id, staff.chief, owner_id=staff.b_post.id)   # not an A-post
    escalations.answer(db, escalation.id, staff.a_market2, "答复")
    reassigned = [e for e in escalations.history(db, escalation.id) if e.action == "reassigned"]
    assert reassigned[0].detail["previous"] == {"department": "市场监管", "owner_id": staff.a_market.id}


def test_owner_or_chief_releases_back_to_the_queue(db, staff):
    escalation = counter_question(db, staff)
    escalations.claim(db, escalation.id, staff.a_market)
    with pytest.raises(NotPermitted):
        escalations.release(db, escalation.id, staff.a_market2)
    escalations.release(db, escalation.id, staff.a_market)
    assert (escalation.state, escalation.owner_id) == (OPEN, None)
    escalations.claim(db, escalation.id, staff.a_market2)
    escalations.release(db, escalation.id, staff.chief)
    assert escalation.state == OPEN


def test_who_raises_what(db, staff):
    with pytest.raises(NotPermitted):
        escalations.create(db, staff.a_market, kind=KIND_COUNTER, department="消防", question="问题")
    with pytest.raises(NotPermitted):
        escalations.create(db, staff.window, kind=KIND_CONVERSATION, department="消防", question="问题",
                           conversation_id="c1")
    with pytest.raises(NotPermitted):
        escalations.create(db, staff.b_post, kind=KIND_COUNTER, department="消防", question="问题")
    with pytest.raises(DeskError, match="有效的部门"):
        escalations.create(db, staff.window, kind=KIND_COUNTER, department="工商", question="问题")
    with pytest.raises(DeskError, match="问题"):
        escalations.create(db, staff.window, kind=KIND_COUNTER, department="消防", question="  ")


def test_visibility_per_role(db, staff):
    market = counter_question(db, staff, department="市场监管")
    fire = counter_question(db, staff, department="消防", question="消防检查需要什么材料")
    chiefs = escalations.create(db, staff.chief, kind=KIND_COUNTER, department="消防", question="科长提的问题",
                                now=MONDAY_10)
    assert escalations.visible(db, staff.chief) == [market, fire, chiefs]
    assert escalations.visible(db, staff.a_fire) == [fire, chiefs]
    assert escalations.visible(db, staff.window) == [market, fire]
    assert escalations.visible(db, staff.b_post) == []
    assert escalations.can_view(staff.a_market, market) and not escalations.can_view(staff.a_market, fire)
    escalations.claim(db, fire.id, staff.a_fire)
    assert escalations.department_queue(db, staff.a_fire) == [fire, chiefs]
    assert escalations.department_queue(db, staff.a_market) == [market]


def test_two_experts_claiming_at_once_only_one_wins(db, staff, env):
    escalation = counter_question(db, staff)
    db.commit()
    first, second = new_session(), new_session()
    try:
        a = first.get(type(staff.a_market), staff.a_market.id)
        b = second.get(type(staff.a_market2), staff.a_market2.id)
        second.get(type(escalation), escalation.id)          # second has read it as open
        escalations.claim(first, escalation.id, a)
        first.commit()
        with pytest.raises(InvalidTransition):
            escalations.claim(second, escalation.id, b)
    finally:
        first.close()
        second.rollback()
        second.close()
    db.expire_all()
    assert db.get(type(escalation), escalation.id).owner_id == staff.a_market.id
