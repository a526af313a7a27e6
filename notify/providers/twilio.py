"""Twilio SMS through the real twilio SDK (one client and one connection pool per worker process).

A batch is sent concurrently with the SDK's async API (`messages.create_async`, at most
SEND_CONCURRENCY requests in flight) over keep-alive connections (notify.providers.twilio_http).
The status callback URL is settings.public_base_url + "/sms/status?n=<notification id>", so a receipt
finds its row even when the worker died before it stored the MessageSid. When TWILIO_API_BASE is set
(the local test server) every request to https://api.twilio.com goes there instead.
"""
from __future__ import annotations

import asyncio
import logging
import os
import time
from datetime import timedelta
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from core.config import Settings, get_settings
from notify.models import PERMANENT_FAILURE, Notification
from notify.providers.base import (OPTED_OUT, PERMANENT_ERROR_CODES, NotAttempted, Provider, SendResult,
                                   TemporaryProviderError, status_for_twilio)
from notify.providers.twilio_http import (TRANSPORT_ERRORS, AsyncPooledHttpClient, close_at_exit,
                                          event_loop_thread)

log = logging.getLogger(__name__)

TWILIO_API = "https://api.twilio.com"
# An earlier attempt can only have been sent after its row was created (allow for clock skew).
RECONCILE_MARGIN = timedelta(minutes=5)
# Requests one worker process has in flight at Twilio at once (one keep-alive connection each).
SEND_CONCURRENCY = 8


class RebasedHttpClient(TwilioHttpClient):
    """The SDK's own (requests-based) client, sending requests for api.twilio.com to another base URL.
    One thread at a time: it keeps the last response on the instance. The benchmark's baseline and
    the test server's tests use it; the pipeline uses AsyncPooledHttpClient."""

    def __init__(self, api_base: str, **kwargs):
        super().__init__(**kwargs)
        self.api_base = api_base.rstrip("/")
        if self.session is not None:
            self.session.trust_env = False   # a local endpoint: no proxy look-up per request

    def request(self, method, url, *args, **kwargs):
        if url.startswith(TWILIO_API):
            url = self.api_base + url[len(TWILIO_API):]
        return super().request(method, url, *args, **kwargs)


def build_client(settings: Settings) -> Client:
    """A twilio Client on the pooled async transport (use its *_async methods)."""
    http_client = AsyncPooledHttpClient(timeout=settings.twilio_http_timeout, limit=SEND_CONCURRENCY,
                                        api_base=settings.twilio_api_base or None)
    return Client(settings.twilio_account_sid, settings.twilio_auth_token, http_client=http_client)


def status_callback_url(settings: Settings, notification_id: int) -> str:
    return f"{settings.public_base_url.rstrip('/')}/sms/status?n={notification_id}"


class TwilioProvider(Provider):
    name = "twilio"
    local = False
    concurrency = SEND_CONCURRENCY

    def __init__(self, settings: Settings):
        self.settings = settings
        self.client = build_client(settings)
        self.io = event_loop_thread()
        close_at_exit(self.client.http_client, self.io)

    def _sender(self) -> dict:
        if self.settings.twilio_messaging_service_sid:
            return {"messaging_service_sid": self.settings.twilio_messaging_service_sid}
        return {"from_": self.settings.twilio_from_number}

    def send(self, session: Session | None, notification: Notification) -> SendResult:
        [answer] = self.send_many([notification])
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def send_many(self, notifications: list[Notification], deadline: float | None = None
                  ) -> list[SendResult | BaseException]:
        """Every message of a batch: the first alone, then the rest at most SEND_CONCURRENCY at a time;
        one answer per message in order (a TemporaryProviderError or an unexpected exception stands in for a result). Messages
        whose turn comes after `deadline` (time.monotonic()) are not sent: NotAttempted."""
        return self.io.run(self._send_all(notifications, deadline))

    async def _send_all(self, notifications: list[Notification], deadline: float | None
                        ) -> list[SendResult | BaseException]:
        slots = asyncio.Semaphore(self.concurrency)   # the request timeout then excludes waiting for a slot

        async def one(notification: Notification) -> SendResult | BaseException:
            async with slots:
                if deadline is not None and time.monotonic() >= deadline:
                    return NotAttempted()
                try:
                    return await self._send_one(notification)
                except Exception as error:   # noqa: BLE001 - handed back as this message's answer
                    return error

        if not notifications:
            return []
        # The first message goes alone, the rest together: a provider that hangs or fails is met by
        # one request, not by SEND_CONCURRENCY at once.
        first = await one(notifications[0])
        return [first, *await asyncio.gather(*(one(n) for n in notifications[1:]))]

    async def _send_one(self, notification: Notification) -> SendResult:
        try:
            message = await self.client.messages.create_async(
                to=notification.recipient, body=notification.body,
                status_callback=status_callback_url(self.settings, notification.id), **self._sender())
        except TwilioRestException as error:
            return self._rejected(error)
        except TRANSPORT_ERRORS as error:
            # Timeout or connection failure: the message may or may not have been accepted.
            raise TemporaryProviderError(f"twilio unreachable: {type(error).__name__}") from error
        return SendResult(status=status_for_twilio(message.status, message.error_code), reference=message.sid)

    def _rejected(self, error: TwilioRestException) -> SendResult:
        code = error.code
        if code is not None and int(code) in PERMANENT_ERROR_CODES:
            return SendResult(status=PERMANENT_FAILURE, error_code=str(code), error_message=str(error.msg)[:500])
        raise TemporaryProviderError(f"twilio {error.status} code {code}: {error.msg}") from error

    def find(self, session: Session, notification: Notification) -> SendResult | None:
        """Look for a message an interrupted attempt may have sent: same number and body, created since
        the row was, and not already the MessageSid of another notification."""
        try:
            listed = self.io.run(self.client.messages.list_async(to=notification.recipient, limit=50))
        except (TwilioRestException, *TRANSPORT_ERRORS) as error:
            raise TemporaryProviderError(f"twilio lookup failed: {error}") from error
        since = notification.created_at - RECONCILE_MARGIN
        candidates = [m for m in listed if m.body == notification.body
                      and (m.date_created is None or m.date_created >= since)]
        if not candidates:
            return None
        taken = set(session.scalars(select(Notification.provider_ref).where(
            Notification.provider_ref.in_([m.sid for m in candidates]), Notification.id != notification.id)))
        for message in sorted(candidates, key=lambda m: m.date_created or since):
            if message.sid not in taken:
                return SendResult(status=status_for_twilio(message.status, message.error_code),
                                  reference=message.sid)
        return None


@lru_cache(maxsize=4)
def _provider(settings: Settings, pid: int) -> TwilioProvider:
    return TwilioProvider(settings)


def twilio_provider() -> TwilioProvider:
    """One provider (and so one connection pool) per process and settings."""
    return _provider(get_settings(), os.getpid())


def is_opt_out_error(result: SendResult) -> bool:
    return result.error_code == str(OPTED_OUT)
