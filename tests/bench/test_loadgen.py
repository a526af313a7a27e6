"""The load generator: every applicant's turns in order, and openers sent before the clock, never counted."""
from __future__ import annotations

import itertools
import threading
import time

from bench.loadgen import OPENER_INDEX, Script, run_load

SCRIPTS = (Script("a", ("一", "二")), Script("b", ("三", "四", "五")))


class RecordingChannel:
    """A channel whose conversations log every text they are sent, with a global sequence number."""

    name = "recording"

    def __init__(self, fail_on: str | None = None, seconds_per_turn: dict[str, float] | None = None):
        self.sent: list[tuple[int, str, str]] = []   # (sequence, conversation key, text)
        self.applicant_of: dict[str, int] = {}        # conversation key -> id of the applicant's HTTP session
        self.seconds_per_turn = seconds_per_turn or {}
        self.keys = itertools.count()
        self.sequence = itertools.count()
        self.lock = threading.Lock()
        self.fail_on = fail_on

    def open(self, http):
        channel = self

        class Conversation:
            key = f"c{next(channel.keys)}"

            def send(self, text: str) -> list[str]:
                time.sleep(channel.seconds_per_turn.get(text, 0))
                with channel.lock:
                    channel.sent.append((next(channel.sequence), self.key, text))
                if text == channel.fail_on:
                    raise RuntimeError("refused")
                return [f"re:{text}"]

        conversation = Conversation()
        self.applicant_of[conversation.key] = id(http)
        return conversation


def test_without_an_opener_every_turn_is_timed_in_script_order():
    channel = RecordingChannel()
    result = run_load(channel, SCRIPTS, concurrency=2, scripts_per_applicant=2)
    assert len(result.records) == len(result.timed) == 2 * (2 + 3)
    for key in {r.conversation for r in result.records}:
        texts = [text for _, k, text in channel.sent if k == key]
        assert texts in (["一", "二"], ["三", "四", "五"])


def test_openers_open_every_conversation_before_the_first_timed_turn_and_count_nowhere():
    channel = RecordingChannel()
    result = run_load(channel, SCRIPTS, concurrency=3, scripts_per_applicant=2, opener="你好")
    openers = [r for r in result.records if r.index == OPENER_INDEX]
    conversations = {r.conversation for r in result.records}
    assert len(openers) == len(conversations) == 3 * 2
    last_opener = max(seq for seq, _, text in channel.sent if text == "你好")
    first_timed = min(seq for seq, _, text in channel.sent if text != "你好")
    assert last_opener < first_timed          # every conversation was opened before the clock started
    assert all(r.index >= 0 for r in result.timed) and len(result.timed) == len(result.records) - len(openers)
    assert len(result.latencies()) == len(result.timed)
    for key in conversations:                 # the opener is each conversation's first message
        assert [text for _, k, text in channel.sent if k == key][0] == "你好"


def test_a_failed_opener_is_not_a_measured_error():
    channel = RecordingChannel(fail_on="你好")
    result = run_load(channel, SCRIPTS, concurrency=1, scripts_per_applicant=2, opener="你好")
    assert result.errors == 0
    assert [r.ok for r in result.records if r.index == OPENER_INDEX] == [False, False]


def test_a_channel_may_ask_for_its_opener_more_than_once():
    channel = RecordingChannel()
    channel.opener_sends = 2
    result = run_load(channel, SCRIPTS, concurrency=2, scripts_per_applicant=1, opener="你好")
    assert len([r for r in result.records if r.index == OPENER_INDEX]) == 2 * 2
    for key in {r.conversation for r in result.records}:
        texts = [text for _, k, text in channel.sent if k == key]
        assert texts[:2] == ["你好", "你好"] and "你好" not in texts[2:]


def test_every_applicant_runs_the_scripts_in_turn_so_their_plans_are_alike():
    channel = RecordingChannel()
    result = run_load(channel, SCRIPTS, concurrency=4, scripts_per_applicant=2)
    turns_per_applicant: dict[int, int] = {}
    for record in result.timed:
        applicant = channel.applicant_of[record.conversation]
        turns_per_applicant[applicant] = turns_per_applicant.get(applicant, 0) + 1
    assert sorted(turns_per_applicant.values()) == [5, 5, 5, 5]   # each ran "a" (2 turns) and "b" (3 turns)


def test_the_steady_state_ends_when_the_first_applicant_runs_out_of_scripts():
    # Applicant 0 runs "a": turns end at about 0.12 and 0.24 s; applicant 1 runs "b": 0.10, 0.20, 0.30 s.
    channel = RecordingChannel(seconds_per_turn={"一": 0.12, "二": 0.12, "三": 0.1, "四": 0.1, "五": 0.1})
    result = run_load(channel, SCRIPTS, concurrency=2, scripts_per_applicant=1, opener="你好")
    assert 0.24 <= result.steady_seconds < 0.29 <= result.seconds
    steady = result.steady()
    assert steady.seconds == result.steady_seconds
    assert sorted(r.replies[0] for r in steady.timed) == ["re:一", "re:三", "re:二", "re:四"]   # not "五"
    assert len([r for r in steady.records if r.index == OPENER_INDEX]) == 2               # openers kept
    assert all(0 < r.ended <= steady.seconds for r in steady.timed)
