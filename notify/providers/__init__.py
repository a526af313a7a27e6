"""Delivery providers behind one interface (notify.providers.base.Provider)."""
from __future__ import annotations

from core.config import get_settings
from notify.models import CHAT, SMS
from notify.providers.base import Provider


def sms_provider() -> Provider:
    """Twilio when it is configured, otherwise the console provider (records in the database)."""
    if get_settings().twilio_enabled:
        from notify.providers.twilio import twilio_provider

        return twilio_provider()
    from notify.providers.console import ConsoleProvider

    return ConsoleProvider()


def provider_for(channel: str) -> Provider:
    if channel == SMS:
        return sms_provider()
    if channel == CHAT:
        from notify.providers.chat import ChatProvider

        return ChatProvider()
    raise ValueError(f"unknown channel {channel!r}")
