"""A scripted HTTP server speaking Rasa's REST channel protocol, for the gateway's channel mechanics.

It answers POST /webhooks/rest/webhook like a Rasa server (a list of {"recipient_id", "text", "buttons",
"custom"}), POST /conversations/<id>/tracker/events like Rasa's HTTP API, and GET /health like the action
server. Every request is recorded, so a test can prove that a held message never reached "Rasa". It can be
stopped and started again on the same port (Rasa down, then back). The real bot is exercised by the
journeys marked `rasa` (tests/bot/gateway/test_journeys_rasa.py)."""
from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.support.redis_server import free_port

_TRACKER_EVENTS = re.compile(r"^/conversations/(?P<sender>[^/]+)/tracker/events$")


def scripted_reply(sender: str, text: str) -> list[dict]:
    """What the scripted bot says: a handoff for 人工, buttons for 选项, a long answer for 长, else an echo."""
    if text == "静默":
        return []   # what Rasa answers when the action server is down ("Bot will continue")
    if text == "人工":
        return [{"recipient_id": sender, "text": "好的，正在为您转接人工服务。"},
                {"recipient_id": sender, "custom": {"handoff": True, "reason": "申请人要求人工"}}]
    if text == "选项":
        return [{"recipient_id": sender, "text": "请选择店铺类型：",
                 "buttons": [{"title": "饭店", "payload": "/choose_scenario{\"scenario\": \"restaurant\"}"},
                             {"title": "便利店", "payload": "/choose_scenario{\"scenario\": \"store\"}"}]}]
    if text == "长":
        return [{"recipient_id": sender, "text": "开饭店需要办理：" + "、".join(f"事项{n}" for n in range(1, 40))},
                {"recipient_id": sender, "custom": {"link": "http://127.0.0.1/checklist/restaurant"}}]
    return [{"recipient_id": sender, "text": f"收到：{text}"}]


class RasaRestServer:
    def __init__(self, port: int | None = None, keep_alive: bool = False):
        self.port = port or free_port()
        self.keep_alive = keep_alive                # HTTP/1.1 connections kept open between requests
        self.turns: list[tuple[str, str]] = []      # (sender, message) in arrival order
        self.client_ports: list[tuple[str, int]] = []   # (path, the client's TCP port) of every request
        self.tracker_events: list[tuple[str, dict]] = []
        self._server: ThreadingHTTPServer | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def messages_from(self, sender: str) -> list[str]:
        with self._lock:
            return [message for s, message in self.turns if s == sender]

    def start(self) -> "RasaRestServer":
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1" if self.keep_alive else "HTTP/1.0"
            timeout = 5   # an idle kept-alive connection is closed after this long

            def log_message(self, *args):
                pass

            def parse_request(self) -> bool:
                parsed = super().parse_request()
                if parsed:
                    with owner._lock:
                        owner.client_ports.append((self.path, self.client_address[1]))
                return parsed

            def _json(self, status: int, body) -> None:
                data = json.dumps(body, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                if self.close_connection:   # the request asked for it: say so, as Rasa's server does
                    self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                if self.path in ("/health", "/status", "/"):
                    self._json(200, {"status": "ok"})
                else:
                    self._json(404, {})

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                if self.path == "/webhooks/rest/webhook":
                    with owner._lock:
                        owner.turns.append((body["sender"], body["message"]))
                    self._json(200, scripted_reply(body["sender"], body["message"]))
                    return
                match = _TRACKER_EVENTS.match(self.path)
                if match:
                    with owner._lock:
                        for event in body if isinstance(body, list) else [body]:
                            owner.tracker_events.append((match["sender"], event))
                    self._json(200, {"sender_id": match["sender"], "events": [body]})
                    return
                self._json(404, {})

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
