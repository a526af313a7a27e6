"""What the desk sends through notify/: the expert's answer to the applicant, target reminders to staff.

Both are recorded in the caller's transaction (notify.outbox.record); notify enqueues the delivery
jobs after the commit. Event keys make recording the same thing twice a no-op.
"""
from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from conversations.models import SMS, WEB, Conversation
from core.accounts import A_POST, Account
from core.config import get_settings
from desk.models import CLAIMED, Escalation, EscalationEvent, StaffContact

log = logging.getLogger(__name__)

ANSWER_TEMPLATE = "escalation_answer"
REMINDER_TEMPLATE = "escalation_reminder"


def escalation_link(escalation: Escalation) -> str:
    return f"{get_settings().public_base_url.rstrip('/')}/desk/escalations/{escalation.id}"


def answer_recipients(session: Session, escalation: Escalation) -> tuple[str | None, str | None]:
    """(phone, conversation_id) of the applicant: the phone left at the counter, the web conversation
    (a chat message), or the SMS conversation's number."""
    phone, conversation_id = escalation.phone, None
    if escalation.conversation_id:
        conversation = session.get(Conversation, escalation.conversation_id)
        if conversation is not None and conversation.channel == WEB:
            conversation_id = conversation.id
        elif conversation is not None and conversation.channel == SMS and not phone:
            phone = conversation.phone
    return phone, conversation_id


def _record(session: Session, escalation: Escalation, **kwargs) -> list:
    from notify import InvalidRecipient, outbox

    try:
        return outbox.record(session, **kwargs)
    except InvalidRecipient as error:
        # The answer or reminder itself stands; the failed delivery is on the escalation's record.
        log.warning("desk escalation %s: %s not sent: %s", escalation.id, kwargs.get("template"), error)
        session.add(EscalationEvent(escalation_id=escalation.id, action="undeliverable",
                                    detail={"template": kwargs.get("template"), "error": str(error)}))
        return []


def deliver_answer(session: Session, escalation: Escalation) -> list:
    phone, conversation_id = answer_recipients(session, escalation)
    if not phone and not conversation_id:
        return []
    return _record(session, escalation, event_key=f"desk-escalation-{escalation.id}-answer",
                   template=ANSWER_TEMPLATE,
                   personalisation={"question": escalation.question, "answer": escalation.answer},
                   phone=phone, conversation_id=conversation_id)


def reminder_recipients(session: Session, escalation: Escalation) -> list[tuple[Account, str]]:
    """The owner of a claimed escalation, else every active A-post of its department; only those who
    left a mobile number for reminders."""
    if escalation.state == CLAIMED and escalation.owner_id:
        accounts = [session.get(Account, escalation.owner_id)]
    else:
        accounts = list(session.scalars(select(Account).where(Account.role == A_POST, Account.active.is_(True),
                                                              Account.department == escalation.department)))
    phones = {c.account_id: c.phone for c in session.scalars(
        select(StaffContact).where(StaffContact.account_id.in_([a.id for a in accounts if a])))}
    return [(account, phones[account.id]) for account in accounts if account and account.id in phones]


def send_reminder(session: Session, escalation: Escalation, waiting_minutes: int) -> list:
    sent = []
    for account, phone in reminder_recipients(session, escalation):
        sent += _record(session, escalation, event_key=f"desk-escalation-{escalation.id}-reminder-{account.id}",
                        template=REMINDER_TEMPLATE,
                        personalisation={"question": escalation.question, "waiting_minutes": waiting_minutes,
                                         "level": f"A岗·{escalation.department}", "link": escalation_link(escalation)},
                        phone=phone)
    return sent


def set_reminder_phone(session: Session, account: Account, phone: str | None) -> StaffContact | None:
    """A desk member's mobile number for target reminders (empty removes it). Raises DeskError."""
    from core.identity import InvalidIdentifier, normalise_mobile
    from desk.errors import DeskError

    contact = session.get(StaffContact, account.id)
    if not (phone or "").strip():
        if contact is not None:
            session.delete(contact)
            session.flush()
        return None
    try:
        normalised = normalise_mobile(phone)
    except InvalidIdentifier as error:
        raise DeskError(str(error)) from None
    if contact is None:
        contact = StaffContact(account_id=account.id, phone=normalised)
        session.add(contact)
    else:
        contact.phone = normalised
    session.flush()
    return contact
