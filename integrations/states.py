"""The pre-review task state machine (pure: no database).

submitted ─start_review→ in_review ─pass→ passed ─approve→ approved ─issue→ issued
                              │
                              └─return→ returned ─resubmit→ resubmitted ─start_review→ in_review …
"""
from __future__ import annotations

SUBMITTED = "submitted"
IN_REVIEW = "in_review"
PASSED = "passed"
RETURNED = "returned"
RESUBMITTED = "resubmitted"
APPROVED = "approved"
ISSUED = "issued"
STATES = (SUBMITTED, IN_REVIEW, PASSED, RETURNED, RESUBMITTED, APPROVED, ISSUED)

START_REVIEW = "start_review"
PASS = "pass"
RETURN = "return"
RESUBMIT = "resubmit"
APPROVE = "approve"
ISSUE = "issue"
ACTIONS = (START_REVIEW, PASS, RETURN, RESUBMIT, APPROVE, ISSUE)

TRANSITIONS: dict[tuple[str, str], str] = {
    (SUBMITTED, START_REVIEW): IN_REVIEW,
    (RESUBMITTED, START_REVIEW): IN_REVIEW,
    (IN_REVIEW, PASS): PASSED,
    (IN_REVIEW, RETURN): RETURNED,
    (RETURNED, RESUBMIT): RESUBMITTED,
    (PASSED, APPROVE): APPROVED,
    (APPROVED, ISSUE): ISSUED,
}

# States in which the pre-review clock (2 working days) runs.
AWAITING_PREREVIEW = (SUBMITTED, IN_REVIEW, RESUBMITTED)
# States in which a department still has work to do.
OPEN_FOR_DEPARTMENT = (SUBMITTED, IN_REVIEW, RESUBMITTED, PASSED, APPROVED)
FINAL = (ISSUED,)

STATE_LABELS = {
    SUBMITTED: "已提交，等待预审",
    IN_REVIEW: "预审中",
    PASSED: "预审通过，办理中",
    RETURNED: "已退回，需修改",
    RESUBMITTED: "已重新提交，等待预审",
    APPROVED: "已核准",
    ISSUED: "已发证",
}
ACTION_LABELS = {START_REVIEW: "开始预审", PASS: "预审通过", RETURN: "退回修改", RESUBMIT: "重新提交",
                 APPROVE: "核准", ISSUE: "发证"}


class InvalidTransition(ValueError):
    def __init__(self, state: str, action: str):
        self.state, self.action = state, action
        super().__init__(f"当前状态“{STATE_LABELS.get(state, state)}”不能执行“{ACTION_LABELS.get(action, action)}”。")


def next_state(state: str, action: str) -> str:
    """The state after `action`; InvalidTransition when the action is not allowed in `state`."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    try:
        return TRANSITIONS[(state, action)]
    except KeyError:
        raise InvalidTransition(state, action) from None


def allowed_actions(state: str) -> list[str]:
    return [action for (from_state, action) in TRANSITIONS if from_state == state]
