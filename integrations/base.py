"""The workflow client interface the bot and the gateway use (embedded or http implementation).

Every method takes the caller's SQLAlchemy session and never commits: the caller's transaction holds the
application, its tasks, their events and the notify rows together.
"""
from __future__ import annotations

from abc import ABC, abstractmethod

from sqlalchemy.orm import Session

from integrations.schema import Application
from integrations.status import ApplicationStatus, Receipt, TaskStatus

# Decisions a reviewer (console or department system) may take, mapped onto state-machine actions.
DECISIONS = ("pass", "return", "approve", "issue")


class WorkflowClient(ABC):
    @abstractmethod
    def submit(self, session: Session, application: Application | dict,
               conversation_id: str | None = None) -> Receipt:
        """Hand over a validated application; raises InvalidApplication ({field: 中文消息})."""

    @abstractmethod
    def status(self, session: Session, application_id: str, phone: str) -> ApplicationStatus:
        """Status of each task; NotFound for an unknown number, PhoneMismatch when the phone is not the applicant's."""

    @abstractmethod
    def applications_for_conversation(self, session: Session, conversation_id: str) -> list[ApplicationStatus]:
        """Applications submitted from one conversation, newest first (no phone check: same conversation)."""

    @abstractmethod
    def resubmit(self, session: Session, application_id: str, phone: str, changes: dict) -> ApplicationStatus:
        """Change only the fields the returned tasks ask to fix; ResubmitRejected / InvalidApplication otherwise."""

    @abstractmethod
    def decide(self, session: Session, task_id: int | str, decision: str, reason: str | None = None,
               fix: list[str] | None = None, reviewer_id: int | None = None,
               expected_version: int | None = None) -> TaskStatus:
        """pass | return (reason and fix required) | approve | issue; Conflict on a stale or invalid transition."""
