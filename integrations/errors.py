"""Errors the workflow raises; str(error) is a Chinese message fit for the applicant or the reviewer."""
from __future__ import annotations

from integrations.schema import InvalidApplication  # noqa: F401  (re-exported: field errors of an application)


class WorkflowError(Exception):
    """Base class; `code` is a stable machine-readable name (JSON APIs put it in {"error": {"code"}})."""

    code = "workflow_error"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotFound(WorkflowError):
    code = "not_found"


class PhoneMismatch(WorkflowError):
    code = "phone_mismatch"


class Conflict(WorkflowError):
    """A stale or invalid transition: someone else decided first, or the task is not in a state for it."""

    code = "conflict"


class InvalidDecision(WorkflowError):
    """Bad input for a decision (unknown decision, missing reason or fix items)."""

    code = "invalid_decision"


class ResubmitRejected(WorkflowError):
    """A resubmission that changes fields nobody asked to fix, misses one, or comes when nothing is returned."""

    code = "resubmit_rejected"


class WorkflowUnavailable(WorkflowError):
    """The external workflow system could not be reached (http backend) after retries."""

    code = "unavailable"
