"""Service ratings (好差评) the bot collects after a finished journey: one small table."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.db import Base, UTCDateTime, utcnow


class ServiceRating(Base):
    __tablename__ = "bot_ratings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(String(64), index=True, nullable=False)
    rating: Mapped[int] = mapped_column(Integer, nullable=False)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


def record_rating(session: Session, conversation_id: str, rating: int, comment: str | None = None) -> ServiceRating:
    if not 1 <= rating <= 5:
        raise ValueError("rating must be 1-5")
    row = ServiceRating(conversation_id=conversation_id, rating=rating, comment=comment or None)
    session.add(row)
    session.flush()
    return row
