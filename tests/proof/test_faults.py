"""Faults: Rasa killed mid-conversation, the action server down, Redis restarted, the database unreachable
at start-up, an RQ worker SIGKILLed, duplicate Twilio deliveries, and 50 simultaneous applicants.

Tests marked `rasa` run against our own RasaStack (tests/proof/conftest.py: its own Redis, Rasa server
and action server on free ports) so that killing things never disturbs the shared session stack.
Every test ends with the applicant's messages kept and answered: nothing lost, nothing crossed.
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid

import pytest
import requests
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from conversations.models import ANSWERED, APPLICANT, BOT_AUTHOR, PENDING, Conversation, Message
from core.config import ROOT, reset_settings
from core.db import new_session
from tests.support.redis_server import free_port
from tests.support.workers import WorkerProcess

CHINESE = re.compile(r"[\u4e00-\u9fff]")
WAIT_SECONDS = 120


def wait_until(predicate, timeout=WAIT_SECONDS, interval=0.5, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")


def message_states(conversation_id: str) -> list[tuple[str, str, str | None]]:
    with new_session() as session:
        rows = session.scalars(select(Message).where(Message.conversation_id == conversation_id)
                               .order_by(Message.id)).all()
        return [(m.author, m.text, m.state) for m in rows]


def answered_after(conversation_id: str, text: str) -> bool:
    """The applicant message `text` is answered and a bot reply follows it in the transcript."""
    states = message_states(conversation_id)
    for index, (author, body, state) in enumerate(states):
        if author == APPLICANT and body == text:
            return state == ANSWERED and any(a == BOT_AUTHOR for a, _b, _s in states[index + 1:])
    return False


# ---------------------------------------------------------------- database unreachable at start-up

def unreachable_database_url() -> str:
    return f"postgresql://postgres@127.0.0.1:{free_port()}/yici"


def test_make_run_refuses_to_start_without_its_database(tmp_path, redis_url):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "YICI_ENV": "development", "REDIS_URL": redis_url,
           "DATABASE_URL": unreachable_database_url()}
    done = subprocess.run([sys.executable, "-m", "devtools.run"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode != 0
    assert "database" in done.stderr and "cannot be used" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_the_gateway_refuses_to_start_without_its_database(tmp_path, redis_url):
    """gunicorn loading create_app() with an unreachable database exits with a clear error."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "YICI_ENV": "development", "REDIS_URL": redis_url,
           "DATABASE_URL": unreachable_database_url()}
    done = subprocess.run([str(ROOT / ".venv/bin/gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "1",
                           "bot.gateway:create_app()"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode != 0
    assert "database" in done.stderr.lower() and "cannot be reached" in done.stderr


def test_create_app_raises_a_clear_error_without_its_database(env, monkeypatch):
    from bot.gateway import create_app
    from core.config import ConfigError

    monkeypatch.setenv("DATABASE_URL", unreachable_database_url())
    reset_settings()
    with pytest.raises(ConfigError, match="cannot be reached"):
        create_app()


# ---------------------------------------------------------------- Rasa killed mid-conversation

@pytest.mark.rasa
def test_rasa_killed_mid_conversation_gives_busy_and_answers_after_restart(gateway, proof_stack, stack_env):
    first = gateway.post("你好")
    assert first.status_code == 200, first.text
    conversation_id = first.json()["conversation_id"]

    proof_stack.kill_rasa()
    busy = gateway.post("开饭店需要准备哪些材料", conversation_id)
    assert busy.status_code == 503
    body = busy.json()
    assert CHINESE.search(body["error"]["message"]) and "保存" in body["error"]["message"]
    assert body["conversation_id"] == conversation_id
    assert ("applicant", "开饭店需要准备哪些材料", PENDING) in message_states(conversation_id)

    proof_stack.start_rasa()
    worker = WorkerProcess(stack_env["REDIS_URL"], env=stack_env).start()   # the queued retry runs now
    try:
        wait_until(lambda: answered_after(conversation_id, "开饭店需要准备哪些材料"), what="the kept message answered")
    finally:
        worker.stop()
    polled = gateway.transcript(conversation_id)
    assert [m["text"] for m in polled if m["author"] == "applicant"] == ["你好", "开饭店需要准备哪些材料"]


@pytest.mark.rasa
def test_action_server_down_gives_busy_and_answers_when_it_is_back(gateway, proof_stack, stack_env):
    question = "开饭店需要准备哪些材料"   # needs the checklist action
    proof_stack.kill_actions()
    response = gateway.post(question)
    assert response.status_code == 503, response.text
    assert CHINESE.search(response.json()["error"]["message"])
    conversation_id = response.json()["conversation_id"]

    proof_stack.start_actions()
    worker = WorkerProcess(stack_env["REDIS_URL"], env=stack_env).start()
    try:
        wait_until(lambda: answered_after(conversation_id, question), what="the kept message answered")
    finally:
        worker.stop()


# ---------------------------------------------------------------- Redis restarted

@pytest.mark.rasa
def test_redis_restarted_loses_no_message(gateway, proof_stack, stack_env):
    first = gateway.post("你好")
    assert first.status_code == 200
    conversation_id = first.json()["conversation_id"]

    proof_stack.redis.kill()
    during = gateway.post("预审一般要几天", conversation_id)
    assert during.status_code == 503, during.text          # a clear busy answer, not a crash
    assert CHINESE.search(during.json()["error"]["message"])
    assert ("applicant", "预审一般要几天", PENDING) in message_states(conversation_id)

    proof_stack.redis.start()
    after = gateway.post("谢谢", conversation_id)
    assert after.status_code == 200, after.text
    assert answered_after(conversation_id, "预审一般要几天") and answered_after(conversation_id, "谢谢")


# ---------------------------------------------------------------- SMS: duplicates and a killed worker

def signed_sms(gateway, token: str, sid: str, phone: str, body: str):
    url = f"{gateway.url}/sms/inbound"
    params = {"MessageSid": sid, "AccountSid": "AC" + "0" * 32, "From": phone, "To": "+8610690000",
              "Body": body, "NumMedia": "0"}
    signature = RequestValidator(token).compute_signature(url, params)
    return requests.post(url, data=params, headers={"X-Twilio-Signature": signature}, timeout=30)


@pytest.fixture
def twilio_server(stack_env, monkeypatch):
    from devtools.twilio_testserver import TwilioTestServer

    server = TwilioTestServer().start()
    for name, value in server.env().items():
        monkeypatch.setenv(name, value)
        stack_env[name] = value
    reset_settings()
    yield server
    server.stop()


@pytest.fixture
def sms_gateway(twilio_server, stack_env, monkeypatch):
    """The gateway on a port known in advance: PUBLIC_BASE_URL is the URL Twilio signs."""
    from tests.proof.conftest import GatewayServer

    port = free_port()
    monkeypatch.setenv("PUBLIC_BASE_URL", f"http://127.0.0.1:{port}")
    stack_env["PUBLIC_BASE_URL"] = f"http://127.0.0.1:{port}"
    reset_settings()
    server = GatewayServer(port)
    server.thread.start()
    yield server
    server.server.shutdown()


def sms_to(twilio_server, phone: str) -> list[dict]:
    return twilio_server.messages_to(phone)


@pytest.mark.rasa
def test_duplicate_twilio_deliveries_are_answered_once(sms_gateway, twilio_server, stack_env):
    phone, sid = "+8613812340001", "SM" + uuid.uuid4().hex
    answers = []

    def deliver():
        answers.append(signed_sms(sms_gateway, twilio_server.auth_token, sid, phone, "你好").status_code)

    threads = [threading.Thread(target=deliver) for _ in range(5)]   # Twilio retries, some at the same time
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    deliver()                                                        # and one more, later
    assert answers == [200] * 6
    worker = WorkerProcess(stack_env["REDIS_URL"], env=stack_env).start()
    try:
        wait_until(lambda: sms_to(twilio_server, phone), what="the SMS answer")
        time.sleep(3)   # give any duplicate the time to show up
    finally:
        worker.stop()
    assert len(sms_to(twilio_server, phone)) == 1
    with new_session() as session:
        assert len(session.scalars(select(Message).where(Message.channel_ref == sid)).all()) == 1


@pytest.mark.rasa
def test_worker_sigkilled_mid_turn_loses_nothing_and_sends_once(sms_gateway, twilio_server, proof_stack, stack_env):
    from bot.gateway.jobs import flush_all_pending_job

    phone = "+8613812340002"
    os.killpg(proof_stack.rasa_server.pid, signal.SIGSTOP)       # the turn will hang inside the worker
    try:
        assert signed_sms(sms_gateway, twilio_server.auth_token, "SM" + uuid.uuid4().hex, phone, "你好").status_code == 200
        worker = WorkerProcess(stack_env["REDIS_URL"], env=stack_env).start()
        from redis import Redis
        from rq import Queue
        from rq.registry import StartedJobRegistry

        from bot.gateway.jobs import TURN_QUEUE

        registry = StartedJobRegistry(queue=Queue(TURN_QUEUE, connection=Redis.from_url(stack_env["REDIS_URL"])))
        wait_until(lambda: len(registry) > 0, what="the worker to start the turn", interval=0.1)
        worker.kill()                                              # SIGKILL mid-turn
    finally:
        os.killpg(proof_stack.rasa_server.pid, signal.SIGCONT)
    with new_session() as session:
        pending = session.scalars(select(Message).join(Conversation, Conversation.id == Message.conversation_id)
                                  .where(Conversation.phone == phone, Message.author == APPLICANT)).all()
        assert [m.state for m in pending] == [PENDING]             # kept, not lost

    flush_all_pending_job(grace_seconds=0)                         # the sweeper re-enqueues it
    worker = WorkerProcess(stack_env["REDIS_URL"], env=stack_env).start()
    try:
        wait_until(lambda: sms_to(twilio_server, phone), what="the SMS answer after the crash")
        time.sleep(3)
    finally:
        worker.stop()
    assert len(sms_to(twilio_server, phone)) == 1


# ---------------------------------------------------------------- 50 simultaneous applicants

@pytest.mark.rasa
def test_fifty_simultaneous_conversations_never_cross(gateway, proof_stack, stack_env):
    applicants = 50
    results: dict[int, dict] = {}
    errors: list[str] = []
    barrier = threading.Barrier(applicants)

    def applicant(number: int) -> None:
        mine = [f"你好，我是第{number}号申请人", f"第{number}号想问：办营业执照要交钱吗"]
        try:
            barrier.wait()
            conversation_id, seen_ids = None, []
            for text in mine:
                response = gateway.post(text, conversation_id)
                # 503 is the documented "busy" answer: the message is kept and answered later
                assert response.status_code in (200, 503), response.text
                body = response.json()
                conversation_id = body["conversation_id"]
                seen_ids += [m["id"] for m in body.get("messages", [])]
            results[number] = {"conversation_id": conversation_id, "seen_ids": seen_ids, "texts": mine}
        except Exception as error:   # reported below with the applicant's number
            errors.append(f"{number}: {type(error).__name__}: {error}")

    threads = [threading.Thread(target=applicant, args=(n,)) for n in range(applicants)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    assert not errors, errors[:5]
    assert len({r["conversation_id"] for r in results.values()}) == applicants

    with new_session() as session:
        owner = dict(session.execute(select(Message.id, Message.conversation_id)).all())
    for number, result in results.items():
        cid = result["conversation_id"]
        # every message the API handed this applicant belongs to their own conversation
        assert all(owner[mid] == cid for mid in result["seen_ids"]), number
        # their transcript holds exactly their own words, in order
        transcript = gateway.transcript(cid)
        assert [m["text"] for m in transcript if m["author"] == "applicant"] == result["texts"], number
        # and Rasa's tracker for this conversation heard only them
        tracker = proof_stack.tracker(cid)
        heard = [e["text"] for e in tracker["events"] if e.get("event") == "user"]
        assert set(heard) <= set(result["texts"]), (number, heard)
