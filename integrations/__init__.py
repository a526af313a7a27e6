"""Workflow integration: the structured application, pre-review tasks, deadlines and signed events.

    from integrations import get_workflow
    receipt = get_workflow().submit(session, application_dict, conversation_id=...)

`get_workflow()` returns the client configured by settings.workflow_backend (embedded | http).
"""
from __future__ import annotations

from core.config import get_settings
from integrations.base import DECISIONS, WorkflowClient
from integrations.errors import (Conflict, InvalidApplication, InvalidDecision, NotFound, PhoneMismatch,
                                 ResubmitRejected, WorkflowError, WorkflowUnavailable)
from integrations.schema import Application, parse_application
from integrations.status import ApplicationStatus, Receipt, TaskStatus

__all__ = ["get_workflow", "WorkflowClient", "DECISIONS", "Application", "parse_application",
           "ApplicationStatus", "Receipt", "TaskStatus", "WorkflowError", "NotFound", "PhoneMismatch",
           "Conflict", "InvalidDecision", "InvalidApplication", "ResubmitRejected", "WorkflowUnavailable"]


def get_workflow() -> WorkflowClient:
    settings = get_settings()
    if settings.workflow_backend == "http":
        from integrations.http import HttpWorkflow

        return HttpWorkflow.from_settings(settings)
    if settings.workflow_backend != "embedded":
        raise ValueError(f"WORKFLOW_BACKEND must be embedded or http, not {settings.workflow_backend!r}")
    from integrations.embedded import EmbeddedWorkflow

    return EmbeddedWorkflow()
