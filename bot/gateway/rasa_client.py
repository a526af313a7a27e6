"""The gateway's only door to Rasa: the REST webhook for turns, the tracker API to resume after a handoff."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache

import requests
import yaml

from core.config import ROOT, get_settings

TURN_TIMEOUT = (2, 30)   # (connect, read) seconds: a turn may run several custom actions
HEALTH_TIMEOUT = (2, 5)
# Every turn on a new connection. Rasa's server (Sanic on uvloop) reads requests in batches: it polls its
# sockets, then handles every request it found before polling again. A kept-alive connection that was
# idle at one poll is placed behind every connection seen at that poll (level-triggered epoll keeps their
# order), so a turn sent on it early in a batch is handled after the turns sent later on the others. The
# gateway answers the applicant between two Rasa turns (about 10 ms), so the connection of the turn that
# ended a batch is always idle at the next poll: at 16 concurrent applicants one turn in every batch waited
# a whole extra batch (p95 1.4-1.5x bare Rasa's at the same median; 1.1x with this). New connections are
# accepted in order of arrival, and cost Rasa nothing measurable (bare Rasa itself ran 7 % more turns/s).
TURN_HEADERS = {"Connection": "close"}
SESSION_HEADERS = {"calls": {}, "turns": TURN_HEADERS}   # http(purpose): the headers of each session
ALIVE_CACHE_SECONDS = 1.0   # how long a positive action-server health check is trusted (see action_server_alive)
RESPONSES_FILE = ROOT / "bot" / "domain" / "responses.yml"


class BotUnavailable(RuntimeError):
    """Rasa or the action server cannot answer now; the applicant's message must wait."""


@dataclass
class BotReply:
    """One message of a bot turn, in the shape the gateway stores (text, buttons, link)."""

    text: str = ""
    buttons: list[dict] = field(default_factory=list)
    link: str | None = None

    def data(self) -> dict | None:
        out = {}
        if self.buttons:
            out["buttons"] = self.buttons
        if self.link:
            out["link"] = self.link
        return out or None


@dataclass
class BotTurn:
    replies: list[BotReply]
    handoff: bool = False
    handoff_reason: str | None = None


def parse_rest_output(items: list[dict]) -> BotTurn:
    """Rasa REST channel output → replies; custom {"handoff": true} and {"link": url} are folded in."""
    turn = BotTurn(replies=[])
    for item in items:
        custom = item.get("custom") or {}
        if custom.get("handoff"):
            turn.handoff = True
            turn.handoff_reason = str(custom.get("reason") or "")[:200] or None
        text = item.get("text") or custom.get("text") or ""
        buttons = [{"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
                   for b in item.get("buttons") or [] if b.get("title")]
        link = custom.get("link")
        if not text and not buttons and link and turn.replies and not turn.replies[-1].link:
            turn.replies[-1].link = link   # a bare link belongs to the message before it
            continue
        if text or buttons or link:
            turn.replies.append(BotReply(text=text, buttons=buttons, link=link))
    return turn


_local = threading.local()


def http(purpose: str = "calls") -> requests.Session:
    """This thread's session for `purpose` (requests.Session is not thread-safe; gunicorn threads live long).

    "calls" (health checks, the tracker API) keeps its connections alive. "turns" carries nothing but
    turns, each with TURN_HEADERS, so Rasa closes every connection after its answer and no turn is ever
    sent on a connection kept from an earlier request."""
    sessions = _local.__dict__.setdefault("sessions", {})
    session = sessions.get(purpose)
    if session is None:
        session = sessions[purpose] = requests.Session()
        # Rasa and the action server are Yici's own internal services: never reached through an
        # HTTP(S)_PROXY, and without trust_env requests no longer reads the proxy variables every call.
        session.trust_env = False
        session.headers.update(SESSION_HEADERS[purpose])
    return session


@lru_cache(maxsize=1)
def fallback_texts() -> frozenset[str]:
    """The texts of utter_default: what Rasa answers after a custom action failed (e.g. action_session_start)."""
    try:
        responses = yaml.safe_load(RESPONSES_FILE.read_text(encoding="utf-8"))["responses"]
        return frozenset(v["text"] for v in responses.get("utter_default", []) if v.get("text"))
    except (OSError, KeyError, TypeError, yaml.YAMLError):
        return frozenset()


def looks_like_action_failure(items: list[dict]) -> bool:
    """A turn Rasa may have produced with its action server down: nothing at all (the failed action's
    messages are lost, "Bot will continue") or its fallback answer."""
    texts = fallback_texts()
    return not items or any(item.get("text") in texts for item in items)


def send_message(sender: str, text: str) -> BotTurn:
    """One turn through POST {RASA_URL}/webhooks/rest/webhook; BotUnavailable when it cannot happen.

    With the action server down Rasa does not fail: it answers a confident-looking fallback ("抱歉，我没有
    听明白", after action_session_start fails) or nothing, and the message would be lost. Two checks:
    before the turn (a positive result cached for ALIVE_CACHE_SECONDS, so not one request per turn), and
    after it, uncached, whenever the answer looks like such a failure (see action_server_alive)."""
    settings = get_settings()
    if not action_server_alive():
        raise BotUnavailable("action server unreachable")
    try:
        response = http("turns").post(f"{settings.rasa_url}/webhooks/rest/webhook",
                                      json={"sender": sender, "message": text}, timeout=TURN_TIMEOUT)
    except requests.RequestException as error:
        raise BotUnavailable(f"rasa unreachable: {error}") from error
    if response.status_code != 200:
        raise BotUnavailable(f"rasa answered HTTP {response.status_code}")
    items = response.json()
    if looks_like_action_failure(items) and not action_server_alive(fresh=True):
        raise BotUnavailable("action server unreachable")
    return parse_rest_output(items)


_alive_until: dict[str, float] = {}   # action server URL → monotonic time until which "alive" is trusted


def action_server_alive(fresh: bool = False) -> bool:
    """GET {ACTION_SERVER_URL}/health; a positive answer is reused for ALIVE_CACHE_SECONDS unless `fresh`.

    Why caching "alive" keeps the guarantee: the check was never atomic with the turn (the action server
    can die between the check and Rasa's call to it, a window as long as a turn under load, often longer
    than a second), so a one-second cache does not open a new kind of gap. The turns such a gap would
    let through are caught after the turn: Rasa's answer to a failed custom action is empty or its
    fallback, and then the server is checked again, uncached. Only positive results are cached: while the
    server is down every turn asks again, so answering resumes as soon as it is back."""
    url = get_settings().action_server_url
    if not fresh and _alive_until.get(url, 0.0) > time.monotonic():
        return True
    try:
        alive = http().get(f"{url}/health", timeout=HEALTH_TIMEOUT).ok
    except requests.RequestException:
        alive = False
    if alive:
        _alive_until[url] = time.monotonic() + ALIVE_CACHE_SECONDS
    else:
        _alive_until.pop(url, None)
    return alive


# Resume, then mark the bot as listening: a handoff paused the tracker right after action_handoff, and
# without a closing action_listen the next user message lands in a state no rule or story has seen
# (Rasa then predicts action_default_fallback and rewinds into the handoff rule again).
RESUME_EVENTS = [{"event": "resume"}, {"event": "action", "name": "action_listen"}]


def resume(sender: str) -> None:
    """Resume a paused conversation with its context (after staff hand it back)."""
    settings = get_settings()
    try:
        response = http().post(f"{settings.rasa_url}/conversations/{sender}/tracker/events",
                                 json=RESUME_EVENTS, timeout=(2, 10))
    except requests.RequestException as error:
        raise BotUnavailable(f"rasa unreachable: {error}") from error
    if response.status_code != 200:
        raise BotUnavailable(f"rasa answered HTTP {response.status_code}")
