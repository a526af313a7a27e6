"""A local Twilio-compatible HTTP server for tests and benchmarks.

Implements enough of the Twilio REST API (2010-04-01 Messages) for the real `twilio` client:
create (POST .../Messages.json, form parameters), list (GET .../Messages.json with To/From filters)
and fetch (GET .../Messages/{Sid}.json). Authentication is HTTP Basic with the account SID and auth
token. Every request is recorded. Faults are scriptable: answer a number with a Twilio error code
(21211, 21610, ...), answer the next N creates with 500, or delay answers (optionally after the
message was accepted, to reproduce "provider accepted it but the client timed out").

The transport is a small HTTP/1.1 server on asyncio (keep-alive; a delayed answer holds only its own
connection), so that on the benchmark's 2 cores the test double costs little CPU per message.

In process:   server = TwilioTestServer().start(); ... server.stop()
Own process:  python -m devtools.twilio_testserver --port 4010 [--account-sid AC.. --auth-token ..]
Out-of-process control (JSON): GET /_test/messages, GET /_test/count, POST /_test/reset,
POST /_test/script {"delay": s, "faults": [Fault fields...]}.
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import json
import re
import signal
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import format_datetime
from urllib.parse import parse_qs, urlsplit

DEFAULT_ACCOUNT_SID = "AC" + "0" * 32
DEFAULT_AUTH_TOKEN = "test-auth-token"

ERROR_MESSAGES = {
    21211: "The 'To' number is not a valid phone number.",
    21614: "'To' number is not a valid mobile number",
    21610: "Attempt to send to unsubscribed recipient",
    20429: "Too Many Requests",
    20003: "Authenticate",
    20404: "The requested resource was not found",
    20500: "Internal Server Error",
}

_MESSAGES_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/Messages(?:/(?P<sid>[^/.]+))?\.json$")


@dataclass
class Fault:
    """What to do with a matching create request instead of (or before) accepting it."""
    status: int = 400              # HTTP status of an error answer
    code: int | None = None        # Twilio error code; None with status 500 means a bare server error
    delay: float = 0.0             # seconds to wait before answering
    accept: bool = False           # True: store the message, then delay/answer normally (timeouts)
    to: str | None = None          # only requests to this number; None: any
    times: int | None = 1          # how many requests it applies to; None: every request


@dataclass
class RecordedRequest:
    method: str
    path: str
    params: dict
    at: float = field(default_factory=time.time)


class TwilioState:
    """Everything the server knows; shared by the handler threads, guarded by one lock."""

    def __init__(self, account_sid: str, auth_token: str):
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.lock = threading.Lock()
        self.messages: list[dict] = []
        self.by_sid: dict[str, dict] = {}
        self.requests: list[RecordedRequest] = []
        self.faults: list[Fault] = []
        self.delay = 0.0

    def reset(self) -> None:
        with self.lock:
            self.messages.clear()
            self.by_sid.clear()
            self.requests.clear()
            self.faults.clear()
            self.delay = 0.0

    def take_fault(self, to: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.to is None or fault.to == to:
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self.faults.remove(fault)
                    return fault
        return None

    def store(self, params: dict) -> dict:
        now = datetime.now(timezone.utc)
        sid = "SM" + uuid.uuid4().hex
        body = params.get("Body", "")
        message = {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "body": body,
            "date_created": format_datetime(now),
            "date_sent": None,
            "date_updated": format_datetime(now),
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": params.get("From"),
            "messaging_service_sid": params.get("MessagingServiceSid"),
            "num_media": "0",
            "num_segments": str(segments(body)),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "queued" if params.get("MessagingServiceSid") is None else "accepted",
            "subresource_uris": {"media": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}/Media.json"},
            "to": params.get("To"),
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
            # Not in Twilio's answer; kept for tests (the request's callback URL).
            "_status_callback": params.get("StatusCallback"),
            "_received_at": time.time(),
        }
        with self.lock:
            self.messages.append(message)
            self.by_sid[sid] = message
        return message


def segments(body: str) -> int:
    gsm = all(ord(ch) < 128 for ch in body)
    single, part = (160, 153) if gsm else (70, 67)
    if len(body) <= single:
        return 1
    return -(-len(body) // part)


def public(message: dict) -> dict:
    return {k: v for k, v in message.items() if not k.startswith("_")}


class _Request:
    __slots__ = ("method", "path", "query", "headers", "body")

    def __init__(self, method: str, target: str, headers: dict[str, str], body: bytes):
        url = urlsplit(target)
        self.method = method
        self.path = url.path
        self.query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        self.headers = headers          # lower-case names
        self.body = body

    def form(self) -> dict:
        raw = self.body.decode() if self.body else ""
        return {k: v[-1] for k, v in parse_qs(raw, keep_blank_values=True).items()}


class _Answer:
    """What to answer. `delay`: pause before answering; `pending`: a function that makes the payload
    after that pause (a create stores its message then), followed by a further pause `after`."""
    __slots__ = ("status", "body", "content_type", "delay", "pending", "after")

    def __init__(self, status: int, payload=None, *, text: bytes | None = None, delay: float = 0.0,
                 pending=None, after: float = 0.0):
        self.status, self.delay, self.pending, self.after = status, delay, pending, after
        if text is not None:
            self.body, self.content_type = text, "text/plain"
        else:
            self.body = json.dumps(payload, ensure_ascii=False).encode()
            self.content_type = "application/json; charset=utf-8"

    def complete(self) -> None:
        if self.pending is not None:
            self.body = json.dumps(self.pending(), ensure_ascii=False).encode()


def _json_error(status: int, code: int | None, message: str | None = None, delay: float = 0.0) -> _Answer:
    if code is None:
        return _Answer(status, text=b"Internal Server Error", delay=delay)
    return _Answer(status, {"code": code, "message": message or ERROR_MESSAGES.get(code, "Error"),
                            "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status},
                   delay=delay)


class _Api:
    """The Twilio REST API over TwilioState: plain functions of a request, no I/O."""

    def __init__(self, state: TwilioState):
        self.state = state

    def answer(self, request: _Request) -> _Answer:
        if request.path.startswith("/_test/"):
            return self._control(request)
        if request.method == "GET":
            return self._get(request)
        if request.method == "POST":
            return self._create(request)
        return _json_error(405, 20404)

    def _authorised(self, request: _Request, account: str) -> bool:
        header = request.headers.get("authorization", "")
        if not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return False
        return user == self.state.account_sid == account and password == self.state.auth_token

    def _record(self, method: str, path: str, params: dict) -> None:
        with self.state.lock:
            self.state.requests.append(RecordedRequest(method, path, params))

    def _get(self, request: _Request) -> _Answer:
        state = self.state
        self._record("GET", request.path, request.query)
        match = _MESSAGES_PATH.match(request.path)
        if not match:
            return _json_error(404, 20404)
        if not self._authorised(request, match["account"]):
            return _json_error(401, 20003)
        if match["sid"]:
            with state.lock:
                message = state.by_sid.get(match["sid"])
            if message is None:
                return _json_error(404, 20404)
            return _Answer(200, public(message))
        return _Answer(200, self._list(request.query, request.path))

    def _list(self, query: dict, path: str) -> dict:
        with self.state.lock:
            found = [public(m) for m in reversed(self.state.messages)
                     if ("To" not in query or m["to"] == query["To"])
                     and ("From" not in query or m["from"] == query["From"])]
        page_size = int(query.get("PageSize", 50))
        return {"messages": found[:page_size], "page": 0, "page_size": page_size, "start": 0,
                "end": max(len(found[:page_size]) - 1, 0), "uri": path, "first_page_uri": path,
                "next_page_uri": None, "previous_page_uri": None}

    def _create(self, request: _Request) -> _Answer:
        state = self.state
        params = request.form()
        self._record("POST", request.path, params)
        match = _MESSAGES_PATH.match(request.path)
        if not match or match["sid"]:
            return _json_error(404, 20404)
        if not self._authorised(request, match["account"]):
            return _json_error(401, 20003)
        if not params.get("To") or not params.get("Body"):
            return _json_error(400, 21604, "A 'To' phone number and a 'Body' are required.")
        if not params.get("From") and not params.get("MessagingServiceSid"):
            return _json_error(400, 21603, "A 'From' phone number or 'MessagingServiceSid' is required.")
        fault = state.take_fault(params["To"])
        # state.delay applies before anything happens; a fault's delay before its error answer, or
        # (accept=True) after the message was stored — the client may give up meanwhile.
        if fault is not None and not fault.accept:
            return _json_error(fault.status, fault.code, delay=state.delay + fault.delay)
        return _Answer(201, delay=state.delay, pending=lambda: public(state.store(params)),
                       after=fault.delay if fault is not None else 0.0)

    def _control(self, request: _Request) -> _Answer:
        state = self.state
        if request.path == "/_test/messages" and request.method == "GET":
            with state.lock:
                return _Answer(200, [dict(m) for m in state.messages])
        if request.path == "/_test/count" and request.method == "GET":
            with state.lock:
                return _Answer(200, {"messages": len(state.messages), "requests": len(state.requests)})
        if request.method != "POST":
            return _json_error(404, 20404)
        payload = json.loads(request.body or b"{}")
        if request.path == "/_test/reset":
            state.reset()
        elif request.path == "/_test/script":
            with state.lock:
                if "delay" in payload:
                    state.delay = float(payload["delay"])
                for fault in payload.get("faults", []):
                    state.faults.append(Fault(**fault))
        else:
            return _json_error(404, 20404)
        return _Answer(200, {"ok": True})


_REASONS = {200: "OK", 201: "Created", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found",
            405: "Method Not Allowed", 429: "Too Many Requests", 500: "Internal Server Error",
            503: "Service Unavailable"}


class _AsyncHttpServer:
    """A small HTTP/1.1 server on asyncio: keep-alive connections, Content-Length bodies, one request
    at a time per connection (as HTTP/1.1 clients without pipelining send them). A delayed answer
    holds only its own connection."""

    def __init__(self, host: str, port: int, api: _Api):
        self.api = api
        self.loop = asyncio.new_event_loop()
        self.connections: set[asyncio.Task] = set()
        # Bind from a thread of our own: the caller's thread may already run an event loop (Playwright's
        # sync API does), and a loop cannot be run from inside another one.
        bound: dict = {}

        def bind() -> None:
            try:
                bound["server"] = self.loop.run_until_complete(
                    asyncio.start_server(self._connection, host, port, backlog=256, reuse_address=True))
            except BaseException as error:  # re-raised in the caller's thread
                bound["error"] = error

        binder = threading.Thread(target=bind, name="twilio-testserver-bind")
        binder.start()
        binder.join()
        if "error" in bound:
            raise bound["error"]
        self.server = bound["server"]
        self.server_address = self.server.sockets[0].getsockname()[:2]

    def serve_forever(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_forever()
        finally:
            self.server.close()
            for task in list(self.connections):
                task.cancel()
            self.loop.run_until_complete(asyncio.gather(*self.connections, return_exceptions=True))
            self.loop.run_until_complete(self.server.wait_closed())
            self.loop.close()

    def shutdown(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        self.connections.add(task)
        try:
            while await self._exchange(reader, writer):
                pass
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ValueError):
            pass   # the client went away (or spoke something else than HTTP/1.x)
        except asyncio.CancelledError:
            pass
        finally:
            self.connections.discard(task)
            writer.close()

    async def _exchange(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """One request and its answer; False when the connection is to be closed."""
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, version = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length") or 0)
        body = await reader.readexactly(length) if length else b""
        answer = self.api.answer(_Request(method, target, headers, body))
        if answer.delay:
            await asyncio.sleep(answer.delay)
        answer.complete()
        if answer.after:
            await asyncio.sleep(answer.after)   # stored: if the client gives up now, it stays accepted
        keep_alive = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
        writer.write(f"HTTP/1.1 {answer.status} {_REASONS.get(answer.status, 'Unknown')}\r\n"
                     f"Content-Type: {answer.content_type}\r\nContent-Length: {len(answer.body)}\r\n"
                     f"Connection: {'keep-alive' if keep_alive else 'close'}\r\n\r\n".encode("latin-1")
                     + answer.body)
        await writer.drain()
        return keep_alive


class TwilioTestServer:
    """The server with a Python API for scripting faults and reading what arrived."""

    def __init__(self, port: int = 0, account_sid: str = DEFAULT_ACCOUNT_SID, auth_token: str = DEFAULT_AUTH_TOKEN,
                 host: str = "127.0.0.1"):
        self._state = TwilioState(account_sid, auth_token)
        self._server = _AsyncHttpServer(host, port, _Api(self._state))
        self._thread: threading.Thread | None = None

    # -- lifecycle
    @property
    def state(self) -> TwilioState:
        return self._state

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def account_sid(self) -> str:
        return self.state.account_sid

    @property
    def auth_token(self) -> str:
        return self.state.auth_token

    def env(self) -> dict[str, str]:
        """The settings that point Yici's Twilio provider at this server."""
        return {"TWILIO_ACCOUNT_SID": self.account_sid, "TWILIO_AUTH_TOKEN": self.auth_token,
                "TWILIO_API_BASE": self.url, "TWILIO_FROM_NUMBER": "+8610690000"}

    def start(self) -> "TwilioTestServer":
        self._thread = threading.Thread(target=self._server.serve_forever, name="twilio-testserver", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        if self._thread:
            self._thread.join(5)

    def __enter__(self) -> "TwilioTestServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- scripting
    def fail(self, code: int | None = None, status: int | None = None, to: str | None = None,
             times: int | None = 1, delay: float = 0.0) -> None:
        """Answer matching creates with a Twilio error (400 + code) or a bare server error (500)."""
        status = status or (500 if code is None else 400)
        with self.state.lock:
            self.state.faults.append(Fault(status=status, code=code, to=to, times=times, delay=delay))

    def accept_slowly(self, delay: float, to: str | None = None, times: int | None = 1) -> None:
        """Store the message, then wait `delay` seconds before answering (client timeouts)."""
        with self.state.lock:
            self.state.faults.append(Fault(accept=True, delay=delay, to=to, times=times))

    def set_delay(self, seconds: float) -> None:
        self.state.delay = seconds

    def reset(self) -> None:
        self.state.reset()

    # -- what arrived
    @property
    def messages(self) -> list[dict]:
        with self.state.lock:
            return [dict(m) for m in self.state.messages]

    def messages_to(self, to: str) -> list[dict]:
        return [m for m in self.messages if m["to"] == to]

    @property
    def requests(self) -> list[RecordedRequest]:
        with self.state.lock:
            return list(self.state.requests)

    def creates(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == "POST"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Local Twilio-compatible test server")
    parser.add_argument("--port", type=int, default=4010)
    parser.add_argument("--account-sid", default=DEFAULT_ACCOUNT_SID)
    parser.add_argument("--auth-token", default=DEFAULT_AUTH_TOKEN)
    args = parser.parse_args(argv)
    server = TwilioTestServer(args.port, args.account_sid, args.auth_token)
    print(f"Twilio test server on {server.url} (account {server.account_sid})", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: server._server.shutdown())
    try:
        server._server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
