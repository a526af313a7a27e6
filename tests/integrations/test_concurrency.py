"""Two reviewers decide the same task at the same moment: one wins, the other gets a clear Conflict.
Runs on SQLite and PostgreSQL (each thread has its own session and connection)."""
import threading

import pytest
from sqlalchemy import func, select

from core.db import new_session
from integrations import states
from integrations.errors import Conflict
from integrations.models import WorkflowEvent, WorkflowTask
from notify.models import Notification
from tests.integrations.helpers import CONVERSATION, company_data


def race(workflow, task_id, decisions, expected_version):
    barrier = threading.Barrier(len(decisions))
    outcomes = [None] * len(decisions)

    def reviewer(index, decision):
        session = new_session()
        try:
            barrier.wait(timeout=10)
            extra = {"reason": "地址不详", "fix": ["address"]} if decision == "return" else {}
            workflow.decide(session, task_id, decision, reviewer_id=index + 1,
                            expected_version=expected_version, **extra)
            session.commit()
            outcomes[index] = decision
        except Conflict as exc:
            session.rollback()
            outcomes[index] = exc
        finally:
            session.close()

    threads = [threading.Thread(target=reviewer, args=(i, d)) for i, d in enumerate(decisions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes


@pytest.mark.parametrize("expected_version", [1, None], ids=["with-version", "without-version"])
def test_two_concurrent_decisions_one_winner(db, workflow, expected_version):
    receipt = workflow.submit(db, company_data(x_items=[]), conversation_id=CONVERSATION)
    db.commit()
    task_id = receipt.tasks[0].task_id

    outcomes = race(workflow, task_id, ["pass", "return"], expected_version)

    winners = [o for o in outcomes if isinstance(o, str)]
    losers = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    assert "刷新" in str(losers[0]) or "不能执行" in str(losers[0])
    db.expire_all()
    task = db.get(WorkflowTask, task_id)
    assert task.state == (states.PASSED if winners[0] == "pass" else states.RETURNED)
    assert task.version == 3 and task.seq == 2
    assert db.scalar(select(func.count()).select_from(WorkflowEvent).where(WorkflowEvent.task_id == task_id)) == 2
    templates = set(db.scalars(select(Notification.template)))
    assert templates == {"prereview_passed" if winners[0] == "pass" else "prereview_returned"}
