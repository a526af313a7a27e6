"""Rating (好差评) with buttons after a finished journey; a bad rating hands over to a human."""
from __future__ import annotations

import re

from rasa_sdk import Action
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.common import button, handoff_events, latest_entity, latest_text
from bot.actions.ratings import record_rating
from core.db import session_scope

RATING_WORDS = ((("非常不满意", "太差", "很差", "差评", "垃圾", "不满意", "没用"), 1),
                (("一般", "还行", "凑合"), 3),
                (("非常满意", "很满意", "满意", "好评", "满分", "点赞", "赞", "👍", "good"), 5))
CHINESE_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
LABELS = {5: "非常满意", 4: "满意", 3: "一般", 2: "不满意", 1: "非常不满意"}


def rating_from_text(entity: str | None, text: str) -> int | None:
    """1-5 from a button, a number (“4分”, “五星”, “3”), or words (好评 / 一般 / 差评)."""
    for candidate in (entity, text):
        value = (candidate or "").strip()
        match = re.search(r"(?<![0-9])([1-5])(?![0-9])", value)
        if match:
            return int(match.group(1))
        match = re.search(r"([一二两三四五])\s*(?:分|星|颗星)", value)
        if match:
            return CHINESE_DIGITS[match.group(1)]
    for words, rating in RATING_WORDS:
        if any(word in (text or "") for word in words):
            return rating
    return None


class ActionRequestRating(Action):
    def name(self) -> str:
        return "action_request_rating"

    def run(self, dispatcher: CollectingDispatcher, tracker, domain):
        dispatcher.utter_message(
            text="请为本次服务打分（5分最满意），您的评价会帮助我们改进：",
            buttons=[button(f"{n}分 {LABELS[n]}", "rate_service", rating=str(n)) for n in (5, 4, 3, 2, 1)])
        return []


class ActionStoreRating(Action):
    def name(self) -> str:
        return "action_store_rating"

    def run(self, dispatcher: CollectingDispatcher, tracker, domain):
        text = latest_text(tracker)
        rating = rating_from_text(latest_entity(tracker, "rating") or tracker.get_slot("rating"), text)
        if rating is None:
            dispatcher.utter_message(text="请回复1到5之间的数字为本次服务打分（5分最满意）。")
            return [SlotSet("rating", None)]
        with session_scope() as session:
            record_rating(session, tracker.sender_id, rating, None if text.startswith("/") else text)
        if rating <= 2:
            dispatcher.utter_message(text="非常抱歉没能让您满意，您的评价已记录。")
            return [SlotSet("rating", None)] + handoff_events(
                dispatcher, "bad_rating", "我请窗口工作人员来帮您解决问题，请稍候。")
        dispatcher.utter_message(text="感谢您的评价！祝您开业顺利，有需要随时找我。")
        return [SlotSet("rating", None)]
