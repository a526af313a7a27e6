"""Guideline Q&A: the knowledge base's answer with its source, or a plain “I don't know” and a human."""
from __future__ import annotations

from rasa_sdk import Action
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.common import button, latest_text

NO_ANSWER = ("这个问题我暂时没有把握回答准确，不想给您不准确的信息。"
             "需要转给窗口工作人员为您解答吗？")


class ActionAnswerGuideline(Action):
    def name(self) -> str:
        return "action_answer_guideline"

    def run(self, dispatcher: CollectingDispatcher, tracker, domain):
        from knowledge.retrieval import ask

        answer = ask(latest_text(tracker))
        if answer is None:
            dispatcher.utter_message(text=NO_ANSWER, buttons=[button("转人工", "request_human"),
                                                              button("不用了", "deny")])
            return []
        dispatcher.utter_message(text=f"{answer.answer}\n来源：{answer.source}")
        return []
