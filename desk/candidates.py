"""Answers improve the knowledge base: answered escalations become FAQ candidates; a maintainer
(chief or admin) edits, approves or rejects them.

A candidate lives only in the desk's table and is shown to nobody outside the desk. Approval is the
only way into the knowledge base: knowledge.faq_admin.add_approved_entry validates the entry and
writes it to the FAQ data, which running processes pick up on their next query.
"""
from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.accounts import A_POST, ADMIN, B_POST, CHIEF, Account
from core.db import utcnow
from desk import escalations
from desk.errors import DeskError, InvalidTransition, NotFound, NotPermitted
from desk.models import ANSWERED, APPROVED, CLOSED, PROPOSED, REJECTED, FaqCandidate

MAINTAINERS = (CHIEF, ADMIN)
PROPOSERS = (A_POST, B_POST, CHIEF, ADMIN)
_PARAPHRASE_SPLIT = re.compile(r"[\r\n]+")


def parse_paraphrases(text: str | list[str] | None) -> list[str]:
    """Paraphrases typed one per line in the console (or already a list); blanks and repeats dropped."""
    items = text if isinstance(text, list) else _PARAPHRASE_SPLIT.split(text or "")
    seen: list[str] = []
    for item in (i.strip() for i in items):
        if item and item not in seen:
            seen.append(item)
    return seen


def _clean(question: str, paraphrases, answer: str, source: str) -> dict:
    values = {"question": (question or "").strip(), "paraphrases": parse_paraphrases(paraphrases),
              "answer": (answer or "").strip(), "source": (source or "").strip()}
    if len(values["question"]) < 2:
        raise DeskError("请填写标准问题。")
    if not values["paraphrases"]:
        raise DeskError("请至少填写一种群众的常见问法（每行一个）。")
    if len(values["answer"]) < 2:
        raise DeskError("请填写答案。")
    if len(values["source"]) < 2:
        raise DeskError("请填写答案的政策依据或来源。")
    values["paraphrases"] = [p for p in values["paraphrases"] if p != values["question"]] or values["paraphrases"]
    return values


def get(session: Session, candidate_id: int) -> FaqCandidate:
    candidate = session.get(FaqCandidate, candidate_id)
    if candidate is None:
        raise NotFound("找不到该候选问答。")
    return candidate


def for_escalation(session: Session, escalation_id: int) -> FaqCandidate | None:
    return session.scalar(select(FaqCandidate).where(FaqCandidate.escalation_id == escalation_id))


def listing(session: Session, state: str | None = PROPOSED) -> list[FaqCandidate]:
    query = select(FaqCandidate)
    if state:
        query = query.where(FaqCandidate.state == state)
    return list(session.scalars(query.order_by(FaqCandidate.created_at.desc(), FaqCandidate.id.desc())))


def draft_for(session: Session, escalation_id: int) -> dict:
    """Values to prefill the proposal form from the answered escalation."""
    escalation = escalations.get(session, escalation_id)
    return {"question": escalation.question, "paraphrases": [], "answer": escalation.answer or "",
            "source": escalation.answer_source or ""}


def propose(session: Session, escalation_id: int, actor: Account, *, question: str, paraphrases,
            answer: str, source: str, now: datetime | None = None) -> FaqCandidate:
    """Propose an answered escalation as a FAQ entry (one candidate per escalation)."""
    now = now or utcnow()
    if actor.role not in PROPOSERS:
        raise NotPermitted("您的岗位不能提交候选问答。")
    escalation = escalations.get(session, escalation_id)
    if not escalations.can_view(actor, escalation):
        raise NotPermitted("您无权查看该问题。")
    if escalation.state not in (ANSWERED, CLOSED):
        raise InvalidTransition("只有已答复的问题可以提交为候选问答。")
    if for_escalation(session, escalation_id) is not None:
        raise InvalidTransition("该问题已经提交过候选问答。")
    candidate = FaqCandidate(escalation_id=escalation_id, state=PROPOSED, proposed_by_id=actor.id,
                             created_at=now, updated_at=now, **_clean(question, paraphrases, answer, source))
    session.add(candidate)
    session.flush()
    return candidate


def _require_maintainer(actor: Account) -> None:
    if actor.role not in MAINTAINERS:
        raise NotPermitted("只有科长或管理员可以审核候选问答。")


def _require_proposed(candidate: FaqCandidate) -> None:
    if candidate.state != PROPOSED:
        raise InvalidTransition("该候选问答已审核过。")


def edit(session: Session, candidate_id: int, actor: Account, *, question: str, paraphrases, answer: str,
         source: str, now: datetime | None = None) -> FaqCandidate:
    _require_maintainer(actor)
    candidate = get(session, candidate_id)
    _require_proposed(candidate)
    for key, value in _clean(question, paraphrases, answer, source).items():
        setattr(candidate, key, value)
    candidate.updated_at = now or utcnow()
    session.flush()
    return candidate


def approve(session: Session, candidate_id: int, actor: Account, now: datetime | None = None) -> FaqCandidate:
    """Write the reviewed entry into the knowledge base, then mark the candidate approved.

    The FAQ write is validated by knowledge (FaqError → DeskError, nothing written, candidate unchanged).
    It is the last step before the caller commits; the candidate row is locked first so two maintainers
    approving at once cannot write the entry twice.
    """
    from knowledge.faq import FaqError
    from knowledge.faq_admin import add_approved_entry

    _require_maintainer(actor)
    now = now or utcnow()
    candidate = session.scalar(select(FaqCandidate).where(FaqCandidate.id == candidate_id).with_for_update()
                                .execution_options(populate_existing=True))
    if candidate is None:
        raise NotFound("找不到该候选问答。")
    _require_proposed(candidate)
    escalation = escalations.get(session, candidate.escalation_id)
    try:
        faq_id = add_approved_entry(candidate.question, list(candidate.paraphrases), candidate.answer,
                                    candidate.source, actor.display_name or actor.username,
                                    topic=escalation.department)
    except FaqError as error:
        raise DeskError(f"知识库校验未通过，未入库：{error}") from None
    candidate.state = APPROVED
    candidate.faq_id = faq_id
    candidate.reviewed_by_id = actor.id
    candidate.reviewed_at = now
    candidate.updated_at = now
    session.flush()
    return candidate


def reject(session: Session, candidate_id: int, actor: Account, reason: str | None = None,
           now: datetime | None = None) -> FaqCandidate:
    _require_maintainer(actor)
    now = now or utcnow()
    candidate = get(session, candidate_id)
    _require_proposed(candidate)
    candidate.state = REJECTED
    candidate.reject_reason = (reason or "").strip() or None
    candidate.reviewed_by_id = actor.id
    candidate.reviewed_at = now
    candidate.updated_at = now
    session.flush()
    return candidate
