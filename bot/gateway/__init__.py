"""The Flask gateway: web chat, SMS webhooks, staff/reviewer/desk consoles, health and metrics."""
from bot.gateway.app import create_app

__all__ = ["create_app"]
