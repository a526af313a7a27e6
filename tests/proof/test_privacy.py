"""Privacy: transcripts past the retention period are purged by the scheduled job; ID numbers never
appear unmasked in any process's logs; revealing an ID in the staff console is audited."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest
import redis as redis_lib
from rq import Queue

from conversations import store
from conversations.models import (APPLICANT, BOT, CLOSED, HUMAN, WAITING, AuditEvent, Conversation, Message,
                                  REVEAL_ID_NUMBER)
from core import retention
from core.accounts import Account
from core.config import reset_settings
from core.db import new_session, utcnow
from core.queues import DEFAULT
from tests.support.workers import run_burst

ID_NUMBER = "11010519491231002X"   # a valid GB 11643 number (check digit X)


def _conversation(session, status, idle_days, text="我的身份证号是" + ID_NUMBER):
    stamp = utcnow() - timedelta(days=idle_days)
    conversation = Conversation(status=status, created_at=stamp, updated_at=stamp)
    session.add(conversation)
    session.flush()
    session.add(Message(conversation_id=conversation.id, author=APPLICANT, text=text, created_at=stamp))
    session.flush()
    return conversation.id


@pytest.fixture
def aged(db, env):
    """Conversations of every status, some idle past a 30-day retention period, with Rasa trackers."""
    ids = {
        "old_closed": _conversation(db, CLOSED, 40),
        "old_abandoned": _conversation(db, BOT, 31),
        "old_waiting": _conversation(db, WAITING, 90),
        "old_human": _conversation(db, HUMAN, 90),
        "recent_closed": _conversation(db, CLOSED, 5),
        "recent_bot": _conversation(db, BOT, 29),
    }
    db.commit()
    red = redis_lib.Redis.from_url(env["REDIS_URL"])
    for cid in ids.values():
        red.set(retention.RASA_TRACKER_KEY_PREFIX + cid, '{"events": []}')
    return ids


def _surviving(ids):
    with new_session() as session:
        left = {cid for (cid,) in session.query(Conversation.id)}
        messages = {cid for (cid,) in session.query(Message.conversation_id)}
    return {name for name, cid in ids.items() if cid in left}, {name for name, cid in ids.items() if cid in messages}


def test_retention_job_purges_idle_transcripts_through_a_real_worker(aged, env, monkeypatch):
    monkeypatch.setenv("TRANSCRIPT_RETENTION_DAYS", "30")
    reset_settings()
    red = redis_lib.Redis.from_url(env["REDIS_URL"])
    Queue(DEFAULT, connection=red).enqueue(retention.purge_expired_transcripts)

    run_burst(env["REDIS_URL"])

    kept = {"old_waiting", "old_human", "recent_closed", "recent_bot"}
    conversations, transcripts = _surviving(aged)
    assert conversations == kept
    assert transcripts == kept
    for name, cid in aged.items():
        assert bool(red.exists(retention.RASA_TRACKER_KEY_PREFIX + cid)) == (name in kept), name


def test_retention_keeps_audit_events_and_is_idempotent(aged, db, env, monkeypatch):
    monkeypatch.setenv("TRANSCRIPT_RETENTION_DAYS", "30")
    reset_settings()
    store.record_audit(db, account_id=1, conversation_id=aged["old_closed"], action=REVEAL_ID_NUMBER)
    db.commit()

    assert retention.purge_expired_transcripts() == 2
    assert retention.purge_expired_transcripts() == 0
    with new_session() as session:
        assert [e.action for e in session.query(AuditEvent)] == [REVEAL_ID_NUMBER]


def test_retention_purges_in_batches(db, env, monkeypatch):
    monkeypatch.setenv("TRANSCRIPT_RETENTION_DAYS", "30")
    monkeypatch.setattr(retention, "BATCH_SIZE", 3)
    reset_settings()
    for _ in range(7):
        _conversation(db, CLOSED, 400)
    db.commit()
    assert retention.purge_expired_transcripts() == 7
    with new_session() as session:
        assert session.query(Conversation).count() == 0


def test_retention_refuses_a_zero_period():
    with pytest.raises(ValueError):
        retention.retention_cutoff(0)


def test_retention_job_is_installed_on_the_schedule_and_purges_when_it_runs(aged, env, monkeypatch):
    """core.periodic.install() schedules the purge; running that very scheduled job purges."""
    from rq.job import Job

    from core import periodic

    monkeypatch.setenv("TRANSCRIPT_RETENTION_DAYS", "30")
    reset_settings()
    red = redis_lib.Redis.from_url(env["REDIS_URL"])
    periodic.install()
    entry = next(e for e in periodic.PERIODIC_JOBS if e.path == "core.retention.purge_expired_transcripts")
    job_id = entry.job_id
    queue = Queue(DEFAULT, connection=red)
    assert job_id in queue.scheduled_job_registry
    job = Job.fetch(job_id, connection=red)
    assert job.args == ("core.retention.purge_expired_transcripts",)

    queue.scheduled_job_registry.remove(job)
    queue.enqueue_job(job)          # run it now instead of in 24 hours
    run_burst(env["REDIS_URL"], queues=[DEFAULT])

    conversations, _ = _surviving(aged)
    assert "old_closed" not in conversations and "old_abandoned" not in conversations
    assert {"old_waiting", "old_human", "recent_closed", "recent_bot"} <= conversations


# ---------------------------------------------------------------- logs of a full end-to-end run

E2E_IDS = ("11010519491231002X", "330106199001011237", "33010619900101123x")
STAFF_PASSWORD = "correct-horse-battery"


def _csrf(http, url: str) -> str:
    import re

    return re.search(r'name="csrf_token" value="([^"]+)"', http.get(url, timeout=30).text).group(1)


def _staff_session(base: str, username: str):
    import requests

    http = requests.Session()
    response = http.post(f"{base}/staff/login", data={"username": username, "password": STAFF_PASSWORD,
                                                      "csrf_token": _csrf(http, f"{base}/staff/login")},
                         allow_redirects=False, timeout=30)
    assert response.status_code == 302
    return http


def _unmasked(text: str) -> list[str]:
    from core.identity import ID_NUMBER_PATTERN

    found = [m.group(0) for m in ID_NUMBER_PATTERN.finditer(text)]
    return found + [i for i in E2E_IDS if i in text or i.upper() in text]


@pytest.mark.rasa
def test_no_id_number_is_logged_unmasked_in_an_end_to_end_run(proof_stack, stack_env, tmp_path, monkeypatch):
    """Web chat, SMS, the worker, Rasa, the action server and the staff console all handle ID numbers;
    afterwards every log line of every process is scanned. The reveal in the console is audited."""
    import requests
    from twilio.request_validator import RequestValidator

    from core.accounts import REVIEWER, WINDOW_STAFF, create_account
    from core.db import session_scope
    from devtools.twilio_testserver import TwilioTestServer
    from tests.proof.conftest import GunicornGateway
    from tests.support.redis_server import free_port
    from tests.support.workers import WorkerProcess

    twilio = TwilioTestServer().start()
    port = free_port()
    env = {**stack_env, **twilio.env(), "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}", "YICI_ENV": "development"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    reset_settings()
    with session_scope() as session:
        create_account(session, "staff", STAFF_PASSWORD, WINDOW_STAFF)
        create_account(session, "reviewer", STAFF_PASSWORD, REVIEWER, department="市场监管")
    gateway = GunicornGateway(env, tmp_path / "gateway.log", port).start()
    worker = WorkerProcess(env["REDIS_URL"], env=env).start()
    base = gateway.url
    try:
        # web chat: an application started, the ID typed in several ways
        cid = None
        for text in ("我要申请营业执照", "个体工商户", f"我的身份证号码是{E2E_IDS[0]}", E2E_IDS[1],
                     f"身份证 {E2E_IDS[2]} 手机13812345678"):
            body = {"text": text, **({"conversation_id": cid} if cid else {})}
            response = requests.post(f"{base}/api/chat/messages", json=body, timeout=90)
            assert response.status_code in (200, 503), response.text
            cid = response.json()["conversation_id"]
        # SMS with an ID number
        url = f"{base}/sms/inbound"
        params = {"MessageSid": "SM" + "9" * 32, "AccountSid": twilio.account_sid, "From": "+8613812345679",
                  "To": "+8610690000", "Body": f"我的身份证是{E2E_IDS[0]}", "NumMedia": "0"}
        signature = RequestValidator(twilio.auth_token).compute_signature(url, params)
        assert requests.post(url, data=params, headers={"X-Twilio-Signature": signature}, timeout=30).status_code == 200
        deadline = time.monotonic() + 120
        while not twilio.messages_to("+8613812345679") and time.monotonic() < deadline:
            time.sleep(0.5)

        # staff console: the ID is masked, a search by it, then an audited reveal
        staff = _staff_session(base, "staff")
        page = staff.get(f"{base}/staff/conversations/{cid}", timeout=30).text
        assert E2E_IDS[0] not in page and "110105********002X" in page
        staff.get(f"{base}/staff/search", params={"q": E2E_IDS[0]}, timeout=30)
        with new_session() as session:
            message = session.query(Message).filter(Message.conversation_id == cid,
                                                    Message.text.contains(E2E_IDS[0])).one()
        reveal = f"{base}/staff/conversations/{cid}/messages/{message.id}/reveal"
        assert staff.get(reveal, timeout=30).status_code == 405                # no unaudited way to look
        assert staff.post(reveal, timeout=30).status_code == 400               # no CSRF token: refused
        reviewer = _staff_session(base, "reviewer")
        assert reviewer.post(reveal, data={"csrf_token": _csrf(reviewer, f"{base}/review/")},
                             timeout=30).status_code == 403                    # wrong role
        with new_session() as session:
            assert session.query(AuditEvent).count() == 0
        shown = staff.post(reveal, data={"csrf_token": _csrf(staff, f"{base}/staff/conversations/{cid}")}, timeout=30)
        assert shown.status_code == 200 and E2E_IDS[0] in shown.text
        with new_session() as session:
            events = session.query(AuditEvent).all()
            staff_id = session.query(Account).filter(Account.username == "staff").one().id
        assert [(e.account_id, e.conversation_id, e.message_id, e.action) for e in events] == \
            [(staff_id, cid, message.id, REVEAL_ID_NUMBER)]

        # the ID numbers really went through Rasa (so the scan below means something)
        heard = " ".join(e.get("text") or "" for e in proof_stack.tracker(cid)["events"] if e.get("event") == "user")
        assert E2E_IDS[0] in heard
    finally:
        worker_output = worker.stop()
        gateway.stop()
        twilio.stop()
    (tmp_path / "worker.log").write_text(worker_output)

    logs = {path.name: path.read_text(errors="replace")
            for path in [*proof_stack.log_dir.glob("*.log"), tmp_path / "gateway.log", tmp_path / "worker.log"]}
    assert logs["gateway.log"] and logs["rasa.log"] and logs["actions.log"]
    leaks = {name: [line[:200] for line in text.splitlines() if _unmasked(line)] for name, text in logs.items()}
    leaks = {name: lines for name, lines in leaks.items() if lines}
    assert not leaks, leaks


def test_masking_reaches_handlers_installed_by_other_frameworks_and_gunicorns_access_log():
    """rasa_sdk installs its own root handler before importing bot.actions; gunicorn logs access lines
    on its own logger with dict arguments. Both are masked once bot.actions / create_app ran."""
    import io
    import logging

    from core.logsetup import mask_all_handlers

    root = logging.getLogger()
    stream = io.StringIO()
    foreign = logging.StreamHandler(stream)           # what rasa_sdk's configure_colored_logging adds
    access = logging.getLogger("gunicorn.access")
    access_stream = io.StringIO()
    access_handler = logging.StreamHandler(access_stream)
    root.addHandler(foreign)
    access.addHandler(access_handler)
    access.setLevel(logging.INFO)
    try:
        mask_all_handlers()
        logging.getLogger("bot.actions.application").warning("slot id_number=%s", ID_NUMBER)
        access.info('%(h)s "%(r)s" %(s)s', {"h": "127.0.0.1", "r": f"GET /staff/search?q={ID_NUMBER} HTTP/1.1",
                                             "s": "200"})
    finally:
        root.removeHandler(foreign)
        access.removeHandler(access_handler)
    assert ID_NUMBER not in stream.getvalue() and "110105********002X" in stream.getvalue()
    assert ID_NUMBER not in access_stream.getvalue() and "q=110105********002X" in access_stream.getvalue()
