"""What the journeys share: an applicant in the web chat, staff logged into a console, polling with a
deadline, signed Twilio and workflow requests, and reads of the record (transcript, outbox)."""
from __future__ import annotations

import json
import re
import time

from sqlalchemy import select
from twilio.request_validator import RequestValidator

from tests.e2e.conftest import PUBLIC_BASE_URL, TWILIO_TOKEN, WORKFLOW_SECRET

DEADLINE_SECONDS = 60


def wait_until(predicate, what: str, timeout: float = DEADLINE_SECONDS, interval: float = 0.2):
    """Poll `predicate` until it returns something truthy; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


class Applicant:
    """One applicant in the web chat, through POST /api/chat/messages (the real Rasa behind it)."""

    def __init__(self, client):
        self.client = client
        self.conversation_id: str | None = None
        self.last: dict = {}

    def say(self, text: str) -> dict:
        body = {"text": text}
        if self.conversation_id:
            body["conversation_id"] = self.conversation_id
        response = self.client.post("/api/chat/messages", json=body)
        assert response.status_code == 200, (text, response.status_code, response.get_data(as_text=True))
        self.last = response.get_json()
        self.conversation_id = self.last["conversation_id"]
        return self.last

    def click(self, title: str) -> dict:
        """Click the quick-reply button `title` of the latest answer (sends its payload, as the page does)."""
        buttons = {b["title"]: b["payload"] for m in self.last["messages"] for b in m.get("buttons", [])}
        assert title in buttons, f"no button {title!r} in {self.texts()} (buttons: {list(buttons)})"
        return self.say(buttons[title])

    def texts(self) -> str:
        return "\n".join(m["text"] for m in self.last.get("messages", []))

    def transcript(self) -> list[dict]:
        response = self.client.get(f"/api/chat/{self.conversation_id}/messages")
        assert response.status_code == 200
        return response.get_json()["messages"]

    def pushed(self) -> list[str]:
        """Messages that reached the chat later (pre-review results, staff and expert answers)."""
        return [m["text"] for m in self.transcript() if m.get("author") in ("system", "staff")]


def inform(**entities) -> str:
    """A button payload as the page sends it: /inform{"option": "..."}."""
    return "/inform" + json.dumps(entities, ensure_ascii=False)


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


class Staff:
    """A staff member logged into the consoles with their own browser session (a test client of their own)."""

    def __init__(self, app, username: str, password: str):
        self.client = app.test_client()
        page = self.client.get("/staff/login")
        response = self.client.post("/staff/login", data={"username": username, "password": password,
                                                          "csrf_token": csrf(page.get_data(as_text=True))})
        assert response.status_code == 302, response.get_data(as_text=True)

    def get(self, path: str) -> str:
        response = self.client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        return response.get_data(as_text=True)

    def post(self, path: str, form: dict, page: str | None = None, expect: int = 302):
        """Submit a form of `page` (default: the form's own page, `path` without its last segment)."""
        token = csrf(self.get(page or path.rsplit("/", 1)[0]))
        response = self.client.post(path, data={**form, "csrf_token": token})
        assert response.status_code == expect, (path, response.status_code, response.get_data(as_text=True)[:2000])
        return response


def twilio_signed(path: str, form: dict) -> dict:
    """Headers of a request as Twilio signs it, computed by twilio's own RequestValidator."""
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(PUBLIC_BASE_URL + path, form)
    return {"X-Twilio-Signature": signature}


def workflow_signed(client, task_id: int, payload: dict):
    """POST /api/workflow/tasks/<id>/decision signed as a department's system signs it."""
    from integrations.signing import sign

    body = json.dumps({"task_id": task_id, **payload}, ensure_ascii=False).encode()
    return client.post(f"/api/workflow/tasks/{task_id}/decision", data=body,
                       headers={**sign(WORKFLOW_SECRET, body), "Content-Type": "application/json"})


def notifications(**filters) -> list:
    from core.db import session_scope
    from notify.models import Notification

    with session_scope() as session:
        query = select(Notification).order_by(Notification.id)
        for name, value in filters.items():
            query = query.where(getattr(Notification, name) == value)
        rows = session.scalars(query).all()
        session.expunge_all()
        return rows


def twilio_reports_delivered(client, message: dict) -> None:
    """Twilio's signed status callback for one sent message (to the URL our provider gave it)."""
    from urllib.parse import urlsplit

    callback = urlsplit(message["_status_callback"])
    assert f"{callback.scheme}://{callback.netloc}" == PUBLIC_BASE_URL
    path = callback.path + (f"?{callback.query}" if callback.query else "")
    form = {"MessageSid": message["sid"], "MessageStatus": "delivered", "To": message["to"],
            "From": message["from"], "AccountSid": message["account_sid"]}
    response = client.post(path, data=form, headers=twilio_signed(path, form))
    assert response.status_code == 204, response.status_code


def quiet_queues(redis_url: str) -> bool:
    """No job queued, scheduled or running (the worker has finished everything handed to it)."""
    from redis import Redis
    from rq import Queue
    from rq.registry import ScheduledJobRegistry, StartedJobRegistry

    from core.queues import ALL_QUEUES

    connection = Redis.from_url(redis_url)
    for name in ALL_QUEUES:
        queue = Queue(name, connection=connection)
        if queue.count or StartedJobRegistry(queue=queue).count or ScheduledJobRegistry(queue=queue).count:
            return False
    return True
