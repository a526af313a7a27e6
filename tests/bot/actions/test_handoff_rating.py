"""Handoff, fallback, rating, guideline answers and returning users."""
from sqlalchemy import select

from bot.actions.guideline import ActionAnswerGuideline
from bot.actions.handoff import ActionFallback, ActionHandoff, consecutive_fallbacks
from bot.actions.rating import ActionRequestRating, ActionStoreRating, rating_from_text
from bot.actions.ratings import ServiceRating
from bot.actions.session import ActionSessionStart
from rasa_sdk.executor import CollectingDispatcher
from tests.bot.actions.trackers import entity, make_tracker, texts


def user(intent):
    return {"event": "user", "text": "x", "parse_data": {"intent": {"name": intent}}}


def is_paused(events):
    return any(e.get("event") == "pause" for e in events)


def test_handoff_pauses_and_tells_the_gateway():
    dispatcher = CollectingDispatcher()
    events = ActionHandoff().run(dispatcher, make_tracker("转人工", intent="request_human"), {})
    assert is_paused(events)
    assert {"handoff": True, "reason": "applicant_request"} in [m.get("custom") for m in dispatcher.messages]


def test_second_fallback_in_a_row_hands_over():
    once = make_tracker("asdf", intent="nlu_fallback", events=[user("greet"), user("nlu_fallback")])
    twice = make_tracker("qwer", intent="nlu_fallback", events=[user("nlu_fallback"), {"event": "bot"},
                                                                user("nlu_fallback")])
    assert consecutive_fallbacks(once) == 1 and consecutive_fallbacks(twice) == 2
    dispatcher = CollectingDispatcher()
    assert not is_paused(ActionFallback().run(dispatcher, once, {}))
    assert dispatcher.messages[0]["response"] == "utter_default"
    dispatcher = CollectingDispatcher()
    assert is_paused(ActionFallback().run(dispatcher, twice, {}))
    assert dispatcher.messages[-1]["custom"]["reason"] == "two_fallbacks"


def test_rating_words_and_numbers():
    assert rating_from_text("5", "/rate_service") == 5
    assert rating_from_text(None, "给4分吧") == 4
    assert rating_from_text(None, "五星好评") == 5
    assert rating_from_text(None, "3") == 3
    assert rating_from_text(None, "差评 根本没用") == 1
    assert rating_from_text(None, "一般般") == 3
    assert rating_from_text(None, "嗯") is None


def test_rating_is_stored_and_a_bad_one_hands_over(db):
    dispatcher = CollectingDispatcher()
    ActionRequestRating().run(dispatcher, make_tracker(""), {})
    assert len(dispatcher.messages[0]["buttons"]) == 5
    good = make_tracker("5分", intent="rate_service", entities=[entity("rating", "5")], sender="c-good")
    assert not is_paused(ActionStoreRating().run(CollectingDispatcher(), good, {}))
    bad = make_tracker("差评 根本没用", intent="rate_service", sender="c-bad")
    dispatcher = CollectingDispatcher()
    assert is_paused(ActionStoreRating().run(dispatcher, bad, {}))
    assert dispatcher.messages[-1]["custom"]["reason"] == "bad_rating"
    rows = {r.conversation_id: r.rating for r in db.scalars(select(ServiceRating))}
    assert rows == {"c-good": 5, "c-bad": 1}


def test_guideline_answer_carries_its_source_and_unknowns_offer_a_human():
    dispatcher = CollectingDispatcher()
    ActionAnswerGuideline().run(dispatcher, make_tracker("营业执照办下来要多久", intent="ask_guideline"), {})
    assert "来源：" in texts(dispatcher)
    dispatcher = CollectingDispatcher()
    ActionAnswerGuideline().run(dispatcher, make_tracker("离婚财产怎么分割", intent="ask_guideline"), {})
    assert "没有把握" in texts(dispatcher)
    assert dispatcher.messages[0]["buttons"][0]["payload"] == "/request_human"


def test_a_returning_applicant_is_offered_to_continue_with_slots_kept():
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("", slots={"entity_type": "个体工商户", "person_name": "陈小明", "requested_slot": "address"})
    events = ActionSessionStart().run(dispatcher, tracker, {})
    assert events[0]["event"] == "session_started" and events[-1]["name"] == "action_listen"
    assert {"event": "slot", "name": "person_name", "value": "陈小明"} in [
        {k: e.get(k) for k in ("event", "name", "value")} for e in events]
    assert "还没有填完" in texts(dispatcher)
    dispatcher = CollectingDispatcher()
    ActionSessionStart().run(dispatcher, make_tracker(""), {})
    assert dispatcher.messages == []
