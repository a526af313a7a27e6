"""What the staff console shows of transcripts: search by phone or application number, ID numbers masked."""
from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from conversations import store
from conversations.models import Conversation, Message
from core.config import get_settings
from core.db import utcnow
from core.identity import InvalidIdentifier, mask_id_numbers_in_text, normalise_mobile

APPLICATION_NUMBER = re.compile(r"^YC\d{8}-\d{4}$", re.IGNORECASE)


def conversations_for_application(session: Session, application_id: str) -> tuple[list[str], str | None]:
    """(conversation ids, phone) recorded with an application by the workflow module."""
    from integrations.models import WorkflowApplication

    row = session.scalar(select(WorkflowApplication).where(WorkflowApplication.application_id == application_id))
    if row is None:
        return [], None
    return ([row.conversation_id] if row.conversation_id else []), row.phone


def search(session: Session, query: str) -> list[Conversation]:
    """A phone number (any usual spelling), an application number (YC20261122-0001) or other text."""
    query = (query or "").strip()
    if not query:
        return []
    if APPLICATION_NUMBER.match(query):
        application_id = query.upper()
        ids, phone = conversations_for_application(session, application_id)
        return store.search(session, conversation_ids=ids, phone=phone, text=application_id)
    try:
        return store.search(session, phone=normalise_mobile(query))
    except InvalidIdentifier:
        return store.search(session, text=query)


def present(message: Message, revealed: set[int] = frozenset()) -> dict:
    """A message for the console: ID numbers masked unless this message was revealed (audited)."""
    out = store.message_to_dict(message)
    out["state"] = message.state
    out["time"] = local_time(message.created_at)
    out["staff_id"] = message.staff_id
    if message.id not in revealed:
        out["text"] = mask_id_numbers_in_text(message.text)
    out["maskable"] = out["text"] != message.text or (message.id in revealed
                                                       and mask_id_numbers_in_text(message.text) != message.text)
    return out


def waiting_minutes(conversation: Conversation) -> int:
    if conversation.waiting_since is None:
        return 0
    return int((utcnow() - conversation.waiting_since).total_seconds() // 60)


def local_time(moment: datetime) -> str:
    """Month-day hour:minute in the service's time zone (Asia/Shanghai)."""
    return moment.astimezone(ZoneInfo(get_settings().timezone)).strftime("%m-%d %H:%M")
