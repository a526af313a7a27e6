"""Which chat turns the benchmark may compare: the classification read from Rasa trackers."""
from bench.chat_bench import actions_per_turn, needs_action_server


def tracker(*events):
    return {"events": [{"event": kind, "name": name} if kind == "action" else {"event": kind, "text": name}
                       for kind, name in events]}


def test_the_session_start_before_the_first_message_belongs_to_the_first_turn():
    turns = actions_per_turn(tracker(("action", "action_session_start"), ("session_started", ""),
                                     ("action", "action_listen"), ("user", "你好"), ("action", "utter_greet"),
                                     ("action", "action_listen"), ("user", "谢谢"),
                                     ("action", "utter_you_are_welcome"), ("action", "action_listen")))
    assert turns == [["action_session_start", "utter_greet"], ["utter_you_are_welcome"]]


def test_yicis_own_session_start_and_custom_actions_need_the_action_server():
    assert needs_action_server(["action_session_start", "utter_greet"])
    assert needs_action_server(["checklist_form"])
    assert not needs_action_server(["utter_greet", "action_default_fallback"])
