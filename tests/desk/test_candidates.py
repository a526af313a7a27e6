"""Answers improve the knowledge base: an answered escalation → FAQ candidate → maintainer review →
approved entry that retrieval finds in a fresh query (this process and a new one), validated by
`python -m knowledge validate`. Nothing unreviewed reaches retrieval."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
import yaml

from core.accounts import A_POST, create_account
from core.config import ROOT
from desk import candidates, counter, escalations
from desk.errors import DeskError, InvalidTransition, NotPermitted
from desk.models import APPROVED, PROPOSED, REJECTED
from knowledge import retrieval

QUESTION = "外省办的健康证在杭州开面馆还能用吗？"
PARAPHRASES = ["在外地办的健康证杭州认不认", "外省健康证来杭州开店要重新体检吗"]
ANSWER = "健康证明全国通用：在有效期内的外省健康证明在杭州同样有效，无需重新体检。"
SOURCE = "《食品安全法》第四十五条"


def answered(db, staff, question=QUESTION):
    escalation = counter.escalate(db, staff.window, question=question, department="卫生健康")
    expert = create_account(db, f"a-health-{escalation.id}", "desk-password-1", A_POST, department="卫生健康")
    escalations.claim(db, escalation.id, expert)
    escalations.answer(db, escalation.id, expert, ANSWER, source=SOURCE)
    db.commit()
    return escalation


def fresh_process_answer(question: str, data_dir) -> str:
    code = ("from knowledge import retrieval; a = retrieval.ask(%r); print(a.faq_id if a else 'NONE')" % question)
    env = {**os.environ, "KNOWLEDGE_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_candidate_approved_becomes_a_faq_entry_the_bot_answers(db, staff, knowledge_copy):
    assert retrieval.ask(QUESTION) is None
    escalation = answered(db, staff)
    with pytest.raises(NotPermitted):
        candidates.propose(db, escalation.id, staff.window, question=QUESTION, paraphrases=PARAPHRASES,
                           answer=ANSWER, source=SOURCE)
    draft = candidates.draft_for(db, escalation.id)
    assert (draft["answer"], draft["source"]) == (ANSWER, SOURCE)
    candidate = candidates.propose(db, escalation.id, staff.chief, question=QUESTION,
                                   paraphrases="\n".join(PARAPHRASES) + "\n\n", answer=ANSWER, source=SOURCE)
    db.commit()
    assert candidate.state == PROPOSED and candidate.paraphrases == PARAPHRASES
    assert retrieval.ask(QUESTION) is None                               # unreviewed: never shown

    with pytest.raises(NotPermitted):
        candidates.approve(db, candidate.id, staff.a_market)           # only chief/admin maintain the KB
    candidates.edit(db, candidate.id, staff.chief, question=QUESTION,
                    paraphrases=PARAPHRASES + ["外地健康证杭州能用吗"], answer=ANSWER, source=SOURCE)
    candidates.approve(db, candidate.id, staff.chief)
    db.commit()
    assert candidate.state == APPROVED and candidate.faq_id

    found = retrieval.ask("外省的健康证在杭州开面馆能不能用？")        # a fresh query in this process
    assert found is not None and found.faq_id == candidate.faq_id and found.answer == ANSWER
    assert fresh_process_answer(QUESTION, knowledge_copy) == candidate.faq_id

    written = yaml.safe_load((knowledge_copy / "faq" / "approved.yaml").read_text(encoding="utf-8"))
    entry = next(e for e in written if e["id"] == candidate.faq_id)
    assert (entry["source"], entry["reviewer"]) == (SOURCE, "王科长")
    assert "外地健康证杭州能用吗" in entry["paraphrases"]
    validate = subprocess.run([sys.executable, "-m", "knowledge", "validate"], cwd=ROOT, capture_output=True,
                              text=True, timeout=120, env={**os.environ, "KNOWLEDGE_DATA_DIR": str(knowledge_copy)})
    assert validate.returncode == 0, validate.stdout + validate.stderr

    with pytest.raises(InvalidTransition):
        candidates.approve(db, candidate.id, staff.chief)              # approved once only
    with pytest.raises(InvalidTransition):
        candidates.propose(db, escalation.id, staff.chief, question=QUESTION, paraphrases=PARAPHRASES,
                           answer=ANSWER, source=SOURCE)


def test_rejected_or_invalid_candidates_never_reach_the_knowledge_base(db, staff, knowledge_copy):
    escalation = answered(db, staff)
    open_one = counter.escalate(db, staff.window, question="还没答复的问题", department="消防")
    with pytest.raises(InvalidTransition):
        candidates.propose(db, open_one.id, staff.chief, question="还没答复的问题", paraphrases=["未答复"],
                           answer="无", source="无来源")
    with pytest.raises(DeskError, match="常见问法"):
        candidates.propose(db, escalation.id, staff.chief, question=QUESTION, paraphrases="", answer=ANSWER,
                           source=SOURCE)
    candidate = candidates.propose(db, escalation.id, staff.chief, question=QUESTION, paraphrases=PARAPHRASES,
                                   answer=ANSWER, source=SOURCE)
    db.commit()
    # an answer knowledge's FAQ model refuses (too short): nothing is written, the candidate stays proposed
    candidate.answer = "x"
    with pytest.raises(DeskError, match="知识库校验未通过"):
        candidates.approve(db, candidate.id, staff.chief)
    db.rollback()
    assert not (knowledge_copy / "faq" / "approved.yaml").exists()
    assert candidates.get(db, candidate.id).state == PROPOSED and candidate.answer == ANSWER

    candidates.reject(db, candidate.id, staff.chief, "答复需补充有效期说明")
    db.commit()
    assert candidate.state == REJECTED and candidates.listing(db) == []
    assert candidates.listing(db, REJECTED) == [candidate]
    assert retrieval.ask(QUESTION) is None
