"""notify: every message Yici originates, delivered exactly once by SMS and chat.

Public entry points: notify.outbox.record(), notify.policies.record_opt_out/is_opted_out,
notify.callbacks.apply_twilio_status(); see docs/contracts.md.
"""
from __future__ import annotations

from core.identity import InvalidIdentifier


class InvalidRecipient(InvalidIdentifier):
    """The phone number cannot receive SMS; str(error) is a Chinese message for the applicant."""
