"""The twilio SDK's transport for notify: its async HTTP client hook on one aiohttp connection pool.

A delivery job sends a whole batch concurrently (`messages.create_async`, at most `limit` requests in
flight) over keep-alive connections that live as long as the worker process, on an event loop that
runs in one background thread per process (`EventLoopThread`). Measured against the local test
server (bench/notify_bench.py), a message costs ~0.3 ms of client CPU this way, against ~0.5 ms with
urllib3 in threads and ~0.9 ms with the SDK's requests-based TwilioHttpClient — which, besides, keeps
the last response on the instance and so cannot be shared by threads.

A POST is never retried here (aiohttp retries a dropped keep-alive connection for idempotent methods
only): a create retried after Twilio accepted it would send the SMS twice. Connection failures and
timeouts surface as TRANSPORT_ERRORS; the delivery code treats them as "may or may not have been
accepted" and asks Twilio before any re-send.
"""
from __future__ import annotations

import asyncio
import atexit
import base64
import logging
import os
import threading
from urllib.parse import urlencode

import aiohttp
from twilio.http import AsyncHttpClient
from twilio.http.response import Response

TWILIO_API = "https://api.twilio.com"
TRANSPORT_ERRORS = (aiohttp.ClientError, asyncio.TimeoutError, OSError)


class EventLoopThread:
    """An asyncio loop in a daemon thread; `run(coroutine)` waits for its result from any thread."""

    def __init__(self, name: str = "twilio-io"):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name=name, daemon=True)
        self.thread.start()

    def run(self, coroutine, timeout: float | None = None):
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        try:
            return future.result(timeout)
        except BaseException:
            # e.g. RQ's job timeout interrupts the waiting thread: stop the batch too, so that no send
            # starts after the job gave up (rows already claimed stay `sending`; the sweeper and the
            # reconciliation before any re-send take it from there)
            future.cancel()
            raise

    def stop(self) -> None:
        if self.loop.is_running():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(5)


_loops: dict[int, EventLoopThread] = {}
_loops_lock = threading.Lock()


def event_loop_thread() -> EventLoopThread:
    """This process's loop (threads do not survive a fork, so a forked child makes its own)."""
    with _loops_lock:
        pid = os.getpid()
        if pid not in _loops:
            _loops[pid] = EventLoopThread()
        return _loops[pid]


class AsyncPooledHttpClient(AsyncHttpClient):
    """Twilio HTTP client on one aiohttp session (keep-alive pool of `limit` connections), created on
    first use inside the loop that runs the requests. `api_base` sends every request meant for
    https://api.twilio.com to another base URL (the local Twilio-compatible test server)."""

    def __init__(self, *, timeout: float | None = None, limit: int = 8, api_base: str | None = None):
        super().__init__(logging.getLogger("twilio.http_client"), True, timeout)
        self.api_base = api_base.rstrip("/") if api_base else None
        self.limit = limit
        self.session: aiohttp.ClientSession | None = None

    def _session(self) -> aiohttp.ClientSession:
        if self.session is None or self.session.closed:
            connector = aiohttp.TCPConnector(limit=self.limit, limit_per_host=self.limit)
            # a real Twilio endpoint honours HTTPS_PROXY; the local test server never goes through one
            self.session = aiohttp.ClientSession(connector=connector, trust_env=self.api_base is None)
        return self.session

    async def request(self, method, url, params=None, data=None, headers=None, auth=None, timeout=None,
                      allow_redirects=False) -> Response:
        if self.api_base and url.startswith(TWILIO_API):
            url = self.api_base + url[len(TWILIO_API):]
        headers = dict(headers or {})
        if auth:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")
            headers["Authorization"] = f"Basic {token}"
        if params:
            url = f"{url}{'&' if '?' in url else '?'}{urlencode(params, doseq=True)}"
        body = urlencode(data, doseq=True).encode() if data else None
        if body is not None:
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        seconds = timeout if timeout is not None else self.timeout
        async with self._session().request(
                method.upper(), url, data=body, headers=headers, allow_redirects=allow_redirects,
                timeout=aiohttp.ClientTimeout(total=seconds)) as answer:
            text = await answer.text()
            return Response(answer.status, text, answer.headers)

    async def close(self) -> None:
        if self.session is not None and not self.session.closed:
            await self.session.close()


def close_at_exit(http_client: AsyncPooledHttpClient, loop: EventLoopThread) -> None:
    """Close the pool before the interpreter goes (no 'Unclosed client session' noise)."""
    def close() -> None:
        if loop.loop.is_running() and os.getpid() in _loops:
            try:
                loop.run(http_client.close(), timeout=2)
            except Exception:   # noqa: BLE001 - exiting anyway
                logging.getLogger(__name__).debug("closing the twilio pool failed", exc_info=True)

    atexit.register(close)
