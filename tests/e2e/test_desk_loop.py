"""Issue 9, all services in one journey: a question the bot cannot answer goes from an applicant (web chat)
through the handoff to a B-post at the desk, is escalated to the A-post experts of the right department,
answered, and the answer reaches the applicant over their channel (notify → a real worker → the chat);
the answer becomes a FAQ candidate the chief approves, written to the knowledge data the action server
reads (a session copy, KNOWLEDGE_DATA_DIR), and the next applicant asking that question in a new
conversation gets the answer from the bot. Nothing unreviewed is ever shown to applicants."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from core.accounts import A_POST, B_POST, CHIEF, create_account
from core.config import ROOT
from core.db import session_scope
from tests.e2e.helpers import Applicant, Staff, notifications, wait_until

PASSWORD = "desk-password-1"
QUESTION = "营业执照丢了怎么补办"
ANSWER = ("营业执照遗失的，可以在浙江政务服务网申请补领，无需登报声明作废；"
          "补领后原执照自动作废，一般1个工作日内可领取新执照。")
SOURCE = "杭州市市场监管局窗口答复（2026年）"
NOT_SURE = "暂时没有把握"


@pytest.fixture
def clean_faq(e2e):
    """The FAQ of the stack's knowledge copy without approved entries, before and after the journey."""
    approved = e2e.knowledge_dir / "faq" / "approved.yaml"
    approved.unlink(missing_ok=True)
    yield approved
    approved.unlink(missing_ok=True)


def desk_people():
    with session_scope() as session:
        for username, role, department, name in (("b-post", B_POST, None, "B岗小李"),
                                                 ("a-market", A_POST, "市场监管", "市场监管A岗"),
                                                 ("a-fire", A_POST, "消防", "消防A岗"),
                                                 ("chief", CHIEF, None, "王科长")):
            create_account(session, username, PASSWORD, role, department=department, display_name=name)


def escalation_id_from(response) -> int:
    location = response.headers["Location"]
    assert "/desk/escalations/" in location, location
    return int(location.rstrip("/").rsplit("/", 1)[1])


def test_unanswered_question_escalated_answered_and_learnt_by_the_bot(e2e, clean_faq):
    desk_people()

    # 1. The bot has no confident answer and offers a human; the applicant takes it.
    applicant = Applicant(e2e.client)
    applicant.say(QUESTION)
    assert NOT_SURE in applicant.texts(), applicant.texts()
    applicant.click("转人工")
    assert applicant.last["handoff"] is True
    question_id = next(m["id"] for m in applicant.transcript() if m["author"] == "applicant" and m["text"] == QUESTION)

    # 2. A B-post takes the conversation from the bot queue and escalates the question to 市场监管.
    b_post = Staff(e2e.app, "b-post", PASSWORD)
    assert applicant.conversation_id in b_post.get("/desk/")
    b_post.post(f"/desk/conversations/{applicant.conversation_id}/take", {})
    response = b_post.post(f"/desk/conversations/{applicant.conversation_id}/escalate",
                           {"department": "市场监管", "message_id": question_id, "note": "申请人营业执照遗失"})
    escalation_id = escalation_id_from(response)

    # 3. Only the right department's expert may claim it; that expert answers.
    a_fire = Staff(e2e.app, "a-fire", PASSWORD)
    a_fire.post(f"/desk/escalations/{escalation_id}/claim", {}, page="/desk/", expect=403)
    a_market = Staff(e2e.app, "a-market", PASSWORD)
    assert QUESTION in a_market.get("/desk/")
    a_market.post(f"/desk/escalations/{escalation_id}/claim", {})
    a_market.post(f"/desk/escalations/{escalation_id}/answer", {"answer": ANSWER, "source": SOURCE})

    # 4. The answer reaches the applicant over their channel (the web chat), exactly once.
    pushed = wait_until(lambda: [t for t in applicant.pushed() if ANSWER[:20] in t], "the expert's answer in the chat")
    assert len(pushed) == 1
    [row] = notifications(template="escalation_answer")
    assert row.channel == "chat" and row.recipient == applicant.conversation_id and row.status == "delivered"

    # 5. Proposed as a FAQ candidate; until the chief approves it, a new applicant still gets no answer.
    a_market.post(f"/desk/escalations/{escalation_id}/candidate",
                  {"question": QUESTION, "paraphrases": "营业执照遗失了怎么办\n执照丢了能补领吗",
                   "answer": ANSWER, "source": SOURCE})
    unreviewed = Applicant(e2e.client)
    unreviewed.say(QUESTION)
    assert NOT_SURE in unreviewed.texts() and ANSWER[:20] not in unreviewed.texts()

    from desk.models import FaqCandidate

    with session_scope() as session:
        [candidate_id] = [c.id for c in session.query(FaqCandidate).filter_by(escalation_id=escalation_id)]
    chief = Staff(e2e.app, "chief", PASSWORD)
    assert QUESTION in chief.get("/desk/candidates")
    chief.post(f"/desk/candidates/{candidate_id}",
               {"action": "approve", "question": QUESTION, "paraphrases": "营业执照遗失了怎么办\n执照丢了能补领吗",
                "answer": ANSWER, "source": SOURCE})
    approved_at = time.monotonic()

    # 6. Written to the knowledge data with its source and reviewer, and valid.
    text = clean_faq.read_text(encoding="utf-8")
    assert QUESTION in text and SOURCE in text and "王科长" in text
    validated = subprocess.run([sys.executable, "-m", "knowledge", "validate"], cwd=ROOT, capture_output=True,
                               text=True, timeout=120,
                               env={**os.environ, "KNOWLEDGE_DATA_DIR": str(e2e.knowledge_dir)})
    assert validated.returncode == 0, validated.stdout + validated.stderr

    # 7. The next applicant, in a new conversation, gets the answer from the bot (the action server picks
    #    up changed data files within knowledge.retrieval.CHECK_INTERVAL_SECONDS, no restart).
    from knowledge.retrieval import CHECK_INTERVAL_SECONDS

    wait_until(lambda: time.monotonic() - approved_at > CHECK_INTERVAL_SECONDS, "the knowledge check interval")
    next_applicant = Applicant(e2e.client)
    next_applicant.say(QUESTION)
    assert next_applicant.conversation_id != applicant.conversation_id
    assert ANSWER in next_applicant.texts() and f"来源：{SOURCE}" in next_applicant.texts()
    assert next_applicant.last["handoff"] is False
