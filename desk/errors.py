"""Errors of the escalation desk; str(error) is a Chinese message the console shows as it is."""
from __future__ import annotations


class DeskError(ValueError):
    """Bad input or a request the desk refuses; nothing has been changed."""


class NotFound(DeskError):
    pass


class NotPermitted(DeskError):
    """The account's role or department does not allow this action."""


class InvalidTransition(DeskError):
    """The escalation is not in a state that allows this action (or another user changed it first)."""
