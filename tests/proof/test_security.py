"""Security: forged Twilio and workflow signatures; every console route without login, with the wrong
role and without a CSRF token; XSS payloads in chat text and applicant names; oversized and malformed
JSON; path traversal on static files and on the checklist page (which carries the QR code).

Console routes are enumerated from the application's URL map, so a route added later is covered too.
"""
from __future__ import annotations

import json
import re
import time

import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from conversations.models import Message
from core.accounts import A_POST, B_POST, CHIEF, REVIEWER, WINDOW_STAFF, create_account
from core.config import reset_settings
from core.db import new_session, session_scope
from integrations import signing
from tests.integrations.helpers import company_data, knowledge_copy, workflow, workflow_kb  # noqa: F401

TWILIO_TOKEN = "proof-twilio-token"
WORKFLOW_SECRET = "proof-workflow-secret"
PUBLIC_BASE_URL = "https://yici.example.gov.cn"
PASSWORD = "correct-horse-battery"

XSS_PAYLOADS = (
    "<script>alert('xss')</script>",
    "<img src=x onerror=alert(1)>",
    "\"><svg/onload=alert(2)>",
    "javascript:alert(3)//<a href=\"javascript:alert(4)\">点我</a>",
)

# Which role a console requires, and a role it must refuse.
CONSOLES = {"staff": REVIEWER, "reviewer": WINDOW_STAFF, "desk": REVIEWER}
ACCOUNTS = {WINDOW_STAFF: None, REVIEWER: "市场监管", B_POST: None, A_POST: "市场监管", CHIEF: None}


@pytest.fixture
def secured(env, monkeypatch):
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TWILIO_TOKEN)
    monkeypatch.setenv("WORKFLOW_SECRET", WORKFLOW_SECRET)
    monkeypatch.setenv("PUBLIC_BASE_URL", PUBLIC_BASE_URL)
    reset_settings()
    with session_scope() as session:
        for role, department in ACCOUNTS.items():
            create_account(session, role, PASSWORD, role, department=department)
    return env


@pytest.fixture
def client(secured):
    from bot.gateway import create_app

    app = create_app()
    app.config.update(TESTING=True)
    return app.test_client()


def csrf_token(client) -> str:
    html = client.get("/staff/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def login(client, role: str) -> None:
    response = client.post("/staff/login", data={"username": role, "password": PASSWORD,
                                                 "csrf_token": csrf_token(client)})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]


def messages_stored() -> int:
    with new_session() as session:
        return len(session.scalars(select(Message)).all())


# ---------------------------------------------------------------- Twilio signatures

def twilio_params(sid="SM" + "1" * 32, body="你好") -> dict:
    return {"MessageSid": sid, "AccountSid": "AC" + "0" * 32, "From": "+8613812345678", "To": "+8610690000",
            "Body": body, "NumMedia": "0"}


def sign_twilio(url: str, params: dict, token: str = TWILIO_TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, params)


def test_forged_twilio_requests_are_refused_and_store_nothing(client):
    inbound = f"{PUBLIC_BASE_URL}/sms/inbound"
    params = twilio_params()
    forged = {
        "no signature": {},
        "garbage signature": {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"},
        "signed with another token": {"X-Twilio-Signature": sign_twilio(inbound, params, "someone-elses-token")},
        "signed for another URL": {"X-Twilio-Signature": sign_twilio(f"{PUBLIC_BASE_URL}/sms/status", params)},
        "signed for http instead of https": {"X-Twilio-Signature": sign_twilio(inbound.replace("https", "http"), params)},
    }
    for case, headers in forged.items():
        assert client.post("/sms/inbound", data=params, headers=headers).status_code == 403, case
    tampered = {**params, "Body": "我的身份证号是11010519491231002X"}
    assert client.post("/sms/inbound", data=tampered,
                       headers={"X-Twilio-Signature": sign_twilio(inbound, params)}).status_code == 403
    extra = {**params, "From": "+8613900000000"}
    assert client.post("/sms/inbound", data=extra,
                       headers={"X-Twilio-Signature": sign_twilio(inbound, params)}).status_code == 403
    status_params = {"MessageSid": "SM" + "2" * 32, "MessageStatus": "delivered"}
    assert client.post("/sms/status", data=status_params,
                       headers={"X-Twilio-Signature": sign_twilio(inbound, status_params)}).status_code == 403
    assert messages_stored() == 0

    # Control: the genuine request passes the same door.
    genuine = client.post("/sms/inbound", data=params, headers={"X-Twilio-Signature": sign_twilio(inbound, params)})
    assert genuine.status_code == 200
    assert messages_stored() == 1


def test_without_a_twilio_token_every_inbound_sms_is_refused(client, monkeypatch):
    monkeypatch.delenv("TWILIO_AUTH_TOKEN")
    reset_settings()
    params = twilio_params()
    signature = sign_twilio(f"{PUBLIC_BASE_URL}/sms/inbound", params, "")
    assert client.post("/sms/inbound", data=params, headers={"X-Twilio-Signature": signature}).status_code == 403


# ---------------------------------------------------------------- workflow signatures

WORKFLOW_PATHS = ("/api/workflow/events", "/api/workflow/tasks/1/decision")


def test_forged_workflow_signatures_are_401(client):
    body = json.dumps({"id": "evt-1", "task_id": "T1", "decision": "pass"}).encode()
    now = int(time.time())
    good = signing.sign(WORKFLOW_SECRET, body, now)
    forged = {
        "unsigned": {"Content-Type": "application/json"},
        "other secret": signing.sign("not-the-secret", body, now),
        "stale": signing.sign(WORKFLOW_SECRET, body, now - 3600),
        "from the future": signing.sign(WORKFLOW_SECRET, body, now + 3600),
        "timestamp swapped": {**good, signing.TIMESTAMP_HEADER: str(now - 1)},
        "no scheme prefix": {**good, signing.SIGNATURE_HEADER: good[signing.SIGNATURE_HEADER].removeprefix("sha256=")},
        "not a number": {**good, signing.TIMESTAMP_HEADER: "yesterday"},
    }
    for path in WORKFLOW_PATHS:
        for case, headers in forged.items():
            response = client.post(path, data=body, headers=headers)
            assert response.status_code == 401, (path, case)
            assert response.get_json()["error"]["code"] == "unauthorized"
        tampered = body.replace(b"pass", b"return")
        assert client.post(path, data=tampered, headers=good).status_code == 401
        # Control: the genuine signature gets past authentication (the task does not exist: 404/400).
        assert client.post(path, data=body, headers=signing.sign(WORKFLOW_SECRET, body)).status_code in (400, 404)


# ---------------------------------------------------------------- consoles: login, roles, CSRF

def console_routes(app):
    """(blueprint, method, url) of every console route, arguments filled with harmless values."""
    out = []
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.split(".")[0]
        if blueprint not in CONSOLES:
            continue
        values = {}
        for name, converter in rule._converters.items():
            values[name] = 1 if type(converter).__name__ in ("IntegerConverter", "NumberConverter") else "0" * 32
        url = rule.build(values, append_unknown=False)[1]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            out.append((blueprint, method, url))
    return out


def test_every_console_route_is_enumerated(client):
    routes = console_routes(client.application)
    assert {bp for bp, _m, _u in routes} == set(CONSOLES)
    assert any(m == "POST" for _bp, m, _u in routes)


def test_console_routes_without_login_go_to_the_login_page(client):
    token = csrf_token(client)
    for blueprint, method, url in console_routes(client.application):
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, data={"csrf_token": token, "text": "x"})
        assert response.status_code == 302, (method, url, response.status_code)
        assert "/staff/login" in response.headers["Location"], (method, url)


def test_console_routes_refuse_the_wrong_role(client):
    for blueprint, wrong_role in CONSOLES.items():
        client.post("/staff/logout", data={"csrf_token": csrf_token(client)})
        login(client, wrong_role)
        token = csrf_token(client)
        for bp, method, url in console_routes(client.application):
            if bp != blueprint:
                continue
            response = client.get(url) if method == "GET" else client.post(url, data={"csrf_token": token})
            assert response.status_code == 403, (wrong_role, method, url, response.status_code)


def test_console_posts_without_a_csrf_token_are_400(client):
    for role in (WINDOW_STAFF, REVIEWER, B_POST, A_POST, CHIEF):
        client.post("/staff/logout", data={"csrf_token": csrf_token(client)})
        login(client, role)
        for _bp, method, url in console_routes(client.application):
            if method == "POST":
                assert client.post(url, data={"text": "x"}).status_code == 400, (role, url)
                assert client.post(url, data={"text": "x", "csrf_token": "forged"}).status_code == 400, (role, url)


def test_login_itself_needs_a_csrf_token(client):
    assert client.post("/staff/login", data={"username": WINDOW_STAFF, "password": PASSWORD}).status_code == 400
    assert client.get("/staff/").status_code == 302


def test_login_does_not_redirect_to_another_site(client):
    response = client.post("/staff/login?next=https://evil.example.com/steal",
                           data={"username": WINDOW_STAFF, "password": PASSWORD, "csrf_token": csrf_token(client)})
    assert response.status_code == 302
    assert "evil.example.com" not in response.headers["Location"]
    response = client.post("/staff/login?next=//evil.example.com/",
                           data={"username": WINDOW_STAFF, "password": PASSWORD, "csrf_token": csrf_token(client)})
    assert "evil.example.com" not in response.headers["Location"]


def test_dev_outbox_is_absent_in_production(secured, monkeypatch):
    from bot.gateway import create_app

    monkeypatch.setenv("YICI_ENV", "production")
    reset_settings()
    app = create_app()
    assert app.test_client().get("/dev/outbox/").status_code == 404


# ---------------------------------------------------------------- XSS

def _assert_escaped(html: str, payload: str, where: str) -> None:
    assert payload not in html, f"unescaped payload in {where}"
    for dangerous in ("<script>alert", "<img src=x onerror", "<svg/onload", '<a href="javascript:'):
        assert dangerous not in html, f"{dangerous!r} in {where}"


def test_xss_in_chat_text_is_escaped_in_staff_and_desk_consoles(client):
    # Rasa is not running: every message is stored (503) and shows up in the consoles.
    conversation_id = None
    for payload in XSS_PAYLOADS:
        body = {"text": payload, **({"conversation_id": conversation_id} if conversation_id else {})}
        response = client.post("/api/chat/messages", json=body)
        assert response.status_code == 503
        conversation_id = response.get_json()["conversation_id"]
    pages = {WINDOW_STAFF: ["/staff/", f"/staff/conversations/{conversation_id}",
                            f"/staff/search?q={conversation_id}", f"/staff/search?q=%3Cscript%3Ealert"],
             B_POST: ["/desk/", f"/desk/conversations/{conversation_id}"]}
    seen = 0
    for role, urls in pages.items():
        client.post("/staff/logout", data={"csrf_token": csrf_token(client)})
        login(client, role)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            html = response.get_data(as_text=True)
            for payload in XSS_PAYLOADS:
                _assert_escaped(html, payload, url)
            seen += "&lt;script&gt;alert" in html
    assert seen >= 2   # the payload is shown, escaped, on the conversation pages


def test_xss_in_applicant_names_is_escaped_in_the_reviewer_console(client, workflow):  # noqa: F811
    evil_name = "<script>alert('name')</script>"
    evil_company = "<img src=x onerror=alert(1)>有限公司"
    data = company_data(names=[evil_company])
    data["people"][0]["name"] = evil_name
    with session_scope() as session:
        receipt = workflow.submit(session, data, conversation_id="d" * 32)
    login(client, REVIEWER)
    urls = ["/review/", "/review/?all=1"] + [f"/review/tasks/{t.task_id}" for t in receipt.tasks]
    shown = 0
    for url in urls:
        response = client.get(url)
        if response.status_code == 403:   # a task of another department
            continue
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
        _assert_escaped(html, evil_name, url)
        _assert_escaped(html, evil_company, url)
        shown += "&lt;img src=x onerror" in html or "&lt;script&gt;alert" in html
    assert shown >= 1


# ---------------------------------------------------------------- malformed and oversized input

def test_malformed_json_is_400_with_a_chinese_message(client):
    cases = [
        (b"{not json", "application/json"),
        (b"[1, 2, 3]", "application/json"),
        (b'"just a string"', "application/json"),
        (b"text=hello", "application/x-www-form-urlencoded"),
        (b'{"text": 42}', "application/json"),
        (b'{"text": ["a"]}', "application/json"),
        (b'{"text": ""}', "application/json"),
        (b'{"text": "   "}', "application/json"),
        (b'{"text": "hi", "conversation_id": "../../etc/passwd"}', "application/json"),
        (b'{"text": "hi", "conversation_id": 7}', "application/json"),
        ('{"text": "' + "长" * 1001 + '"}', "application/json"),
        (b"\xff\xfe\x00garbage", "application/json"),
    ]
    for body, content_type in cases:
        response = client.post("/api/chat/messages", data=body, content_type=content_type)
        assert response.status_code == 400, body[:60]
        error = response.get_json()["error"]
        assert error["code"] and re.search(r"[\u4e00-\u9fff]", error["message"]), error
    assert messages_stored() == 0


def test_oversized_bodies_are_refused_before_anything_is_stored(client):
    huge = json.dumps({"text": "好" * 200_000}).encode()
    assert client.post("/api/chat/messages", data=huge, content_type="application/json").status_code == 413
    params = twilio_params(body="长" * 100_000)
    signature = sign_twilio(f"{PUBLIC_BASE_URL}/sms/inbound", params)
    assert client.post("/sms/inbound", data=params, headers={"X-Twilio-Signature": signature}).status_code == 413
    big = b'{"id": "' + b"x" * 100_000 + b'"}'
    assert client.post("/api/workflow/events", data=big, headers=signing.sign(WORKFLOW_SECRET, big)).status_code == 413
    assert messages_stored() == 0


def test_deeply_nested_json_does_not_crash_the_gateway(client):
    nested = b'{"text": "hi", "x": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    response = client.post("/api/chat/messages", data=nested, content_type="application/json")
    assert response.status_code == 400


def test_polling_rejects_bad_ids(client):
    assert client.get("/api/chat/" + "0" * 32 + "/messages?after=abc").status_code in (400, 404)
    assert client.get("/api/chat/..%2F..%2Fetc%2Fpasswd/messages").status_code == 404
    assert client.get("/api/chat/" + "0" * 32 + "/messages").status_code == 404


# ---------------------------------------------------------------- path traversal

TRAVERSALS = (
    "/static/../core/config.py",
    "/static/..%2f..%2fcore%2fconfig.py",
    "/static/%2e%2e/%2e%2e/core/config.py",
    "/static/....//....//core/config.py",
    "/static/..%5c..%5ccore%5cconfig.py",
    "/static/%252e%252e/core/config.py",
    "/static//etc/passwd",
    "/static/../../../../../../etc/passwd",
    "/checklist/..%2f..%2f..%2fetc%2fpasswd",
    "/checklist/../../etc/passwd",
    "/checklist/%2e%2e%2f%2e%2e%2fcore%2fconfig",
    "/checklist/restaurant%00.yaml",
    "/checklist/..%2fitems%2ffood_business_licence",
)


def test_path_traversal_on_static_and_checklist_routes_reveals_nothing(client):
    secrets = ("SECRET_KEY", "root:x:0:0", "def get_settings", "import ")
    for path in TRAVERSALS:
        response = client.get(path)
        assert response.status_code in (400, 404, 308), (path, response.status_code)
        text = response.get_data(as_text=True)
        assert not any(marker in text for marker in secrets), path
    assert client.get("/static/site.css").status_code == 200   # control


def test_checklist_page_escapes_what_the_url_carries(client):
    """The checklist page (with its QR code) is built from the URL: bad answers are refused, escaped."""
    payload = "%3Cscript%3Ealert(1)%3C/script%3E"
    for query in (f"?entity_type={payload}", f"?x={payload}", f"?entity_type=llc&x={payload}"):
        response = client.get(f"/checklist/restaurant{query}")
        assert response.status_code in (200, 400), (query, response.status_code)
        html = response.get_data(as_text=True)
        assert "<script>alert(1)" not in html, query
    response = client.get(f"/checklist/{payload}")
    assert response.status_code == 404 and "<script>alert(1)" not in response.get_data(as_text=True)
    page = client.get("/checklist/restaurant?entity_type=llc").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page      # the QR code is an inert data: image
