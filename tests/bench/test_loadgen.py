"""The load generator: every applicant's turns in order, and openers sent before the clock, never counted."""
from __future__ import annotations

import itertools
import threading

from bench.loadgen import OPENER_INDEX, Script, run_load

SCRIPTS = (Script("a", ("一", "二")), Script("b", ("三", "四", "五")))


class RecordingChannel:
    """A channel whose conversations log every text they are sent, with a global sequence number."""

    name = "recording"

    def __init__(self, fail_on: str | None = None):
        self.sent: list[tuple[int, str, str]] = []   # (sequence, conversation key, text)
        self.keys = itertools.count()
        self.sequence = itertools.count()
        self.lock = threading.Lock()
        self.fail_on = fail_on

    def open(self, http):
        channel = self

        class Conversation:
            key = f"c{next(channel.keys)}"

            def send(self, text: str) -> list[str]:
                with channel.lock:
                    channel.sent.append((next(channel.sequence), self.key, text))
                if text == channel.fail_on:
                    raise RuntimeError("refused")
                return [f"re:{text}"]

        return Conversation()


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
