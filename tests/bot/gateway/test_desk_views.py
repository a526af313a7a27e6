"""The /desk console through HTTP: counter question → A-post answer → inbox and SMS row; permissions per
role; B-post taking and escalating a handoff; candidate review; the report page and CSV."""
from __future__ import annotations

import re
import shutil

import pytest
from sqlalchemy import select

from bot.gateway.routing import mark_waiting
from conversations import store
from conversations.models import APPLICANT
from core.config import ROOT, reset_settings
from core.db import session_scope
from desk.models import ANSWERED, APPROVED, CLAIMED, OPEN, Escalation, FaqCandidate
from notify.models import Notification
from tests.desk.conftest import PASSWORD, make_staff

QUESTION = "申请人在外省已有健康证，来杭州开面馆还要重新体检吗？"


@pytest.fixture
def people(env):
    with session_scope() as session:
        staff = make_staff(session)
    return staff


def login(client, username):
    client.post("/staff/logout", data={"csrf_token": token(client, "/staff/login")})
    response = client.post("/staff/login", data={"username": username, "password": PASSWORD,
                                                 "csrf_token": token(client, "/staff/login")})
    assert response.status_code == 302


def token(client, path):
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def post(client, path, **data):
    return client.post(path, data={"csrf_token": token(client, "/desk/inbox"), **data})


def only_escalation():
    with session_scope() as session:
        return session.scalar(select(Escalation))


def test_counter_question_through_the_console(client, people, monkeypatch):
    monkeypatch.setenv("QUIET_HOURS", "off")
    reset_settings()
    login(client, "window")
    page = client.post("/desk/counter", data={"question": QUESTION, "csrf_token": token(client, "/desk/counter")})
    assert "知识库没有把握回答这个问题" in page.get_data(as_text=True)

    bad = post(client, "/desk/counter/escalate", question=QUESTION, department="市场监管", send_sms="1", phone="123")
    assert bad.status_code == 400 and "手机号码" in bad.get_data(as_text=True)
    assert only_escalation() is None

    done = post(client, "/desk/counter/escalate", question=QUESTION, department="市场监管", send_sms="1",
                phone="13800138000", note="申请人在窗口等候")
    escalation = only_escalation()
    assert done.status_code == 302 and done.location.endswith(f"/desk/escalations/{escalation.id}")
    assert (escalation.state, escalation.phone) == (OPEN, "+8613800138000")

    login(client, "a-fire")                                       # another department: no claim, no answer
    assert client.get(f"/desk/escalations/{escalation.id}").status_code == 403
    assert post(client, f"/desk/escalations/{escalation.id}/claim").status_code == 403
    login(client, "b-post")
    assert post(client, f"/desk/escalations/{escalation.id}/answer", answer="不用").status_code == 403

    login(client, "a-market")
    assert QUESTION in client.get("/desk/").get_data(as_text=True)
    post(client, f"/desk/escalations/{escalation.id}/claim")
    assert only_escalation().state == CLAIMED
    post(client, f"/desk/escalations/{escalation.id}/answer", answer="健康证全国通用，无需重新体检。",
         source="食品安全法 第四十五条")
    assert only_escalation().state == ANSWERED
    with session_scope() as session:
        sms = session.scalar(select(Notification).where(Notification.template == "escalation_answer"))
        assert sms.recipient == "+8613800138000" and "无需重新体检" in sms.body

    login(client, "window")
    assert "健康证全国通用" in client.get("/desk/inbox").get_data(as_text=True)
    post(client, f"/desk/escalations/{escalation.id}/close")
    assert only_escalation().state == "closed"


def test_b_post_takes_and_escalates_a_handoff_and_the_chief_reassigns(client, people):
    with session_scope() as session:
        conversation = store.get_or_create(session)
        message = store.append(session, conversation.id, APPLICANT, "奶茶店要不要办食品经营许可？")
        mark_waiting(session, conversation, "机器人无法回答")
        conversation_id, message_id = conversation.id, message.id
    login(client, "b-post")
    assert conversation_id[:8] in client.get("/desk/").get_data(as_text=True)
    post(client, f"/desk/conversations/{conversation_id}/take")
    post(client, f"/desk/conversations/{conversation_id}/reply", text="已转专家，一个工作日内答复您。")
    with session_scope() as session:
        replies = [m.text for m in store.messages_after(session, conversation_id) if m.author == "staff"]
        assert replies == ["已转专家，一个工作日内答复您。"]
    response = post(client, f"/desk/conversations/{conversation_id}/escalate", department="消防",
                    message_id=str(message_id), note="现制饮品")
    escalation = only_escalation()
    assert response.status_code == 302 and escalation.kind == "question" and escalation.department == "消防"
    assert client.get("/desk/reports").status_code == 403

    login(client, "chief")
    post(client, f"/desk/escalations/{escalation.id}/reassign", department="", owner_id=str(people.a_market.id))
    escalation = only_escalation()
    assert (escalation.department, escalation.owner_id, escalation.state) == ("市场监管", people.a_market.id, CLAIMED)
    page = client.get(f"/desk/escalations/{escalation.id}").get_data(as_text=True)
    assert "改派" in page


def test_candidate_review_and_reports_in_the_console(client, people, tmp_path, monkeypatch):
    data = tmp_path / "knowledge-data"
    shutil.copytree(ROOT / "knowledge" / "data", data)
    monkeypatch.setenv("KNOWLEDGE_DATA_DIR", str(data))
    reset_settings()
    from knowledge import retrieval

    retrieval.invalidate()
    login(client, "window")
    post(client, "/desk/counter/escalate", question=QUESTION, department="市场监管")
    escalation_id = only_escalation().id
    login(client, "a-market")
    post(client, f"/desk/escalations/{escalation_id}/claim")
    post(client, f"/desk/escalations/{escalation_id}/answer", answer="健康证明全国通用，有效期内无需重新体检。",
         source="《食品安全法》第四十五条")
    post(client, f"/desk/escalations/{escalation_id}/candidate", question=QUESTION,
         paraphrases="外省健康证杭州能用吗\n外地健康证开面馆要重新体检吗", answer="健康证明全国通用，有效期内无需重新体检。",
         source="《食品安全法》第四十五条")
    with session_scope() as session:
        candidate_id = session.scalar(select(FaqCandidate.id))
    assert client.get("/desk/candidates").status_code == 403      # A-posts propose, they do not approve

    login(client, "chief")
    assert "外省健康证杭州能用吗" in client.get(f"/desk/candidates/{candidate_id}").get_data(as_text=True)
    post(client, f"/desk/candidates/{candidate_id}", action="approve", question=QUESTION,
         paraphrases="外省健康证杭州能用吗\n外地健康证开面馆要重新体检吗", answer="健康证明全国通用，有效期内无需重新体检。",
         source="《食品安全法》第四十五条")
    with session_scope() as session:
        candidate = session.get(FaqCandidate, candidate_id)
        assert candidate.state == APPROVED
    assert retrieval.ask("外地健康证开面馆要重新体检吗").faq_id == candidate.faq_id

    page = client.get("/desk/reports").get_data(as_text=True)
    assert "市场监管" in page and "导办专窗" in page
    export = client.get("/desk/reports.csv")
    assert export.mimetype == "text/csv" and "市场监管,导办专窗,1,1" in export.get_data(as_text=True)
    monkeypatch.delenv("KNOWLEDGE_DATA_DIR")
    reset_settings()
    retrieval.invalidate()


def test_every_console_page_renders_for_its_roles(client, people):
    with session_scope() as session:
        conversation = store.get_or_create(session)
        store.append(session, conversation.id, APPLICANT, "消防检查要多久？")
        mark_waiting(session, conversation, "机器人无法回答")
        conversation_id = conversation.id
    login(client, "window")
    post(client, "/desk/counter/escalate", question=QUESTION, department="市场监管")
    escalation_id = only_escalation().id
    assert client.get("/desk/").status_code == 302                 # window staff land on the counter page
    for path in ("/desk/counter", "/desk/inbox", "/desk/escalations", f"/desk/escalations/{escalation_id}"):
        assert client.get(path).status_code == 200, path
    assert client.get(f"/desk/conversations/{conversation_id}").status_code == 403
    login(client, "a-market")
    post(client, f"/desk/escalations/{escalation_id}/claim")
    post(client, f"/desk/escalations/{escalation_id}/answer", answer="答复内容")
    assert post(client, "/desk/profile", phone="13800138001").status_code == 302
    assert "+8613800138001" in client.get("/desk/profile").get_data(as_text=True)
    login(client, "chief")
    for path in ("/desk/", f"/desk/conversations/{conversation_id}", "/desk/escalations?state=answered&department=市场监管",
                 f"/desk/escalations/{escalation_id}", f"/desk/escalations/{escalation_id}/candidate",
                 "/desk/candidates", "/desk/candidates?state=", "/desk/reports?start=2026-01-01&end=2026-12-31",
                 "/desk/profile", "/desk/counter"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "Traceback" not in response.get_data(as_text=True)
    assert client.get("/desk/escalations/999").status_code == 404
