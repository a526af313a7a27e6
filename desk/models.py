"""Tables of desk (declared on core.db.Base; migrated by its own Alembic branch).

The escalation desk follows the "123" consultation tier of seed 001: B-post staff triage handoffs,
A-post experts answer for one department, the section chief sees everything and reassigns; window
staff (导办专窗) escalate counter questions. Account and conversation ids are stored without foreign
keys (tables of other packages).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime, utcnow

# escalation states (open -> claimed -> answered -> closed)
OPEN = "open"
CLAIMED = "claimed"
ANSWERED = "answered"
CLOSED = "closed"
STATES = (OPEN, CLAIMED, ANSWERED, CLOSED)
STATE_LABELS = {OPEN: "待认领", CLAIMED: "处理中", ANSWERED: "已答复", CLOSED: "已关闭"}

# what was escalated
KIND_CONVERSATION = "conversation"  # a whole applicant conversation (B-post)
KIND_QUESTION = "question"          # one applicant message of a conversation (B-post)
KIND_COUNTER = "counter"            # a question asked at the counter, no conversation (window staff)
KIND_LABELS = {KIND_CONVERSATION: "整段会话", KIND_QUESTION: "单个问题", KIND_COUNTER: "窗口咨询"}

# FAQ candidate states
PROPOSED = "proposed"
APPROVED = "approved"
REJECTED = "rejected"
CANDIDATE_LABELS = {PROPOSED: "待审核", APPROVED: "已入库", REJECTED: "已驳回"}


class Escalation(Base):
    __tablename__ = "desk_escalations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    # the tier (role) of the staff member who escalated: b_post, window_staff, chief, admin
    origin_role: Mapped[str] = mapped_column(String(16), nullable=False)
    department: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    state: Mapped[str] = mapped_column(String(10), nullable=False, default=OPEN, index=True)
    question: Mapped[str] = mapped_column(Text, nullable=False)
    note: Mapped[str | None] = mapped_column(Text)
    topic: Mapped[str | None] = mapped_column(String(64))
    conversation_id: Mapped[str | None] = mapped_column(String(32), index=True)
    message_id: Mapped[int | None] = mapped_column(Integer)
    phone: Mapped[str | None] = mapped_column(String(20))       # E.164; the applicant wants the answer by SMS
    created_by_id: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    owner_id: Mapped[int | None] = mapped_column(Integer, index=True)  # the A-post working on it
    answer: Mapped[str | None] = mapped_column(Text)
    answer_source: Mapped[str | None] = mapped_column(String(500))
    answered_by_id: Mapped[int | None] = mapped_column(Integer)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    @property
    def state_label(self) -> str:
        return STATE_LABELS.get(self.state, self.state)

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)


class EscalationEvent(Base):
    """Audit trail of one escalation: who did what, when."""

    __tablename__ = "desk_escalation_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    escalation_id: Mapped[int] = mapped_column(ForeignKey("desk_escalations.id"), index=True, nullable=False)
    action: Mapped[str] = mapped_column(String(16), nullable=False)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class StaffContact(Base):
    """A desk member's mobile number for target reminders (accounts carry none)."""

    __tablename__ = "desk_staff_contacts"

    account_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    phone: Mapped[str] = mapped_column(String(20), nullable=False)


class FaqCandidate(Base):
    """An answered escalation proposed for the knowledge base; shown to nobody outside the desk until
    a maintainer approves it (approval writes the FAQ entry through knowledge.faq_admin)."""

    __tablename__ = "desk_faq_candidates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    escalation_id: Mapped[int] = mapped_column(ForeignKey("desk_escalations.id"), unique=True, nullable=False)
    state: Mapped[str] = mapped_column(String(10), nullable=False, default=PROPOSED, index=True)
    question: Mapped[str] = mapped_column(Text, nullable=False)
    paraphrases: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    answer: Mapped[str] = mapped_column(Text, nullable=False)
    source: Mapped[str] = mapped_column(String(500), nullable=False)
    proposed_by_id: Mapped[int] = mapped_column(Integer, nullable=False)
    reviewed_by_id: Mapped[int | None] = mapped_column(Integer)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reject_reason: Mapped[str | None] = mapped_column(Text)
    faq_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    @property
    def state_label(self) -> str:
        return CANDIDATE_LABELS.get(self.state, self.state)
