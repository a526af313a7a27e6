from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime, utcnow

# channels
WEB = "web"
SMS = "sms"

# who owns the conversation
BOT = "bot"          # Rasa answers
WAITING = "waiting"  # handed off, waiting in the staff queue; the bot is silent
HUMAN = "human"      # a staff member owns it; the bot is silent
CLOSED = "closed"

# message authors
APPLICANT = "applicant"
BOT_AUTHOR = "bot"
STAFF = "staff"
SYSTEM = "system"    # pushed notifications (pre-review results, ...)
NOTE = "note"        # staff-internal note, never shown to the applicant

# applicant message states
PENDING = "pending"      # stored, not yet answered (bot down: answered when it is back)
ANSWERED = "answered"
HELD = "held"            # arrived while a human owns the conversation; never sent to Rasa
LIMITED = "limited"      # over the sender's rate limit: kept in the transcript, not sent to Rasa


def new_conversation_id() -> str:
    return uuid.uuid4().hex


class Conversation(Base):
    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_conversation_id)
    channel: Mapped[str] = mapped_column(String(8), nullable=False, default=WEB)
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    status: Mapped[str] = mapped_column(String(8), nullable=False, default=BOT)
    owner_id: Mapped[int | None] = mapped_column(Integer)
    handoff_reason: Mapped[str | None] = mapped_column(String(200))
    waiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)


class Message(Base):
    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True, nullable=False)
    author: Mapped[str] = mapped_column(String(12), nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    data: Mapped[dict | None] = mapped_column(JSON)          # {"buttons": [...], "link": ...}
    state: Mapped[str | None] = mapped_column(String(10))     # applicant messages only
    channel_ref: Mapped[str | None] = mapped_column(String(64), unique=True)  # e.g. Twilio MessageSid
    staff_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


# audited staff actions
REVEAL_ID_NUMBER = "reveal_id_number"


class AuditEvent(Base):
    """Staff actions on transcripts that must be accountable (revealing a masked ID number)."""

    __tablename__ = "conversation_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    conversation_id: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    message_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(32), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
