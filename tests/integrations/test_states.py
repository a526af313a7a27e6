"""The task state machine, exhaustively: every state × every action."""
import pytest

from integrations import states

EXPECTED = {
    (states.SUBMITTED, states.START_REVIEW): states.IN_REVIEW,
    (states.RESUBMITTED, states.START_REVIEW): states.IN_REVIEW,
    (states.IN_REVIEW, states.PASS): states.PASSED,
    (states.IN_REVIEW, states.RETURN): states.RETURNED,
    (states.RETURNED, states.RESUBMIT): states.RESUBMITTED,
    (states.PASSED, states.APPROVE): states.APPROVED,
    (states.APPROVED, states.ISSUE): states.ISSUED,
}


@pytest.mark.parametrize("state", states.STATES)
@pytest.mark.parametrize("action", states.ACTIONS)
def test_every_state_and_action(state, action):
    if (state, action) in EXPECTED:
        assert states.next_state(state, action) == EXPECTED[(state, action)]
    else:
        with pytest.raises(states.InvalidTransition) as info:
            states.next_state(state, action)
        assert states.STATE_LABELS[state] in str(info.value)
        assert states.ACTION_LABELS[action] in str(info.value)


def test_unknown_action_is_a_programming_error():
    with pytest.raises(ValueError):
        states.next_state(states.SUBMITTED, "delete")


def test_issued_is_final_and_every_state_is_reachable():
    assert states.allowed_actions(states.ISSUED) == []
    reachable, frontier = {states.SUBMITTED}, [states.SUBMITTED]
    while frontier:
        state = frontier.pop()
        for action in states.allowed_actions(state):
            target = states.next_state(state, action)
            if target not in reachable:
                reachable.add(target)
                frontier.append(target)
    assert reachable == set(states.STATES)
