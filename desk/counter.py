"""Counter escalation (导办专窗): window staff ask the knowledge base for an applicant at the counter
and, when it has no confident answer, escalate the question to a department's A-post queue.

The expert's answer comes back to the staff member's desk inbox and, when the applicant left a mobile
number, to the applicant by SMS (notify escalation_answer).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from core.accounts import Account
from core.identity import InvalidIdentifier, normalise_mobile
from desk import escalations
from desk.errors import DeskError
from desk.models import KIND_COUNTER, Escalation


def ask_knowledge_base(question: str):
    """knowledge.retrieval.ask: an Answer (answer, source, score, faq_id, question) or None when the
    knowledge base has no confident answer."""
    from knowledge import retrieval

    question = (question or "").strip()
    if not question:
        raise DeskError("请输入申请人的问题。")
    return retrieval.ask(question)


def escalate(session: Session, actor: Account, *, question: str, department: str, phone: str | None = None,
             note: str | None = None, now: datetime | None = None) -> Escalation:
    """Escalate a counter question; `phone` (optional) is where the applicant wants the answer by SMS."""
    normalised = None
    if phone and phone.strip():
        try:
            normalised = normalise_mobile(phone)
        except InvalidIdentifier as error:
            raise DeskError(str(error)) from None
    return escalations.create(session, actor, kind=KIND_COUNTER, department=department, question=question,
                              note=note, phone=normalised, now=now)
