"""The escalation state machine: open -> claimed -> answered -> closed, with who may do what.

- B-post staff, window staff (counter questions), the chief and admins raise escalations.
- An A-post expert claims and answers only escalations of its own department.
- The chief (and admins) see everything and reassign to another department or a named A-post.
- The one who raised an escalation (or the chief) closes it once answered.

Every transition is a conditional UPDATE on the state that was read, so two people acting at once
cannot both win; the loser gets InvalidTransition. Functions take a session and never commit.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from conversations.models import Conversation
from core.accounts import A_POST, ADMIN, B_POST, CHIEF, WINDOW_STAFF, Account
from core.db import utcnow
from desk import targets, topics
from desk.errors import DeskError, InvalidTransition, NotFound, NotPermitted
from desk.models import (ANSWERED, CLAIMED, CLOSED, KIND_CONVERSATION, KIND_COUNTER, KIND_QUESTION, OPEN,
                         Escalation, EscalationEvent)

SUPERVISORS = (CHIEF, ADMIN)
RAISERS = {B_POST: (KIND_CONVERSATION, KIND_QUESTION),
           CHIEF: (KIND_CONVERSATION, KIND_QUESTION, KIND_COUNTER),
           ADMIN: (KIND_CONVERSATION, KIND_QUESTION, KIND_COUNTER),
           WINDOW_STAFF: (KIND_COUNTER,)}
MAX_QUESTION = 2000
MAX_ANSWER = 4000


def departments() -> tuple[str, ...]:
    """The canonical A-post queues: the knowledge base's department names."""
    from knowledge import DEPARTMENTS

    return tuple(DEPARTMENTS)


def check_department(department: str) -> str:
    department = (department or "").strip()
    if department not in departments():
        raise DeskError("请选择有效的部门：" + "、".join(departments()) + "。")
    return department


def get(session: Session, escalation_id: int) -> Escalation:
    escalation = session.get(Escalation, escalation_id)
    if escalation is None:
        raise NotFound("找不到该升级问题。")
    return escalation


# ---- who may see and do what -------------------------------------------------------------------

def is_supervisor(account: Account) -> bool:
    return account.role in SUPERVISORS


def can_view(account: Account, escalation: Escalation) -> bool:
    if is_supervisor(account):
        return True
    if account.role == A_POST:
        return escalation.department == account.department
    return escalation.created_by_id == account.id


def can_answer(account: Account, escalation: Escalation) -> bool:
    return (account.role == A_POST and account.department == escalation.department
            and escalation.state == CLAIMED and escalation.owner_id == account.id)


def visible(session: Session, account: Account, states: tuple[str, ...] | None = None,
            department: str | None = None) -> list[Escalation]:
    """The escalations an account may see, oldest due first."""
    query = select(Escalation)
    if account.role == A_POST:
        query = query.where(Escalation.department == account.department)
    elif not is_supervisor(account):
        query = query.where(Escalation.created_by_id == account.id)
    if states:
        query = query.where(Escalation.state.in_(states))
    if department:
        query = query.where(Escalation.department == department)
    return list(session.scalars(query.order_by(Escalation.due_at, Escalation.id)))


def department_queue(session: Session, account: Account) -> list[Escalation]:
    """An A-post's work: open escalations of its department and those it has claimed."""
    if account.role != A_POST:
        raise NotPermitted("只有A岗专家有部门队列。")
    query = select(Escalation).where(
        Escalation.department == account.department,
        or_(Escalation.state == OPEN, (Escalation.state == CLAIMED) & (Escalation.owner_id == account.id)))
    return list(session.scalars(query.order_by(Escalation.due_at, Escalation.id)))


def inbox(session: Session, account: Account) -> list[Escalation]:
    """Answers that came back to the staff member who asked, newest first (answered, not yet closed)."""
    query = select(Escalation).where(Escalation.created_by_id == account.id, Escalation.state == ANSWERED)
    return list(session.scalars(query.order_by(Escalation.answered_at.desc(), Escalation.id.desc())))


def history(session: Session, escalation_id: int) -> list[EscalationEvent]:
    return list(session.scalars(select(EscalationEvent).where(EscalationEvent.escalation_id == escalation_id)
                                .order_by(EscalationEvent.id)))


# ---- transitions ---------------------------------------------------------------------------------

def _event(session: Session, escalation: Escalation, action: str, actor: Account | None, now: datetime,
           **detail) -> None:
    session.add(EscalationEvent(escalation_id=escalation.id, action=action, actor_id=actor.id if actor else None,
                                detail=detail or None, created_at=now))


def _transition(session: Session, escalation: Escalation, allowed_from: tuple[str, ...], message: str,
                **values) -> None:
    """Move the escalation if it is still in the state we read; refuse otherwise."""
    if escalation.state not in allowed_from:
        raise InvalidTransition(message)
    result = session.execute(
        update(Escalation).where(Escalation.id == escalation.id, Escalation.state == escalation.state)
        .values(**values)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        session.expire(escalation)
        raise InvalidTransition("该问题刚刚被其他人处理过，请刷新后再试。")
    session.refresh(escalation)


def create(session: Session, actor: Account, *, kind: str, department: str, question: str,
           note: str | None = None, conversation_id: str | None = None, message_id: int | None = None,
           phone: str | None = None, now: datetime | None = None) -> Escalation:
    """Raise an escalation to the A-post queue of `department` (state open)."""
    now = now or utcnow()
    if kind not in RAISERS.get(actor.role, ()):
        raise NotPermitted("您的岗位不能发起此类升级。")
    department = check_department(department)
    question = (question or "").strip()
    if not question:
        raise DeskError("请填写需要专家解答的问题。")
    if len(question) > MAX_QUESTION:
        raise DeskError(f"问题太长（最多{MAX_QUESTION}字），请精简后再提交。")
    if kind != KIND_COUNTER and not conversation_id:
        raise DeskError("会话升级需要对应的会话。")
    escalation = Escalation(kind=kind, origin_role=actor.role, department=department, state=OPEN,
                            question=question, note=(note or "").strip() or None,
                            topic=topics.topic_of(question), conversation_id=conversation_id,
                            message_id=message_id, phone=phone, created_by_id=actor.id,
                            due_at=targets.due_at(now), created_at=now, updated_at=now)
    session.add(escalation)
    session.flush()
    _event(session, escalation, "created", actor, now, department=department, kind=kind)
    return escalation


def claim(session: Session, escalation_id: int, actor: Account, now: datetime | None = None) -> Escalation:
    now = now or utcnow()
    escalation = get(session, escalation_id)
    if actor.role != A_POST:
        raise NotPermitted("只有A岗专家可以认领问题。")
    if actor.department != escalation.department:
        raise NotPermitted(f"该问题属于{escalation.department}，您只能认领本部门（{actor.department}）的问题。")
    _transition(session, escalation, (OPEN,), "该问题已被认领或已答复，不能再认领。",
                state=CLAIMED, owner_id=actor.id, claimed_at=now, updated_at=now)
    _event(session, escalation, "claimed", actor, now)
    return escalation


def release(session: Session, escalation_id: int, actor: Account, now: datetime | None = None) -> Escalation:
    """Put a claimed escalation back into its department queue (its owner or a supervisor)."""
    now = now or utcnow()
    escalation = get(session, escalation_id)
    if not (is_supervisor(actor) or (actor.role == A_POST and escalation.owner_id == actor.id)):
        raise NotPermitted("只有认领人或科长可以退回该问题。")
    _transition(session, escalation, (CLAIMED,), "只有处理中的问题可以退回队列。",
                state=OPEN, owner_id=None, claimed_at=None, updated_at=now)
    _event(session, escalation, "released", actor, now)
    return escalation


def reassign(session: Session, escalation_id: int, actor: Account, *, department: str | None = None,
             owner_id: int | None = None, note: str | None = None, now: datetime | None = None) -> Escalation:
    """Chief only: move to another department's queue (open) or hand to a named A-post (claimed)."""
    now = now or utcnow()
    escalation = get(session, escalation_id)
    if not is_supervisor(actor):
        raise NotPermitted("只有科长可以改派问题。")
    if owner_id:
        owner = session.get(Account, owner_id)
        if owner is None or not owner.active or owner.role != A_POST:
            raise DeskError("只能改派给在岗的A岗专家。")
        values = dict(state=CLAIMED, department=owner.department, owner_id=owner.id, claimed_at=now)
    elif department:
        values = dict(state=OPEN, department=check_department(department), owner_id=None, claimed_at=None)
    else:
        raise DeskError("请选择改派的部门或专家。")
    previous = {"department": escalation.department, "owner_id": escalation.owner_id}
    _transition(session, escalation, (OPEN, CLAIMED), "已答复或已关闭的问题不能改派。", updated_at=now, **values)
    _event(session, escalation, "reassigned", actor, now, previous=previous,
           department=escalation.department, owner_id=escalation.owner_id, note=(note or "").strip() or None)
    return escalation


def answer(session: Session, escalation_id: int, actor: Account, text: str, source: str | None = None,
           now: datetime | None = None) -> Escalation:
    """The owning A-post answers; the answer goes back to the asker's inbox and, when a phone or a
    conversation is attached, to the applicant (notify escalation_answer, same transaction)."""
    from desk import delivery

    now = now or utcnow()
    escalation = get(session, escalation_id)
    if actor.role != A_POST:
        raise NotPermitted("只有A岗专家可以答复问题。")
    if actor.department != escalation.department:
        raise NotPermitted(f"该问题属于{escalation.department}，您只能答复本部门（{actor.department}）的问题。")
    if escalation.state == CLAIMED and escalation.owner_id != actor.id:
        raise NotPermitted("该问题已由其他专家认领。")
    text = (text or "").strip()
    if not text:
        raise DeskError("请填写答复内容。")
    if len(text) > MAX_ANSWER:
        raise DeskError(f"答复太长（最多{MAX_ANSWER}字），请精简。")
    _transition(session, escalation, (CLAIMED,), "请先认领该问题再答复（已答复的问题不能重复答复）。",
                state=ANSWERED, answer=text, answer_source=(source or "").strip() or None,
                answered_by_id=actor.id, answered_at=now, updated_at=now)
    _event(session, escalation, "answered", actor, now)
    delivery.deliver_answer(session, escalation)
    if escalation.conversation_id:
        from bot.gateway.routing import add_note

        conversation = session.get(Conversation, escalation.conversation_id)
        if conversation is not None:
            add_note(session, conversation, actor.id, f"{escalation.department}A岗已答复（编号{escalation.id}）：{text}")
    return escalation


def close(session: Session, escalation_id: int, actor: Account, now: datetime | None = None) -> Escalation:
    now = now or utcnow()
    escalation = get(session, escalation_id)
    if not (is_supervisor(actor) or escalation.created_by_id == actor.id):
        raise NotPermitted("只有提问人或科长可以关闭该问题。")
    _transition(session, escalation, (ANSWERED,), "只有已答复的问题可以关闭。",
                state=CLOSED, closed_at=now, updated_at=now)
    _event(session, escalation, "closed", actor, now)
    return escalation
